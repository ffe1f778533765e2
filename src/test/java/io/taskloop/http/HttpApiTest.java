package io.taskloop.http;

import static io.taskloop.support.TestServer.composite;
import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.single;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.TestServer;
import io.taskloop.support.TestServer.Resp;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The HTTP API's resources and headers, end to end over loopback. */
@ExtendWith(VertxExtension.class)
class HttpApiTest {

  private TestServer server;

  @BeforeEach
  void start(Vertx vertx) {
    server = TestServer.start(vertx, config("retention_ms", 60_000, "max_wait_ms", 3_000));
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  @Test
  void createAnswers201WithLocationAndTheTaskResource() {
    Resp r = server.post("/v1/tasks", sleep(500, "hi").put("name", "greeting").put("labels", new JsonObject().put("team", "a")));
    r.expect(201);
    JsonObject t = r.json();
    assertEquals("/v1/tasks/" + t.getString("id"), r.header("Location"));
    assertEquals("greeting", t.getString("name"));
    assertEquals("sleep", t.getString("type"));
    assertEquals("running", t.getString("state"));
    assertEquals(new JsonObject().put("type", "sleep").put("name", "greeting").put("labels", new JsonObject().put("team", "a"))
        .put("delay_ms", 500).put("result", "hi"), t.getJsonObject("spec"));
    assertFalse(t.containsKey("result"), "an unfinished task has no result yet");
    assertEquals(server.node.id(), t.getJsonObject("loop").getString("node"));
    assertEquals("2023-11-14T22:13:20Z", t.getString("created_at"));
  }

  @Test
  void preferWaitHoldsTheCreateUntilTheTaskIsDone() {
    Resp r = server.send(HttpMethod.POST, "/v1/tasks", sleep(0, "now"), Map.of("Prefer", "wait=2"));
    assertEquals("succeeded", r.expect(201).json().getString("state"));
    assertEquals("now", r.json().getString("result"));
    Resp q = server.post("/v1/tasks?wait=0.1", external()).expect(201);
    assertEquals("running", q.json().getString("state"), "the wait passed first");
  }

  @Test
  void timeoutSetsAnAbsoluteDeadline() {
    JsonObject t = server.create(external().put("timeout_ms", 1_500));
    assertEquals("2023-11-14T22:13:21.500Z", t.getString("deadline"));
  }

  @Test
  void gatherWaitAndWaitForAnswerInOneRoundTrip() {
    Resp g = server.post("/v1/gather", new JsonObject().put("tasks", new JsonArray().add(sleep(0, 1)).add(sleep(0, 2))));
    assertEquals(new JsonArray().add(1).add(2), g.expect(200).json().getJsonArray("result"));
    Resp w = server.post("/v1/wait", new JsonObject().put("tasks", new JsonArray().add(sleep(0, 1))));
    assertEquals(1, w.expect(200).json().getJsonObject("result").getJsonArray("done").size());
    Resp wf = server.post("/v1/wait_for", new JsonObject().put("task", sleep(0, "x")).put("timeout_ms", 100));
    assertEquals("x", wf.expect(200).json().getString("result"));
    server.post("/v1/gather", new JsonObject().put("type", "wait").put("tasks", new JsonArray())).problem(422, "/type");
  }

  @Test
  void oneRoundTripAnswers202WithLocationWhenTheWaitPassesFirst() {
    Resp r = server.post("/v1/gather?wait=0.2", composite("gather", external()));
    r.expect(202);
    assertEquals("/v1/tasks/" + r.json().getString("id"), r.header("Location"));
    assertEquals("running", r.json().getString("state"));
  }

  @Test
  void aFinishedTaskIsStillA200() {
    String id = server.create(external()).getString("id");
    server.post("/v1/tasks/" + id + "/fail", new JsonObject().put("error",
        new JsonObject().put("type", "PaymentDeclined").put("message", "card").put("data", new JsonObject().put("code", 51))))
        .expect(200);
    JsonObject t = server.get("/v1/tasks/" + id).expect(200).json();
    assertEquals("failed", t.getString("state"));
    assertEquals(new JsonObject().put("type", "PaymentDeclined").put("message", "card").put("data", new JsonObject().put("code", 51)),
        t.getJsonObject("error"));
  }

  @Test
  void idempotencyKeyReturnsTheSameTask() {
    Map<String, String> key = Map.of("Idempotency-Key", "charge-7");
    Resp first = server.post("/v1/tasks", external().put("name", "charge"), key).expect(201);
    Resp again = server.post("/v1/tasks", external().put("name", "charge"), key).expect(200);
    assertEquals(first.json().getString("id"), again.json().getString("id"));
    assertEquals("true", again.header("Idempotent-Replayed"));
    assertNull(first.header("Idempotent-Replayed"));
    Resp other = server.post("/v1/tasks", external().put("name", "charge"), Map.of("Idempotency-Key", "charge-8")).expect(201);
    assertFalse(other.json().getString("id").equals(first.json().getString("id")));
  }

  @Test
  void deleteRemovesAFinishedTask() {
    String id = server.create(sleep(0, null)).getString("id");
    server.awaitDone(id);
    server.delete("/v1/tasks/" + id).expect(204);
    server.get("/v1/tasks/" + id).problem(404, null);
  }

  @Test
  void listFiltersByStateTypeNameAndLabel() {
    server.create(external().put("name", "a").put("labels", new JsonObject().put("env", "prod")));
    server.create(external().put("name", "b").put("labels", new JsonObject().put("env", "dev")));
    String done = server.create(sleep(0, 1).put("name", "a")).getString("id");
    server.awaitDone(done);
    assertEquals(2, server.get("/v1/tasks?type=external").expect(200).items().size());
    assertEquals(1, server.get("/v1/tasks?state=succeeded").items().size());
    assertEquals(2, server.get("/v1/tasks?name=a").items().size());
    assertEquals(2, server.get("/v1/tasks?label=env").items().size());
    assertEquals(1, server.get("/v1/tasks?label=env=dev").items().size());
    assertEquals(1, server.get("/v1/tasks?name=a&state=running").items().size());
  }

  @Test
  void listPagesThroughEveryTaskOnceWithTheCursor() {
    Set<String> created = new HashSet<>();
    for (int i = 0; i < 23; i++) {
      created.add(server.sendFresh(HttpMethod.POST, "/v1/tasks", external()).expect(201).json().getString("id"));
    }
    Set<String> seen = new HashSet<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject page = server.get("/v1/tasks?limit=5" + (cursor == null ? "" : "&cursor=" + cursor)).expect(200).json();
      for (Object item : page.getJsonArray("items")) {
        assertTrue(seen.add(((JsonObject) item).getString("id")), "no task is listed twice");
      }
      cursor = page.getString("next_cursor");
      assertTrue(++pages <= 6, "paging ends");
    } while (cursor != null);
    assertEquals(created, seen);
  }

  @Test
  void eventsAreSetReadClearedAndListed() {
    JsonObject set = server.put("/v1/events/deploy-9", new JsonObject().put("payload", new JsonObject().put("v", 2)))
        .expect(200).json();
    assertTrue(set.getBoolean("set"));
    assertEquals(new JsonObject().put("v", 2), set.getJsonObject("payload"));
    assertNotNull(set.getString("set_at"));
    assertEquals(set.getJsonObject("payload"), server.get("/v1/events/deploy-9").expect(200).json().getJsonObject("payload"));
    server.put("/v1/events/other", null).expect(200);
    JsonArray items = server.get("/v1/events").expect(200).items();
    assertEquals(2, items.size());
    assertEquals("deploy-9", items.getJsonObject(0).getString("name"));
    server.delete("/v1/events/deploy-9").expect(204);
    server.delete("/v1/events/never-existed").expect(204);
    server.get("/v1/events/deploy-9").problem(404, null);
  }

  @Test
  void eventListPagesThroughEveryEventOnce() {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < 7; i++) {
      names.add("ev-" + i);
      server.put("/v1/events/ev-" + i, null).expect(200);
    }
    Set<String> seen = new HashSet<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject page = server.get("/v1/events?limit=2" + (cursor == null ? "" : "&cursor=" + cursor)).expect(200).json();
      page.getJsonArray("items").forEach(e -> assertTrue(seen.add(((JsonObject) e).getString("name"))));
      cursor = page.getString("next_cursor");
      assertTrue(++pages <= 4, "paging ends");
    } while (cursor != null);
    assertEquals(names, seen);
  }

  @Test
  void aJsonNullIsAnOmittedOptionalBody() {
    String id = server.create(external()).getString("id");
    server.post("/v1/tasks/" + id + "/complete", "null").expect(200);
    server.put("/v1/events/nothing-attached", "null").expect(200);
    server.post("/v1/tasks", "null").problem(422, "");
  }

  @Test
  void aBodySentAsAFormIsStillReadAsJson() {
    // curl -d sends application/x-www-form-urlencoded; a large body must not trip a form decoder.
    String big = "x".repeat(20_000);
    Resp r = server.send(HttpMethod.POST, "/v1/tasks", null, Map.of());
    r.problem(422, "");
    Resp form = server.sendRaw("/v1/tasks", sleep(0, big).encode(), "application/x-www-form-urlencoded");
    assertEquals(201, form.status(), form.raw());
  }

  @Test
  void anEventWaitIsAnsweredWhenItIsSet() throws Exception {
    var poll = java.util.concurrent.CompletableFuture.supplyAsync(() -> server.get("/v1/events/later?wait=3"));
    // The waiting reader brings the event into being; once it shows up, set it.
    JsonObject seen;
    int polls = 0;
    do {
      seen = server.get("/v1/events/later?wait=0").status() == 200 ? server.get("/v1/events/later").json() : null;
      assertTrue(++polls < 10_000, "the waiting reader shows up");
    } while (seen == null || seen.getInteger("waiters") == 0);
    server.put("/v1/events/later", new JsonObject().put("payload", "here")).expect(200);
    JsonObject answered = poll.get(TestServer.BOUND_S, java.util.concurrent.TimeUnit.SECONDS).expect(200).json();
    assertTrue(answered.getBoolean("set"));
    assertEquals("here", answered.getString("payload"));
  }

  @Test
  void finishedTasksAreEvictedAfterTheRetention() {
    String id = server.create(sleep(0, 1)).getString("id");
    server.awaitDone(id);
    String running = server.create(external()).getString("id");
    server.advance(59_999);
    server.get("/v1/tasks/" + id).expect(200);
    server.advance(1);
    server.get("/v1/tasks/" + id).problem(404, null);
    server.get("/v1/tasks/" + running).expect(200);
    JsonObject node = server.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0);
    assertEquals(1, node.getLong("tasks_held"), "eviction frees the slot");
  }

  @Test
  void clusterShowsThisNodesLoopsAndCounts() {
    server.create(external());
    JsonObject c = server.get("/v1/cluster").expect(200).json();
    assertEquals("none", c.getString("mode"));
    JsonObject node = c.getJsonArray("nodes").getJsonObject(0);
    assertEquals(server.node.id(), node.getString("id"));
    assertEquals(3, node.getJsonArray("loops").size());
    int held = 0;
    for (Object loop : node.getJsonArray("loops")) {
      held += ((JsonObject) loop).getInteger("tasks_held");
    }
    assertEquals(1, held);
    assertNotNull(node.getJsonObject("timer_lateness"));
    assertEquals(0L, node.getLong("adopted"), "a node alone adopts nothing");
  }

  @Test
  void recentTimerLatenessCoversTheLastTenToTwentySecondsOnly() {
    for (int i = 0; i < 3; i++) {
      server.create(sleep(1_000, i));
    }
    server.advance(1_000);
    JsonObject node = server.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0);
    assertEquals(3L, node.getJsonObject("timer_lateness").getLong("count"), node::encode);
    assertEquals(3L, node.getJsonObject("timer_lateness_recent").getLong("count"), node::encode);
    server.advance(10_000); // a new window began; the three are in the older one
    node = server.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0);
    assertEquals(3L, node.getJsonObject("timer_lateness_recent").getLong("count"), node::encode);
    server.advance(20_000);
    node = server.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0);
    assertEquals(0L, node.getJsonObject("timer_lateness_recent").getLong("count"), "past 20 s they are dropped: " + node.encode());
    assertEquals(3L, node.getJsonObject("timer_lateness").getLong("count"), "since start they stay");
  }

  @Test
  void healthAndContractAreServed() {
    assertEquals("UP", server.get("/health/live").expect(200).json().getString("status"));
    assertEquals("UP", server.get("/health/ready").expect(200).json().getString("status"));
    Resp spec = server.get("/openapi.yaml").expect(200);
    assertTrue(spec.raw().startsWith("openapi: 3.1"));
    assertTrue(spec.header("Content-Type").startsWith("application/yaml"));
  }

  @Test
  void waitForGivenByIdWaitsOnAnExistingTask() {
    String ext = server.create(external()).getString("id");
    Resp r = server.post("/v1/wait_for?wait=0", single("wait_for", ext).put("timeout_ms", 1_000)).expect(202);
    server.post("/v1/tasks/" + ext + "/complete", new JsonObject().put("result", "done")).expect(200);
    assertEquals("done", server.awaitDone(r.json().getString("id")).getString("result"));
  }
}
