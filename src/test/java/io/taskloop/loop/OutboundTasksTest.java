package io.taskloop.loop;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.TestServer;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * http and eventbus tasks, retries and done hooks against real peers on loopback: an HTTP
 * server with slow, failing, flaky, huge and never-answering routes, event-bus consumers that
 * reply, fail, are absent or are slow, and a webhook receiver that fails twice then accepts.
 */
@ExtendWith(VertxExtension.class)
class OutboundTasksTest {

  private Vertx vertx;
  private TestServer server;
  private HttpServer peer;
  private String base;
  private final AtomicInteger flakyCalls = new AtomicInteger();
  private final AtomicInteger hookCalls = new AtomicInteger();
  private final List<JsonObject> hookBodies = new CopyOnWriteArrayList<>();
  private final Promise<Void> neverClosed = Promise.promise();
  private final Promise<Void> neverArrived = Promise.promise();
  private final Promise<Void> hookAccepted = Promise.promise();

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    server = TestServer.start(vertx, config("http_max_response_bytes", 10_000, "webhook_backoff_ms", 5));
    peer = bounded(vertx.createHttpServer().requestHandler(req -> {
      switch (req.path()) {
        case "/ok" -> req.response().putHeader("Content-Type", "application/json").putHeader("X-Peer", "yes")
            .end(new JsonObject().put("hello", "world").encode());
        case "/text" -> req.response().putHeader("Content-Type", "text/plain").end("plain words");
        case "/echo" -> req.body().onSuccess(body -> req.response().putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("method", req.method().name()).put("x-trace", req.getHeader("X-Trace"))
                .put("content-type", req.getHeader("Content-Type")).put("body", body.toString()).encode()));
        case "/fail" -> req.response().setStatusCode(500).end("broken");
        case "/missing" -> req.response().setStatusCode(404).end();
        case "/flaky" -> req.response().setStatusCode(flakyCalls.incrementAndGet() <= 2 ? 503 : 200).end("ok");
        case "/huge" -> req.response().end("x".repeat(50_000));
        case "/never" -> {
          req.connection().closeHandler(v -> neverClosed.tryComplete());
          neverArrived.tryComplete();
        }
        case "/hook" -> req.body().onSuccess(body -> {
          hookBodies.add(body.toJsonObject());
          if (hookCalls.incrementAndGet() <= 2) {
            req.response().setStatusCode(503).end();
          } else {
            req.response().setStatusCode(204).end();
            hookAccepted.tryComplete();
          }
        });
        default -> req.response().setStatusCode(404).end();
      }
    }).listen(0, "127.0.0.1"));
    base = "http://127.0.0.1:" + peer.actualPort();
    vertx.eventBus().consumer("svc.reply", msg -> msg.reply(new JsonObject().put("got", msg.body()).put("h", msg.headers().get("k"))));
    vertx.eventBus().consumer("svc.fail", msg -> msg.fail(42, "no such order"));
    vertx.eventBus().consumer("svc.slow", msg -> vertx.setTimer(5_000, t -> msg.reply("late")));
  }

  @AfterEach
  void stop() {
    server.stop();
    bounded(peer.close());
  }

  private static JsonObject http(String url) {
    return new JsonObject().put("type", "http").put("request", new JsonObject().put("url", url));
  }

  private JsonObject run(JsonObject spec) {
    return server.awaitDone(server.create(spec).getString("id"));
  }

  @Test
  void anHttpTaskSucceedsWithStatusHeadersAndParsedJson() {
    JsonObject t = run(http(base + "/ok"));
    assertEquals("succeeded", t.getString("state"));
    JsonObject result = t.getJsonObject("result");
    assertEquals(200, result.getInteger("status"));
    assertEquals("yes", result.getJsonObject("headers").getString("x-peer"));
    assertEquals(new JsonObject().put("hello", "world"), result.getJsonObject("body"));
    assertEquals(1, t.getInteger("attempt"));
    assertEquals("plain words", run(http(base + "/text")).getJsonObject("result").getString("body"));
  }

  @Test
  void anHttpTaskSendsItsMethodHeadersAndJsonOrTextBody() {
    JsonObject json = run(new JsonObject().put("type", "http").put("request", new JsonObject().put("method", "PUT")
        .put("url", base + "/echo").put("headers", new JsonObject().put("X-Trace", "t-1")).put("body", new JsonObject().put("n", 1))));
    JsonObject echoed = json.getJsonObject("result").getJsonObject("body");
    assertEquals("PUT", echoed.getString("method"));
    assertEquals("t-1", echoed.getString("x-trace"));
    assertEquals("application/json", echoed.getString("content-type"));
    assertEquals("{\"n\":1}", echoed.getString("body"));
    JsonObject text = run(new JsonObject().put("type", "http").put("request", new JsonObject().put("method", "POST")
        .put("url", base + "/echo").put("body", "just text")));
    assertEquals("just text", text.getJsonObject("result").getJsonObject("body").getString("body"));
    assertTrue(text.getJsonObject("result").getJsonObject("body").getString("content-type").startsWith("text/plain"));
  }

  @Test
  void anUnexpectedStatusFailsWithHttpErrorCarryingTheResponse() {
    JsonObject t = run(http(base + "/fail"));
    assertEquals("failed", t.getString("state"));
    assertEquals("HttpError", t.getJsonObject("error").getString("type"));
    assertEquals(500, t.getJsonObject("error").getJsonObject("data").getInteger("status"));
    assertEquals("broken", t.getJsonObject("error").getJsonObject("data").getString("body"));
    JsonObject expected = run(http(base + "/missing").put("expect_status", new JsonArray().add(404)));
    assertEquals("succeeded", expected.getString("state"), "expect_status decides what counts as success");
  }

  @Test
  void serverErrorsAreRetriedWithBackoffAndEveryAttemptIsVisible() {
    JsonObject t = run(http(base + "/flaky").put("retry", new JsonObject().put("max_attempts", 4).put("backoff_ms", 10)));
    assertEquals("succeeded", t.getString("state"));
    assertEquals(3, t.getInteger("attempt"));
    JsonArray attempts = t.getJsonArray("attempts");
    assertEquals(3, attempts.size());
    assertEquals("HttpError", attempts.getJsonObject(0).getJsonObject("error").getString("type"));
    assertEquals(503, attempts.getJsonObject(1).getJsonObject("error").getJsonObject("data").getInteger("status"));
    assertNull(attempts.getJsonObject(2).getValue("error"));
  }

  @Test
  void clientErrorsAreNotRetriedByDefault() {
    JsonObject t = run(http(base + "/missing").put("retry", new JsonObject().put("max_attempts", 5).put("backoff_ms", 1)));
    assertEquals("failed", t.getString("state"));
    assertEquals(1, t.getJsonArray("attempts").size());
  }

  @Test
  void retriesStopAtMaxAttempts() {
    JsonObject t = run(http(base + "/fail").put("retry", new JsonObject().put("max_attempts", 3).put("backoff_ms", 1)));
    assertEquals("failed", t.getString("state"));
    assertEquals(3, t.getJsonArray("attempts").size());
  }

  @Test
  void anAttemptThatNeverAnswersTimesOut() {
    JsonObject t = run(http(base + "/never").put("attempt_timeout_ms", 200));
    assertEquals("failed", t.getString("state"));
    assertEquals("TimeoutError", t.getJsonObject("error").getString("type"));
    bounded(neverClosed.future());
  }

  @Test
  void aResponseOverTheCapFailsClearly() {
    JsonObject t = run(http(base + "/huge"));
    assertEquals("failed", t.getString("state"));
    assertEquals("ResponseTooLarge", t.getJsonObject("error").getString("type"));
  }

  @Test
  void aRefusedConnectionIsAConnectionError() {
    HttpServer gone = bounded(vertx.createHttpServer().requestHandler(r -> r.response().end()).listen(0, "127.0.0.1"));
    int port = gone.actualPort();
    bounded(gone.close());
    JsonObject t = run(http("http://127.0.0.1:" + port + "/"));
    assertEquals("ConnectionError", t.getJsonObject("error").getString("type"));
  }

  @Test
  void cancellingAnHttpTaskAbortsItsRequest() {
    String id = server.create(http(base + "/never")).getString("id");
    bounded(neverArrived.future());
    server.post("/v1/tasks/" + id + "/cancel", null).expect(200);
    bounded(neverClosed.future());
    JsonObject t = server.task(id);
    assertEquals("cancelled", t.getString("state"));
    assertEquals("CancelledError", t.getJsonArray("attempts").getJsonObject(0).getJsonObject("error").getString("type"),
        "the attempt that was running ends with the task");
  }

  @Test
  void timeoutMsBoundsTheWholeTaskAcrossAttempts() {
    String id = server.create(http(base + "/never").put("timeout_ms", 1_000)
        .put("retry", new JsonObject().put("max_attempts", 10))).getString("id");
    bounded(neverArrived.future());
    server.advance(1_000);
    JsonObject t = server.awaitDone(id);
    assertEquals("timed_out", t.getString("state"));
    bounded(neverClosed.future());
  }

  @Test
  void anEventbusTaskSucceedsWithTheReplyBody() {
    JsonObject t = run(new JsonObject().put("type", "eventbus").put("address", "svc.reply")
        .put("body", new JsonObject().put("order", 7)).put("headers", new JsonObject().put("k", "v")));
    assertEquals("succeeded", t.getString("state"));
    assertEquals(new JsonObject().put("got", new JsonObject().put("order", 7)).put("h", "v"), t.getJsonObject("result"));
  }

  @Test
  void eventbusFailuresAreThreeDistinctErrors() {
    JsonObject failed = run(new JsonObject().put("type", "eventbus").put("address", "svc.fail"));
    assertEquals("ReplyError", failed.getJsonObject("error").getString("type"));
    assertEquals(42, failed.getJsonObject("error").getJsonObject("data").getInteger("failure_code"));
    JsonObject absent = run(new JsonObject().put("type", "eventbus").put("address", "svc.absent"));
    assertEquals("NoHandlerError", absent.getJsonObject("error").getString("type"));
    JsonObject slow = run(new JsonObject().put("type", "eventbus").put("address", "svc.slow").put("attempt_timeout_ms", 100));
    assertEquals("TimeoutError", slow.getJsonObject("error").getString("type"));
  }

  @Test
  void anEventbusTaskRetriesUntilAConsumerAppears() {
    AtomicInteger seen = new AtomicInteger();
    String id = server.create(new JsonObject().put("type", "eventbus").put("address", "svc.late")
        .put("retry", new JsonObject().put("max_attempts", 50).put("backoff_ms", 20).put("multiplier", 1))).getString("id");
    TestServer.eventually("a first attempt fails", () -> server.task(id).getJsonArray("attempts").size() >= 2);
    MessageConsumer<Object> late = vertx.eventBus().consumer("svc.late", msg -> msg.reply("finally " + seen.incrementAndGet()));
    JsonObject t = server.awaitDone(id);
    assertEquals("finally 1", t.getString("result"));
    assertEquals("NoHandlerError", t.getJsonArray("attempts").getJsonObject(0).getJsonObject("error").getString("type"));
    bounded(late.unregister());
  }

  @Test
  void aWebhookIsRetriedUntilTheReceiverAcceptsAndNeverHoldsTheTask() {
    JsonObject t = run(new JsonObject().put("type", "sleep").put("delay_ms", 0).put("result", "r")
        .put("on_done", new JsonObject().put("url", base + "/hook").put("headers", new JsonObject().put("X-Sig", "s"))));
    assertEquals("succeeded", t.getString("state"), "the task finished before its hook was delivered");
    bounded(hookAccepted.future());
    assertEquals(3, hookCalls.get());
    assertEquals(t.getString("id"), hookBodies.get(2).getString("id"));
    assertEquals("succeeded", hookBodies.get(2).getString("state"));
  }

  @Test
  void aFailingHookNeverFailsOrLosesItsTask() {
    JsonObject t = run(new JsonObject().put("type", "sleep").put("delay_ms", 0)
        .put("on_done", new JsonObject().put("url", base + "/fail")));
    assertEquals("succeeded", t.getString("state"));
    assertEquals("succeeded", server.task(t.getString("id")).getString("state"));
  }

  @Test
  void finishedTasksArePublishedOnTheEventBus() {
    Promise<JsonObject> viaHook = Promise.promise();
    Promise<JsonObject> viaFeed = Promise.promise();
    vertx.eventBus().<JsonObject>consumer("orders.done", msg -> viaHook.tryComplete(msg.body()));
    vertx.eventBus().<JsonObject>consumer("taskloop.v1.task.done", msg -> {
      if ("published".equals(msg.body().getString("name"))) {
        viaFeed.tryComplete(msg.body());
      }
    });
    JsonObject t = run(new JsonObject().put("type", "sleep").put("delay_ms", 0).put("name", "published")
        .put("on_done", new JsonObject().put("address", "orders.done")));
    assertEquals(t.getString("id"), bounded(viaHook.future()).getString("id"));
    assertEquals("succeeded", bounded(viaFeed.future()).getString("state"));
  }

  @Test
  void badOutboundSpecsAreNamed() {
    server.post("/v1/tasks", http("not a url")).problem(422, "/request/url");
    server.post("/v1/tasks", http("ftp://127.0.0.1/x")).problem(422, "/request/url");
    server.post("/v1/tasks", http("/relative/path")).problem(422, "/request/url");
    server.post("/v1/tasks", http("http://169.254.169.254/latest/meta-data")).problem(400, "/request/url");
    server.post("/v1/tasks", new JsonObject().put("type", "http")).problem(422, "/request");
    server.post("/v1/tasks", new JsonObject().put("type", "http").put("request", new JsonObject().put("url", base)
        .put("method", "BREW"))).problem(422, "/request/method");
    server.post("/v1/tasks", http(base).put("retry", new JsonObject().put("max_attempts", 0))).problem(422, "/retry/max_attempts");
    server.post("/v1/tasks", http(base).put("retry", new JsonObject().put("multiplier", 0.5))).problem(422, "/retry/multiplier");
    server.post("/v1/tasks", http(base).put("retry", new JsonObject().put("on", new JsonArray().add("9xx")))).problem(422, "/retry/on/0");
    server.post("/v1/tasks", http(base).put("retry", new JsonObject().put("tries", 3))).problem(422, "/retry/tries");
    server.post("/v1/tasks", http(base).put("expect_status", new JsonArray().add(99))).problem(422, "/expect_status/0");
    server.post("/v1/tasks", http(base).put("attempt_timeout_ms", 0)).problem(422, "/attempt_timeout_ms");
    server.post("/v1/tasks", new JsonObject().put("type", "eventbus")).problem(422, "/address");
    server.post("/v1/tasks", new JsonObject().put("type", "eventbus").put("address", "has space")).problem(422, "/address");
    server.post("/v1/tasks", new JsonObject().put("type", "eventbus").put("address", "taskloop.loop.x.0")).problem(422, "/address");
    server.post("/v1/tasks", new JsonObject().put("type", "external").put("on_done", new JsonObject())).problem(422, "/on_done");
    server.post("/v1/tasks", new JsonObject().put("type", "external").put("on_done",
        new JsonObject().put("url", "http://169.254.169.254/"))).problem(400, "/on_done/url");
  }
}
