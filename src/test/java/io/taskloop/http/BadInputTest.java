package io.taskloop.http;

import static io.taskloop.support.TestServer.composite;
import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.single;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every kind of bad input gets a problem+json 4xx that points at the field; never a 500 or a hang. */
@ExtendWith(VertxExtension.class)
class BadInputTest {

  private TestServer server;

  @BeforeEach
  void start(Vertx vertx) {
    server = TestServer.start(vertx, config("max_body_bytes", 4096, "max_children", 5, "max_depth", 3,
        "max_tasks", 12, "max_wait_ms", 2_000));
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  @Test
  void malformedJsonIsA400() {
    server.post("/v1/tasks", "{\"type\": \"sleep\",").problem(400, null);
    server.post("/v1/tasks", "not json at all").problem(400, null);
  }

  @Test
  void aBodyThatIsNotAnObjectIsA422AtTheRoot() {
    server.post("/v1/tasks", "[1,2]").problem(422, "");
    server.post("/v1/tasks", "").problem(422, "");
  }

  @Test
  void unknownOrMissingTypeNamesTheTypeField() {
    server.post("/v1/tasks", new JsonObject().put("type", "coroutine")).problem(422, "/type");
    server.post("/v1/tasks", new JsonObject().put("delay_ms", 5)).problem(422, "/type");
    server.post("/v1/tasks", new JsonObject().put("type", 7)).problem(422, "/type");
  }

  @Test
  void missingNegativeOrMistypedFieldsAreNamed() {
    server.post("/v1/tasks", new JsonObject().put("type", "sleep")).problem(422, "/delay_ms");
    server.post("/v1/tasks", sleep(-1, null)).problem(422, "/delay_ms");
    server.post("/v1/tasks", new JsonObject().put("type", "sleep").put("delay_ms", "10")).problem(422, "/delay_ms");
    server.post("/v1/tasks", new JsonObject().put("type", "sleep").put("delay_ms", 1.5)).problem(422, "/delay_ms");
    server.post("/v1/tasks", external().put("timeout_ms", -5)).problem(422, "/timeout_ms");
    server.post("/v1/tasks", external().put("name", "")).problem(422, "/name");
    server.post("/v1/tasks", external().put("labels", new JsonObject().put("team", 3))).problem(422, "/labels/team");
    server.post("/v1/tasks", new JsonObject().put("type", "event")).problem(422, "/event");
    server.post("/v1/tasks", new JsonObject().put("type", "event").put("event", "has space")).problem(422, "/event");
    server.post("/v1/tasks", external().put("delay_ms", 5)).problem(422, "/delay_ms");
    server.post("/v1/tasks", composite("wait")).problem(422, "/tasks");
    server.post("/v1/tasks", composite("wait", external()).put("return_when", "FIRST")).problem(422, "/return_when");
    server.post("/v1/tasks", composite("gather", external()).put("return_exceptions", "yes")).problem(422, "/return_exceptions");
    server.post("/v1/tasks", new JsonObject().put("type", "shield")).problem(422, "/task");
    server.post("/v1/tasks", new JsonObject().put("type", "gather")).problem(422, "/tasks");
  }

  @Test
  void anExplicitNullIsNotAnAbsentField() {
    server.post("/v1/tasks", external().putNull("name")).problem(422, "/name");
    server.post("/v1/tasks", external().putNull("timeout_ms")).problem(422, "/timeout_ms");
    server.post("/v1/gather", new JsonObject().putNull("type").put("tasks", new JsonArray())).problem(422, "/type");
    server.post("/v1/tasks", sleep(1, null).putNull("result")).expect(201);
  }

  @Test
  void aBadChildIsNamedByItsPathInTheTree() {
    server.post("/v1/tasks", composite("gather", external(), composite("wait", sleep(1, null), sleep(-3, null))))
        .problem(422, "/tasks/1/tasks/1/delay_ms");
    server.post("/v1/tasks", single("wait_for", 42)).problem(422, "/task");
    server.post("/v1/tasks", composite("gather", external(), "not an id")).problem(422, "/tasks/1");
  }

  @Test
  void anUnknownChildIdIsA422AndCreatesNothing() {
    long before = server.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0).getLong("tasks_held");
    String unknown = server.node.id() + "-0-999999";
    server.post("/v1/tasks", composite("gather", external(), unknown)).problem(422, "/tasks/1");
    server.post("/v1/tasks", composite("gather", "zzzzzz-0-1")).problem(422, "/tasks/0");
    long after = server.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0).getLong("tasks_held");
    assertEquals(before, after);
  }

  @Test
  void unknownTasksAndEventsAre404() {
    server.get("/v1/tasks/" + server.node.id() + "-1-424242").problem(404, null);
    server.get("/v1/tasks/not-a-task").problem(404, null);
    server.post("/v1/tasks/" + server.node.id() + "-9-1/cancel", null).problem(404, null);
    server.post("/v1/tasks/zzzzzz-0-1/complete", new JsonObject()).problem(404, null);
    server.delete("/v1/tasks/zzzzzz-0-1").problem(404, null);
    server.get("/v1/events/never-set").problem(404, null);
  }

  @Test
  void stateConflictsAre409() {
    String ext = server.create(external()).getString("id");
    String sleeper = server.create(sleep(60_000, null)).getString("id");
    server.delete("/v1/tasks/" + ext).problem(409, null);
    server.post("/v1/tasks/" + sleeper + "/complete", new JsonObject().put("result", 1)).problem(409, null);
    server.post("/v1/tasks/" + ext + "/complete", new JsonObject().put("result", 1)).expect(200);
    server.post("/v1/tasks/" + ext + "/complete", new JsonObject().put("result", 2)).problem(409, null);
    server.post("/v1/tasks/" + ext + "/cancel", null).problem(409, null);
  }

  @Test
  void failNeedsAnErrorWithAType() {
    String ext = server.create(external()).getString("id");
    server.post("/v1/tasks/" + ext + "/fail", new JsonObject()).problem(422, "/error");
    server.post("/v1/tasks/" + ext + "/fail", new JsonObject().put("error", new JsonObject().put("message", "m")))
        .problem(422, "/error/type");
    server.post("/v1/tasks/" + ext + "/fail", new JsonObject().put("error", new JsonObject().put("type", "E").put("code", 1)))
        .problem(422, "/error/code");
    assertEquals("running", server.task(ext).getString("state"), "a rejected fail leaves the task as it was");
  }

  @Test
  void aBodyOverTheLimitIsA413() {
    String big = "x".repeat(5_000);
    server.post("/v1/tasks", sleep(1, big)).problem(413, null);
    server.put("/v1/events/big", new JsonObject().put("payload", big)).problem(413, null);
  }

  @Test
  void tooManyChildrenIsA413AtTheList() {
    JsonArray six = new JsonArray();
    for (int i = 0; i < 6; i++) {
      six.add(sleep(0, i));
    }
    server.post("/v1/tasks", new JsonObject().put("type", "gather").put("tasks", six)).problem(413, "/tasks");
    server.post("/v1/gather", new JsonObject().put("tasks", six)).problem(413, "/tasks");
  }

  @Test
  void tooDeepANestingIsA413() {
    JsonObject deep = single("shield", single("shield", single("shield", external())));
    server.post("/v1/tasks", deep).problem(413, "/task/task/task");
  }

  @Test
  void aWaitOverTheLimitIsA422ButAPreferenceIsCapped() {
    String id = server.create(external()).getString("id");
    server.get("/v1/tasks/" + id + "?wait=3").problem(422, "wait");
    server.get("/v1/tasks/" + id + "?wait=-1").problem(422, "wait");
    server.get("/v1/tasks/" + id + "?wait=soon").problem(422, "wait");
    server.get("/v1/events/e1?wait=100").problem(422, "wait");
    server.post("/v1/gather?wait=9", composite("gather", external())).problem(422, "wait");
    // Prefer: wait=3 is capped to the 2 s limit: the answer comes, still running.
    TestServer.Resp capped = server.send(HttpMethod.GET, "/v1/tasks/" + id, null, Map.of("Prefer", "wait=3"));
    assertEquals("running", capped.expect(200).json().getString("state"));
    server.send(HttpMethod.GET, "/v1/tasks/" + id, null, Map.of("Prefer", "wait=never")).problem(422, "Prefer");
  }

  @Test
  void tooManyTasksHeldIsA429WithRetryAfterAndLosesNothing() {
    for (int i = 0; i < 10; i++) {
      server.create(external());
    }
    // 12 is the cap: a gather of 2 children makes 3 tasks, which does not fit.
    TestServer.Resp refused = server.post("/v1/tasks", composite("gather", external(), external()));
    refused.problem(429, null);
    assertTrue(Long.parseLong(refused.header("Retry-After")) >= 1);
    server.create(external());
    server.create(external());
    server.post("/v1/tasks", external()).problem(429, null);
    JsonObject node = server.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0);
    assertEquals(12, node.getLong("tasks_held"));
    assertEquals(12, server.get("/v1/tasks?limit=100").json().getJsonArray("items").size(), "every accepted task is there");
  }

  @Test
  void badListParametersAreNamed() {
    server.get("/v1/tasks?limit=0").problem(422, "limit");
    server.get("/v1/tasks?limit=abc").problem(422, "limit");
    server.get("/v1/tasks?state=sleeping").problem(422, "state");
    server.get("/v1/tasks?type=coroutine").problem(422, "type");
    server.get("/v1/tasks?cursor=%%%").problem(400, null);
    server.get("/v1/tasks?cursor=bm9wZQ").problem(422, "cursor");
    server.get("/v1/events?limit=5000").problem(422, "limit");
  }

  @Test
  void anIdempotencyKeyReusedWithAnotherBodyIsA422() {
    Map<String, String> key = Map.of("Idempotency-Key", "order-1");
    server.post("/v1/tasks", external(), key).expect(201);
    server.post("/v1/tasks", sleep(1, null), key).problem(422, "Idempotency-Key");
    server.post("/v1/tasks", external(), Map.of("Idempotency-Key", "k".repeat(201))).problem(422, "Idempotency-Key");
  }

  @Test
  void unknownRoutesAndMethodsAreProblemsToo() {
    server.get("/v2/tasks").problem(404, null);
    server.send(HttpMethod.PATCH, "/v1/tasks", null, Map.of()).problem(405, null);
    server.put("/v1/events/bad%20name", null).problem(422, "name");
  }
}
