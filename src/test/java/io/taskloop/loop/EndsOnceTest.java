package io.taskloop.loop;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.composite;
import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.external;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.SseClient;
import io.taskloop.support.TestServer;
import io.taskloop.support.Watching;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A task ends once, the way its first ender says, and every watcher sees that one end: a long
 * poll open when it ends, the task's stream, the node's stream, a webhook receiver, a consumer
 * of {@code taskloop.v1.task.done}, and a later GET all agree on state and version. The
 * outbound work is really in flight when the task ends: a server that holds its requests, a
 * consumer that never replies. One loop, so every task and its watchers share it.
 */
@ExtendWith(VertxExtension.class)
class EndsOnceTest {

  private static final String SILENT = "ends-once.silent";

  private Vertx vertx;
  private TestServer server;
  private Watching watching;
  private HttpServer slow;
  private MessageConsumer<Object> silent;
  private final List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
  private final List<Message<Object>> unanswered = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    server = TestServer.start(vertx, config("loops", 1));
    watching = Watching.start(vertx, server);
    slow = bounded(vertx.createHttpServer().requestHandler(held::add).listen(0, "127.0.0.1"));
    silent = vertx.eventBus().consumer(SILENT, unanswered::add);
    bounded(silent.completion());
  }

  @AfterEach
  void stop() {
    held.forEach(r -> r.response().setStatusCode(200).end());
    watching.close();
    bounded(silent.unregister());
    bounded(slow.close());
    server.stop();
  }

  private JsonObject slowHttp() {
    return new JsonObject().put("type", "http")
        .put("request", new JsonObject().put("method", "GET").put("url", "http://127.0.0.1:" + slow.actualPort() + "/slow"))
        .put("attempt_timeout_ms", 30_000)
        .put("on_done", new JsonObject().put("url", watching.hookUrl()));
  }

  private JsonObject silentEventbus() {
    return new JsonObject().put("type", "eventbus").put("address", SILENT).put("attempt_timeout_ms", 30_000)
        .put("on_done", new JsonObject().put("url", watching.hookUrl()));
  }

  private JsonObject withHook(JsonObject spec) {
    return spec.put("on_done", new JsonObject().put("url", watching.hookUrl()));
  }

  @Test
  void anHttpTaskWhoseTimeoutPassesEndsTimedOutOnceAsEveryWatcherSees() {
    String id = server.create(slowHttp().put("timeout_ms", 300)).getString("id");
    TestServer.within(10, "the request reaches the server", () -> held.size() == 1);
    endsAsWatched(id, "timed_out", "TimeoutError", 0, () -> server.advance(300));
    assertEquals(1.0, finishedCount("http", "timed_out"), "the finish is counted once");
  }

  @Test
  void anEventbusTaskWhoseTimeoutPassesEndsTimedOutOnce() {
    String id = server.create(silentEventbus().put("timeout_ms", 300)).getString("id");
    TestServer.within(10, "the request reaches the consumer", () -> unanswered.size() == 1);
    endsAsWatched(id, "timed_out", "TimeoutError", 0, () -> server.advance(300));
    assertEquals(1.0, finishedCount("eventbus", "timed_out"));
  }

  @Test
  void cancellingAnHttpTaskInFlightEndsItCancelledAndAGatherOverItToo() {
    String id = server.create(slowHttp()).getString("id");
    String gather = server.create(withHook(composite("gather", id))).getString("id");
    String other = server.create(external()).getString("id");
    JsonObject firstException = composite("wait", id, other).put("return_when", "FIRST_EXCEPTION");
    String wait = server.create(withHook(firstException)).getString("id");
    TestServer.within(10, "the request reaches the server", () -> held.size() == 1);

    Future<JsonObject> gatherPoll = watching.longPoll(gather);
    watching.awaitWaiting(1);
    endsAsWatched(id, "cancelled", "CancelledError", 1,
        () -> server.post("/v1/tasks/" + id + "/cancel", null).expect(200));
    JsonObject gathered = bounded(gatherPoll);
    assertEquals("cancelled", gathered.getString("state"), gathered::encode);
    assertEquals("CancelledError", gathered.getJsonObject("error").getString("type"));

    // The gather heard of the cancel on this loop, so the wait has too: a cancel is not an exception.
    assertEquals("running", server.task(wait).getString("state"), "wait(FIRST_EXCEPTION) does not count a cancel");
    Future<JsonObject> waitPoll = watching.longPoll(wait);
    watching.awaitWaiting(1);
    server.post("/v1/tasks/" + other + "/complete", new JsonObject()).expect(200);
    JsonObject waited = bounded(waitPoll);
    assertEquals("succeeded", waited.getString("state"));
    assertEquals(new JsonArray().add(id).add(other), waited.getJsonObject("result").getJsonArray("done"));

    watching.settle(1);
    for (String task : List.of(id, gather, wait)) {
      assertEquals(1, watching.published(task).size(), task + " is published once");
      assertEquals(1, watching.webhooks(task).size(), task + "'s webhook fires once");
      assertEquals(1, watching.streamedEnds(task).size(), task + "'s end is streamed once");
    }
  }

  /**
   * Opens a long poll and the task's stream (beside {@code othersWaiting} polls already open),
   * lets {@code end} end the task, and checks that the
   * poll, both streams, the webhook, the publication and a later GET all saw one end, the same.
   */
  private void endsAsWatched(String id, String state, String errorType, int othersWaiting, Runnable end) {
    long opening = System.nanoTime();
    SseClient stream = SseClient.open(vertx, server.node.port(), "/v1/tasks/" + id + "/stream", Map.of());
    long headMs = (System.nanoTime() - opening) / 1_000_000;
    JsonObject first = stream.next().json();
    long firstMs = (System.nanoTime() - opening) / 1_000_000;
    assertEquals("running", first.getString("state"), () -> "the stream's first event, its head " + headMs
        + " ms and this event " + firstMs + " ms after it was opened: " + first.encode());
    Future<JsonObject> poll = watching.longPoll(id);
    watching.awaitWaiting(othersWaiting + 1);

    end.run();

    JsonObject polled = bounded(poll);
    assertEquals(state, polled.getString("state"), polled::encode);
    assertEquals(errorType, polled.getJsonObject("error").getString("type"), polled::encode);
    JsonObject streamedEnd = stream.next().json();
    assertEquals(state, streamedEnd.getString("state"));
    assertEquals(polled.getInteger("version"), streamedEnd.getInteger("version"), "the stream and the poll agree");
    assertTrue(stream.ends(), "the task's stream ends with the task");
    stream.close();
    JsonObject later = server.task(id);
    assertEquals(state, later.getString("state"));
    assertEquals(polled.getInteger("version"), later.getInteger("version"), "a later GET agrees on the version");

    watching.settle(1);
    assertEquals(1, watching.published(id).size(), "published once on taskloop.v1.task.done");
    assertEquals(polled.getInteger("version"), watching.published(id).get(0).getInteger("version"));
    assertEquals(1, watching.webhooks(id).size(), "on_done fires once");
    assertEquals(state, watching.webhooks(id).get(0).getString("state"));
    assertEquals(1, watching.streamedEnds(id).size(), "the node's stream shows one end");
    if (polled.containsKey("attempts")) {
      JsonObject attempt = polled.getJsonArray("attempts").getJsonObject(0);
      assertEquals(errorType, attempt.getJsonObject("error").getString("type"), "the open attempt ends as the task did");
    }
  }

  private double finishedCount(String type, String state) {
    String metrics = server.get("/metrics").raw();
    for (String line : metrics.split("\n")) {
      if (line.startsWith("taskloop_tasks_finished_total{") && line.contains("type=\"" + type + "\"")
          && line.contains("state=\"" + state + "\"")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("no finished counter for " + type + "/" + state);
  }
}
