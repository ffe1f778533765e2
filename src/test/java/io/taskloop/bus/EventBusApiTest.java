package io.taskloop.bus;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.composite;
import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.event;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.TestServer;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The event-bus API as a producer sees it: a separate verticle that knows only the documented
 * address strings (literals here, not {@link Addresses}, so the contract in
 * {@code docs/eventbus-api.md} is what is tested). HTTP checks the effects.
 */
@ExtendWith(VertxExtension.class)
class EventBusApiTest {

  private static final String CREATE = "taskloop.v1.tasks.create";
  private static final String GET = "taskloop.v1.tasks.get";
  private static final String CANCEL = "taskloop.v1.tasks.cancel";
  private static final String COMPLETE = "taskloop.v1.tasks.complete";
  private static final String FAIL = "taskloop.v1.tasks.fail";
  private static final String SET = "taskloop.v1.events.set";
  private static final String CLEAR = "taskloop.v1.events.clear";

  private TestServer server;
  private Producer producer;

  /** A service that does not speak HTTP: it sends requests from its own context. */
  static final class Producer extends VerticleBase {

    Future<Message<Object>> request(String address, Object body, DeliveryOptions options) {
      Promise<Message<Object>> reply = Promise.promise();
      context.runOnContext(v -> vertx.eventBus().<Object>request(address, body, options).onComplete(reply));
      return reply.future();
    }
  }

  @BeforeEach
  void start(Vertx vertx) {
    server = TestServer.start(vertx, config("max_wait_ms", 3_000));
    producer = new Producer();
    bounded(vertx.deployVerticle(producer));
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  // ------------------------------------------------------------------ tasks

  @Test
  void createGetAndCompleteAnswerTheTaskJsonHttpAnswers() {
    Message<Object> created = request(CREATE, external().put("name", "charge-42"));
    assertEquals("true", created.headers().get("created"));
    JsonObject task = (JsonObject) created.body();
    String id = task.getString("id");
    assertEquals("running", task.getString("state"));
    assertEquals("charge-42", task.getString("name"));
    assertEquals(server.task(id), ask(GET, new JsonObject().put("id", id)));

    JsonObject result = new JsonObject().put("charged", true).put("amount", 42);
    JsonObject done = ask(COMPLETE, new JsonObject().put("id", id).put("result", result));
    assertEquals("succeeded", done.getString("state"));
    assertEquals(result, done.getJsonObject("result"));
    assertEquals(server.task(id), done);
  }

  @Test
  void aCreateMayBeDelayedAsOverHttp() {
    JsonObject task = ask(CREATE, TestServer.sleep(0, "later").put("start_in_ms", 250));
    assertEquals("pending", task.getString("state"));
    assertEquals(java.time.Instant.ofEpochMilli(TestServer.START + 250).toString(), task.getString("start_at"));
    server.advance(250);
    assertEquals("later", server.awaitDone(task.getString("id")).getString("result"));
    refused(422, CREATE, TestServer.sleep(0, null).put("start_in_ms", -5));
  }

  @Test
  void failGivesTheTaskTheProducersError() {
    String id = ask(CREATE, external()).getString("id");
    JsonObject error = new JsonObject().put("type", "CardDeclined").put("message", "insufficient funds")
        .put("data", new JsonObject().put("code", 51));
    JsonObject failed = ask(FAIL, new JsonObject().put("id", id).put("error", error));
    assertEquals("failed", failed.getString("state"));
    assertEquals(error, failed.getJsonObject("error"));
    assertEquals(server.task(id), failed);
  }

  @Test
  void cancelEndsTheTaskCancelled() {
    String id = ask(CREATE, external()).getString("id");
    JsonObject cancelled = ask(CANCEL, new JsonObject().put("id", id));
    assertEquals("cancelled", cancelled.getString("state"));
    assertEquals("CancelledError", cancelled.getJsonObject("error").getString("type"));
    assertEquals("cancelled", server.task(id).getString("state"));
    refused(409, CANCEL, new JsonObject().put("id", id));
  }

  @Test
  void idempotencyKeyReplaysTheTaskAndSaysItWasNotCreated() {
    DeliveryOptions keyed = new DeliveryOptions().addHeader("Idempotency-Key", "order-9");
    Message<Object> first = request(CREATE, external(), keyed);
    Message<Object> again = request(CREATE, external(), new DeliveryOptions().addHeader("Idempotency-Key", "order-9"));
    assertEquals("true", first.headers().get("created"));
    assertEquals("false", again.headers().get("created"));
    assertEquals(((JsonObject) first.body()).getString("id"), ((JsonObject) again.body()).getString("id"));
    JsonObject p = refused(422, CREATE, sleep(1, null), new DeliveryOptions().addHeader("Idempotency-Key", "order-9"));
    assertEquals("Idempotency-Key", p.getString("parameter"));
  }

  @Test
  void waitHeaderHoldsTheCreateReplyUntilTheTaskIsDone() {
    JsonObject t = ask(CREATE, sleep(0, "now"), new DeliveryOptions().addHeader("wait", "2"));
    assertEquals("succeeded", t.getString("state"));
    assertEquals("now", t.getString("result"));
  }

  @Test
  void everyLoopConsumesTheAddresses() {
    // Point-to-point requests go round-robin over the consumers; without a key a task stays on the loop that took it.
    Set<Integer> loops = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      loops.add(ask(CREATE, external()).getJsonObject("loop").getInteger("index"));
    }
    assertEquals(Set.of(0, 1, 2), loops);
  }

  // ------------------------------------------------------------------ events

  @Test
  void settingAnEventWakesAnEventTaskCreatedOverTheBus() {
    String id = ask(CREATE, event("deploy-7")).getString("id");
    JsonObject payload = new JsonObject().put("version", 7);
    JsonObject set = ask(SET, new JsonObject().put("name", "deploy-7").put("payload", payload));
    assertEquals("deploy-7", set.getString("name"));
    assertTrue(set.getBoolean("set"));
    assertEquals(payload, set.getJsonObject("payload"));

    JsonObject done = ask(GET, new JsonObject().put("id", id).put("wait", 5));
    assertEquals("succeeded", done.getString("state"), done::encode);
    assertEquals(payload, done.getJsonObject("result"));
  }

  @Test
  void clearingAnEventUnsetsIt() {
    ask(SET, new JsonObject().put("name", "maintenance"));
    assertTrue(server.get("/v1/events/maintenance").expect(200).json().getBoolean("set"));
    assertEquals(new JsonObject(), ask(CLEAR, new JsonObject().put("name", "maintenance")));
    server.get("/v1/events/maintenance").problem(404, null);
    assertEquals(new JsonObject(), ask(CLEAR, new JsonObject().put("name", "never-set")), "clearing an unknown event is a no-op");
  }

  // ------------------------------------------------------------------ failures

  @Test
  void anInvalidSpecIsA422WithThePointerToTheField() {
    JsonObject p = refused(422, CREATE, new JsonObject().put("type", "sleep"));
    assertEquals("/delay_ms", p.getString("pointer"));
    assertEquals("urn:taskloop:problem:invalid-field", p.getString("type"));
    JsonObject nested = refused(422, CREATE, composite("gather", sleep(1, null), new JsonObject().put("type", "sleep")));
    assertEquals("/tasks/1/delay_ms", nested.getString("pointer"));
  }

  @Test
  void invalidFieldsAndHeadersAre422sThatSayWhere() {
    assertEquals("/id", refused(422, GET, new JsonObject()).getString("pointer"));
    assertEquals("/id", refused(422, COMPLETE, new JsonObject().put("id", 7)).getString("pointer"));
    assertEquals("/wait", refused(422, GET, new JsonObject().put("id", "x").put("wait", "soon")).getString("pointer"));
    String id = ask(CREATE, external()).getString("id");
    JsonObject badError = new JsonObject().put("id", id).put("error", new JsonObject().put("message", "no type"));
    assertEquals("/error/type", refused(422, FAIL, badError).getString("pointer"));
    assertEquals("/error", refused(422, FAIL, new JsonObject().put("id", id)).getString("pointer"));
    assertEquals("/name", refused(422, SET, new JsonObject().put("name", "-bad name")).getString("pointer"));
    assertEquals("/name", refused(422, CLEAR, new JsonObject()).getString("pointer"));
    assertEquals("wait", refused(422, CREATE, external(), new DeliveryOptions().addHeader("wait", "soon")).getString("parameter"));
    assertEquals("Idempotency-Key",
        refused(422, CREATE, external(), new DeliveryOptions().addHeader("Idempotency-Key", " ")).getString("parameter"));
    assertEquals("running", server.task(id).getString("state"), "a refused request changes nothing");
  }

  @Test
  void anUnknownIdIsA404() {
    JsonObject p = refused(404, GET, new JsonObject().put("id", "nope-0-1"));
    assertEquals("urn:taskloop:problem:not-found", p.getString("type"));
    refused(404, COMPLETE, new JsonObject().put("id", server.node.id() + "-0-999999"));
  }

  @Test
  void completingTwiceIsA409() {
    String id = ask(CREATE, external()).getString("id");
    ask(COMPLETE, new JsonObject().put("id", id).put("result", 1));
    JsonObject p = refused(409, COMPLETE, new JsonObject().put("id", id).put("result", 2));
    assertEquals("urn:taskloop:problem:state-conflict", p.getString("type"));
    assertEquals(1, server.task(id).getInteger("result"), "the first completion stands");
    String sleeper = ask(CREATE, sleep(60_000, null)).getString("id");
    refused(409, COMPLETE, new JsonObject().put("id", sleeper)); // only external tasks are completed from outside
  }

  @Test
  void aBodyThatIsNotAJsonObjectIsA400OnEveryAddress() {
    for (String address : List.of(CREATE, GET, CANCEL, COMPLETE, FAIL, SET, CLEAR)) {
      JsonObject p = refused(400, address, "{\"type\":\"external\"}");
      assertEquals("urn:taskloop:problem:malformed-json", p.getString("type"));
    }
    refused(400, CREATE, new JsonArray().add(external()));
  }

  @Test
  void limitsAre413And429(Vertx vertx) {
    server.stop();
    server = TestServer.start(vertx, config("max_tasks", 1, "max_children", 2));
    assertEquals("/tasks", refused(413, CREATE, composite("gather", sleep(1, null), sleep(1, null), sleep(1, null)))
        .getString("pointer"));
    ask(CREATE, external());
    refused(429, CREATE, external());
  }

  // ------------------------------------------------------------------ schedules

  @Test
  void schedulesAreMadeTriggeredPausedListedAndDeletedOnTheBus() {
    JsonObject made = ask("taskloop.v1.schedules.create", new JsonObject().put("id", "bus-nightly")
        .put("cron", "30 2 * * *").put("time_zone", "Europe/Berlin").put("task", sleep(0, "night")));
    assertEquals("bus-nightly", made.getString("id"));
    assertEquals(5, made.getJsonArray("next_fires").size());
    refused(409, "taskloop.v1.schedules.create", new JsonObject().put("id", "bus-nightly").put("cron", "* * * * *")
        .put("task", sleep(0, null)));
    JsonObject bad = refused(422, "taskloop.v1.schedules.create", new JsonObject().put("cron", "* * * * *")
        .put("task", new JsonObject().put("type", "sleep")));
    assertEquals("/task/delay_ms", bad.getString("pointer"));

    JsonObject run = ask("taskloop.v1.schedules.trigger", new JsonObject().put("id", "bus-nightly"));
    assertEquals("fired", run.getString("outcome"));
    JsonObject task = server.awaitDone(run.getString("task_id"));
    assertEquals("night", task.getString("result"));
    assertEquals("bus-nightly", task.getJsonObject("schedule").getString("id"));

    assertEquals(true, ask("taskloop.v1.schedules.pause", new JsonObject().put("id", "bus-nightly")).getBoolean("paused"));
    assertEquals(false, ask("taskloop.v1.schedules.resume", new JsonObject().put("id", "bus-nightly")).getBoolean("paused"));
    JsonObject replaced = ask("taskloop.v1.schedules.replace", new JsonObject().put("id", "bus-nightly")
        .put("every_ms", 60_000).put("task", sleep(0, "often")));
    assertEquals(60_000L, replaced.getLong("every_ms"));
    assertEquals("bus-nightly", ask("taskloop.v1.schedules.get", new JsonObject().put("id", "bus-nightly")).getString("id"));
    JsonObject page = ask("taskloop.v1.schedules.list", new JsonObject().put("limit", 10));
    assertEquals(1, page.getJsonArray("items").size());
    assertEquals(null, page.getString("next_cursor"));
    ask("taskloop.v1.schedules.delete", new JsonObject().put("id", "bus-nightly"));
    refused(404, "taskloop.v1.schedules.get", new JsonObject().put("id", "bus-nightly"));
    refused(422, "taskloop.v1.schedules.get", new JsonObject());
  }

  // ------------------------------------------------------------------ helpers

  private Message<Object> request(String address, Object body) {
    return request(address, body, new DeliveryOptions());
  }

  private Message<Object> request(String address, Object body, DeliveryOptions options) {
    return bounded(producer.request(address, body, options.setSendTimeout(10_000)));
  }

  private JsonObject ask(String address, Object body) {
    return ask(address, body, new DeliveryOptions());
  }

  private JsonObject ask(String address, Object body, DeliveryOptions options) {
    Object reply = request(address, body, options).body();
    return assertInstanceOf(JsonObject.class, reply, () -> "reply body from " + address);
  }

  private JsonObject refused(int status, String address, Object body) {
    return refused(status, address, body, new DeliveryOptions());
  }

  /** Asserts a reply failure with code {@code status} whose message is the problem JSON. */
  private JsonObject refused(int status, String address, Object body, DeliveryOptions options) {
    Future<Message<Object>> reply = producer.request(address, body, options.setSendTimeout(10_000));
    AsyncResult<Message<Object>> ar = bounded(reply.transform(Future::succeededFuture));
    assertTrue(ar.failed(), () -> "expected a failure from " + address + ", got " + ar.result().body());
    return problem(status, address, ar.cause());
  }

  private static JsonObject problem(int status, String address, Throwable cause) {
    ReplyException e = assertInstanceOf(ReplyException.class, cause);
    assertEquals(ReplyFailure.RECIPIENT_FAILURE, e.failureType(), e::getMessage);
    assertEquals(status, e.failureCode(), e::getMessage);
    JsonObject p = new JsonObject(e.getMessage());
    assertEquals(status, p.getInteger("status"));
    assertEquals(address, p.getString("instance"));
    return p;
  }
}
