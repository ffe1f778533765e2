package io.taskloop.http;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.composite;
import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.single;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.taskloop.task.Problem;
import io.taskloop.support.SseClient;
import io.taskloop.support.TestServer;
import io.taskloop.support.TestServer.Resp;
import io.taskloop.task.SpecDecoder;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.junit5.VertxExtension;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Response;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Keeps code and contract together: real responses to every operation are validated against
 * {@code openapi.yaml}, every example in it is validated against its schema, and the hot-path
 * decoder must accept exactly the task specs the contract's schema accepts.
 *
 * <p>vertx-openapi refuses to load a contract that declares {@code application/problem+json};
 * the test loads a copy where that media type reads {@code application/json} (same schema) and
 * validates problem answers under that name; likewise {@code application/yaml} and
 * {@code text/event-stream} read {@code text/plain}. The validator cannot read those bodies, so
 * the YAML is checked by status and content, and a stream by status, Content-Type and each of
 * its events (the {@code data} of a {@code task} event against the {@code Task} schema).
 */
@ExtendWith(VertxExtension.class)
class ContractTest {

  private Vertx vertx;
  private TestServer server;
  private OpenAPIContract contract;
  private ResponseValidator validator;
  private final Set<String> covered = new TreeSet<>();

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx;
    server = TestServer.start(vertx, config("max_wait_ms", 2_000, "max_children", 4));
    vertx.eventBus().consumer("contract.echo", msg -> msg.reply(msg.body()));
    String yaml = Files.readString(Path.of("openapi.yaml")).replace("application/problem+json", "application/json")
        .replace("application/yaml", "text/plain").replace("text/event-stream", "text/plain");
    Path copy = Path.of("target", "openapi-for-validator.yaml");
    Files.writeString(copy, yaml);
    contract = bounded(OpenAPIContract.from(vertx, copy.toString()));
    validator = ResponseValidator.create(vertx, contract);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private Resp check(String operationId, Resp r) {
    String type = r.header("Content-Type");
    String mediaType = type == null ? null : type.split(";")[0].trim();
    if ("application/problem+json".equals(mediaType)) {
      mediaType = "application/json";
    } else if ("application/yaml".equals(mediaType)) {
      mediaType = "text/plain";
    }
    Map<String, String> headers = new HashMap<>();
    r.headers().forEach(e -> headers.put(e.getKey(), e.getValue()));
    if ("text/event-stream".equals(mediaType)) {
      // A stream that ended (a task stream of a finished task): status, headers and every event.
      assertEquals(200, r.status());
      assertEquals("no-cache", r.header("Cache-Control"));
      assertTrue(r.raw().startsWith(": taskloop stream\n\n"), r.raw());
      for (SseClient.Event e : events(r.raw())) {
        checkEvent(operationId, e);
      }
      covered.add(operationId);
      return r;
    }
    if ("text/plain".equals(mediaType)) {
      // The YAML document and the Prometheus text: the validator cannot read a non-JSON body.
      assertEquals(200, r.status());
      assertTrue(operationId.equals("getMetrics") ? r.raw().contains("taskloop_tasks_accepted_total")
          : r.raw().startsWith("openapi: 3.1"), r.raw());
      covered.add(operationId);
      return r;
    }
    Buffer body = r.raw().isEmpty() ? null : Buffer.buffer(r.raw());
    ValidatableResponse response = body == null
        ? ValidatableResponse.create(r.status(), headers)
        : ValidatableResponse.create(r.status(), headers, body, mediaType);
    try {
      bounded(validator.validate(response, operationId));
    } catch (Exception | AssertionError e) {
      fail(operationId + " answered " + r.status() + " " + r.raw() + "\nwhich the contract refuses: " + e.getMessage());
    }
    covered.add(operationId);
    return r;
  }

  @Test
  void realResponsesToEveryOperationMatchTheContract() {
    String ext = check("createTask", server.post("/v1/tasks", external().put("name", "n").put("labels", new JsonObject().put("k", "v"))))
        .expect(201).json().getString("id");
    check("createTask", server.send(HttpMethod.POST, "/v1/tasks", sleep(0, new JsonObject().put("a", 1)), Map.of("Prefer", "wait=1")));
    check("createTask", server.post("/v1/tasks", external(), Map.of("Idempotency-Key", "c1"))).expect(201);
    check("createTask", server.post("/v1/tasks", external(), Map.of("Idempotency-Key", "c1"))).expect(200);
    check("createTask", server.post("/v1/tasks", "{oops")).expect(400);
    check("createTask", server.post("/v1/tasks", sleep(-1, null))).expect(422);
    check("createTask", server.post("/v1/tasks", composite("gather", external(), external(), external(), external(), external())))
        .expect(413);

    check("getTask", server.get("/v1/tasks/" + ext)).expect(200);
    check("getTask", server.get("/v1/tasks/" + ext + "?wait=0.05")).expect(200);
    check("getTask", server.get("/v1/tasks/" + server.node.id() + "-0-999")).expect(404);
    check("getTask", server.get("/v1/tasks/" + ext + "?wait=5")).expect(422);
    check("listTasks", server.get("/v1/tasks?limit=2")).expect(200);
    check("listTasks", server.get("/v1/tasks?state=running&type=external&label=k=v&name=n")).expect(200);
    check("listTasks", server.get("/v1/tasks?limit=0")).expect(422);
    check("listTasks", server.get("/v1/tasks?order=newest&limit=2")).expect(200);
    check("listTasks", server.get("/v1/tasks?order=sideways")).expect(422);

    check("completeTask", server.post("/v1/tasks/" + ext + "/complete", new JsonObject().put("result", List.of(1, 2)))).expect(200);
    check("completeTask", server.post("/v1/tasks/" + ext + "/complete", new JsonObject())).expect(409);
    String other = server.create(external()).getString("id");
    check("failTask", server.post("/v1/tasks/" + other + "/fail", new JsonObject())).expect(422);
    check("failTask", server.post("/v1/tasks/" + other + "/fail",
        new JsonObject().put("error", new JsonObject().put("type", "E").put("message", "m").put("data", 1)))).expect(200);
    String third = server.create(external()).getString("id");
    check("deleteTask", server.delete("/v1/tasks/" + third)).expect(409);
    check("cancelTask", server.post("/v1/tasks/" + third + "/cancel", null)).expect(200);
    check("cancelTask", server.post("/v1/tasks/" + third + "/cancel", null)).expect(409);
    check("deleteTask", server.delete("/v1/tasks/" + third)).expect(204);
    check("cancelTask", server.post("/v1/tasks/" + third + "/cancel", null)).expect(404);

    check("gather", server.post("/v1/gather", new JsonObject().put("tasks", new JsonArray().add(sleep(0, 1))
        .add(single("wait_for", external()).put("timeout_ms", 0)).add(sleep(0, 2))).put("return_exceptions", true))).expect(200);
    check("gather", server.post("/v1/gather?wait=0.05", new JsonObject().put("tasks", new JsonArray().add(external())))).expect(202);
    check("gather", server.post("/v1/gather", new JsonObject().put("tasks", "x"))).expect(422);
    check("wait", server.post("/v1/wait", new JsonObject().put("tasks", new JsonArray().add(sleep(0, 1)).add(external()))
        .put("return_when", "FIRST_COMPLETED"))).expect(200);
    check("waitFor", server.post("/v1/wait_for", new JsonObject().put("task", sleep(0, "r")).put("timeout_ms", 1000))).expect(200);

    check("setEvent", server.put("/v1/events/e-1", new JsonObject().put("payload", new JsonObject().put("x", 1)))).expect(200);
    check("setEvent", server.put("/v1/events/e-2", null)).expect(200);
    check("getEvent", server.get("/v1/events/e-1")).expect(200);
    check("getEvent", server.get("/v1/events/nope")).expect(404);
    check("getEvent", server.get("/v1/events/pending?wait=0.05")).expect(200);
    check("listEvents", server.get("/v1/events?limit=1")).expect(200);
    check("clearEvent", server.delete("/v1/events/e-1")).expect(204);
    check("clearEvent", server.delete("/v1/events/bad%20name")).expect(422);

    JsonObject nightly = new JsonObject().put("id", "nightly").put("cron", "30 2 * * *").put("time_zone", "Europe/Berlin")
        .put("task", sleep(0, "n"));
    check("createSchedule", server.post("/v1/schedules", nightly)).expect(201);
    check("createSchedule", server.post("/v1/schedules", nightly)).expect(409);
    check("createSchedule", server.post("/v1/schedules", new JsonObject().put("every_ms", 1_000)
        .put("task", external()).put("overlap", "buffer_one"))).expect(201);
    check("createSchedule", server.post("/v1/schedules", new JsonObject().put("cron", "61 * * * *").put("task", sleep(0, null))))
        .expect(422);
    check("getSchedule", server.get("/v1/schedules/nightly")).expect(200);
    check("getSchedule", server.get("/v1/schedules/nope")).expect(404);
    check("listSchedules", server.get("/v1/schedules?limit=1")).expect(200);
    check("listSchedules", server.get("/v1/schedules?limit=0")).expect(422);
    check("replaceSchedule", server.put("/v1/schedules/nightly", nightly.copy().put("overlap", "allow"))).expect(200);
    check("replaceSchedule", server.put("/v1/schedules/hourly", new JsonObject().put("cron", "0 * * * *")
        .put("task", sleep(0, null)))).expect(201);
    check("replaceSchedule", server.put("/v1/schedules/hourly", new JsonObject().put("cron", "0 * * * *"))).expect(422);
    check("triggerSchedule", server.post("/v1/schedules/nightly/trigger", null)).expect(200);
    check("triggerSchedule", server.post("/v1/schedules/nope/trigger", null)).expect(404);
    check("pauseSchedule", server.post("/v1/schedules/nightly/pause", null)).expect(200);
    check("resumeSchedule", server.post("/v1/schedules/nightly/resume", null)).expect(200);
    check("resumeSchedule", server.post("/v1/schedules/nope/resume", null)).expect(404);
    check("deleteSchedule", server.delete("/v1/schedules/hourly")).expect(204);
    check("deleteSchedule", server.delete("/v1/schedules/hourly")).expect(404);
    server.advance(1_000);
    JsonObject fired = server.get("/v1/tasks?label=schedule").items().getJsonObject(0);
    check("getTask", server.get("/v1/tasks/" + fired.getString("id"))).expect(200);

    checkOutboundTasks();
    checkStreams();

    check("getCluster", server.get("/v1/cluster")).expect(200);
    check("whoami", server.get("/v1/whoami")).expect(200);
    check("live", server.get("/health/live")).expect(200);
    check("ready", server.get("/health/ready")).expect(200);
    check("getOpenApi", server.get("/openapi.yaml")).expect(200);
    check("getMetrics", server.get("/metrics")).expect(200);

    Set<String> all = new TreeSet<>();
    contract.operations().forEach(op -> all.add(op.getOperationId()));
    assertEquals(all, covered, "every operation of the contract is exercised");
  }

  private static JsonObject http(String url) {
    return new JsonObject().put("type", "http").put("request", new JsonObject().put("url", url));
  }

  private static JsonObject eventbus(String address) {
    return new JsonObject().put("type", "eventbus").put("address", address);
  }

  private Resp createAndWait(JsonObject spec) {
    return server.post("/v1/tasks", spec, Map.of("Prefer", "wait=2"));
  }

  /** Real http and eventbus tasks, their attempts and errors, and URLs the SSRF guard refuses. */
  private void checkOutboundTasks() {
    String base = "http://127.0.0.1:" + server.node.port();
    JsonObject ok = check("createTask", createAndWait(new JsonObject().put("type", "http").put("name", "probe")
        .put("request", new JsonObject().put("method", "GET").put("url", base + "/health/live")
            .put("headers", new JsonObject().put("X-Trace", "t-1")))
        .put("expect_status", new JsonArray().add(200).add("2xx").add("204"))
        .put("attempt_timeout_ms", 5_000)
        .put("retry", new JsonObject().put("max_attempts", 2).put("backoff_ms", 1).put("on", new JsonArray().add("5xx").add(503).add("ConnectionError")))
        .put("on_done", new JsonObject().put("address", "contract.done").put("headers", new JsonObject().put("a", "b")))))
        .expect(201).json();
    assertEquals("succeeded", ok.getString("state"), ok::encode);
    assertEquals(new JsonObject().put("status", "UP"), ok.getJsonObject("result").getJsonObject("body"));
    assertEquals(new JsonArray().add(200).add("2xx").add(204), ok.getJsonObject("spec").getJsonArray("expect_status"),
        "status codes are shown as numbers, classes as strings");
    check("getTask", server.get("/v1/tasks/" + ok.getString("id"))).expect(200);
    check("streamTask", server.get("/v1/tasks/" + ok.getString("id") + "/stream")).expect(200);

    JsonObject notFound = check("createTask", createAndWait(http(base + "/v1/tasks/" + server.node.id() + "-0-424242")
        .put("retry", new JsonObject().put("max_attempts", 2).put("backoff_ms", 1).put("on", new JsonArray().add(404)))))
        .expect(201).json();
    assertEquals("HttpError", notFound.getJsonObject("error").getString("type"), notFound::encode);
    assertEquals(404, notFound.getJsonObject("error").getJsonObject("data").getInteger("status"));
    assertEquals(2, notFound.getJsonArray("attempts").size());

    JsonObject echoed = check("createTask", createAndWait(eventbus("contract.echo").put("body", new JsonObject().put("x", 1))
        .put("headers", new JsonObject().put("k", "v")).put("attempt_timeout_ms", 5_000))).expect(201).json();
    assertEquals(new JsonObject().put("x", 1), echoed.getValue("result"), echoed::encode);
    JsonObject absent = check("createTask", createAndWait(eventbus("contract.nobody").put("body", (Object) null)
        .put("retry", new JsonObject().put("max_attempts", 2).put("backoff_ms", 1)))).expect(201).json();
    assertEquals("failed", absent.getString("state"), absent::encode);
    assertEquals("NoHandlerError", absent.getJsonObject("error").getString("type"));
    assertEquals(2, absent.getInteger("attempt"));

    // An attempt in flight when its task is cancelled: a request the server holds (a 2 s event wait).
    String held = server.create(http(base + "/v1/events/contract-never?wait=2")).getString("id");
    JsonObject cancelled = check("cancelTask", server.post("/v1/tasks/" + held + "/cancel", null)).expect(200).json();
    assertEquals("cancelled", cancelled.getString("state"));

    // A webhook on a task that never finishes here: the spec view shows it, nothing is sent.
    check("createTask", server.post("/v1/tasks", external().put("on_done", new JsonObject().put("url", base + "/hook")
        .put("headers", new JsonObject().put("X-Sig", "s")).put("address", "contract.done")))).expect(201);

    String denied = "http://169.254.169.254/latest/meta-data";
    check("createTask", server.post("/v1/tasks", http(denied))).problem(400, "/request/url");
    check("createTask", server.post("/v1/tasks", eventbus("taskloop.v1.tasks.create"))).problem(422, "/address");
    check("gather", server.post("/v1/gather", new JsonObject().put("tasks", new JsonArray().add(http(denied)))))
        .problem(400, "/tasks/0/request/url");
    check("wait", server.post("/v1/wait", new JsonObject().put("tasks", new JsonArray()
        .add(external().put("on_done", new JsonObject().put("url", denied)))))).problem(400, "/tasks/0/on_done/url");
    check("waitFor", server.post("/v1/wait_for", new JsonObject().put("task", http(denied)).put("timeout_ms", 10)))
        .problem(400, "/task/request/url");
  }

  /** Both streams: a finished task's stream ends by itself; the node's stream is opened and closed. */
  private void checkStreams() {
    String id = server.create(external()).getString("id");
    server.post("/v1/tasks/" + id + "/complete", new JsonObject().put("result", "r")).expect(200);
    Resp ended = check("streamTask", server.get("/v1/tasks/" + id + "/stream")).expect(200);
    assertEquals(1, events(ended.raw()).size(), "a finished task's stream is its last state, then the end");
    check("streamTask", server.get("/v1/tasks/" + server.node.id() + "-0-424242/stream")).expect(404);
    check("streamTask", server.send(HttpMethod.GET, "/v1/tasks/" + id + "/stream", null, Map.of("Last-Event-ID", "x")))
        .problem(422, "Last-Event-ID");

    check("streamTasks", server.get("/v1/stream?state=sleeping")).problem(422, "state");
    check("streamTasks", server.send(HttpMethod.GET, "/v1/stream", null, Map.of("Last-Event-ID", "garbage")))
        .problem(422, "Last-Event-ID");
    // The node's stream never ends: open it, read one change, close it (each step bounded).
    SseClient sse = SseClient.open(vertx, server.node.port(), "/v1/stream?type=eventbus", Map.of());
    try {
      assertEquals(200, sse.response().statusCode());
      assertEquals("text/event-stream", sse.response().getHeader("Content-Type").split(";")[0].trim());
      assertEquals(":", sse.nextAny().event(), "the stream opens with a comment");
      server.create(eventbus("contract.echo"));
      SseClient.Event change = sse.next();
      assertTrue(change.id() != null && !change.id().isEmpty(), "a task event carries a cursor");
      checkEvent("streamTasks", change);
    } finally {
      sse.close();
    }
    covered.add("streamTasks");
  }

  /** An event of either stream: a task event's data is a Task; a gap names loops; an overflow is {}. */
  private void checkEvent(String operationId, SseClient.Event e) {
    switch (e.event()) {
      case ":" -> { }
      case "task" -> {
        OutputUnit out = contract.getSchemaRepository().validator("app:///#/components/schemas/Task").validate(e.json());
        assertTrue(Boolean.TRUE.equals(out.getValid()), () -> operationId + " sent a task the contract refuses: " + e.data()
            + "\n" + out.getErrors());
        if (operationId.equals("streamTask")) {
          assertEquals(Integer.toString(e.json().getInteger("version")), e.id(), "a task stream's event id is the version");
        }
      }
      case "gap" -> {
        assertTrue(e.json().getJsonArray("loops") != null && e.json().getString("detail") != null, e.data());
        assertEquals(null, e.id());
      }
      case "overflow" -> assertEquals(new JsonObject(), e.json());
      default -> fail(operationId + " sent an event the contract does not name: " + e);
    }
  }

  /** The events of a stream's whole body (comments left out), read as {@link SseClient} reads them. */
  private static List<SseClient.Event> events(String body) {
    List<SseClient.Event> out = new java.util.ArrayList<>();
    for (String block : body.split("\n\n")) {
      SseClient.Event e = block.isEmpty() ? null : SseClient.parse(block);
      if (e != null && !e.event().equals(":")) {
        out.add(e);
      }
    }
    return out;
  }

  @Test
  void everyRouteOfTheContractIsServed() {
    // An operation the code does not route would answer 404/405 from the router itself.
    for (Operation op : contract.operations()) {
      String path = op.getOpenAPIPath().replace("{id}", server.node.id() + "-0-1").replace("{name}", "probe");
      if (path.equals("/v1/stream")) {
        path += "?state=probe"; // a 422 from the route: the stream itself would never end
      }
      Resp r = server.send(op.getHttpMethod(), path, op.getRequestBody() == null ? null : "{}", Map.of());
      String title = r.status() >= 400 ? r.json().getString("title", "") : "";
      assertTrue(!(r.status() == 405 || (r.status() == 404 && title.startsWith("Resource"))),
          op.getOperationId() + " " + op.getHttpMethod() + " " + path + " is not routed: " + r.raw());
    }
  }

  @Test
  void everyExampleMatchesItsSchema() {
    SchemaRepository repo = contract.getSchemaRepository();
    int checked = 0;
    for (Operation op : contract.operations()) {
      if (op.getRequestBody() != null) {
        for (MediaType mt : op.getRequestBody().getContent().values()) {
          checked += checkExamples(repo, op.getOperationId() + " request", mt, contract.getRawContract());
        }
      }
      JsonObject responses = op.getOpenAPIModel().getJsonObject("responses", new JsonObject());
      for (String code : responses.fieldNames()) {
        if (!code.equals("default") && !code.matches("[1-5][0-9][0-9]")) {
          continue; // the loader's own marks
        }
        Response response = code.equals("default") ? op.getDefaultResponse() : op.getResponse(Integer.parseInt(code));
        if (response != null) {
          for (MediaType mt : response.getContent().values()) {
            checked += checkExamples(repo, op.getOperationId() + " " + code, mt, contract.getRawContract());
          }
        }
      }
    }
    assertTrue(checked >= 20, "the contract carries examples (" + checked + " checked)");
  }

  private static int checkExamples(SchemaRepository repo, String where, MediaType mt, JsonObject raw) {
    JsonObject model = mt.getOpenAPIModel();
    Map<String, Object> examples = new HashMap<>();
    if (model.containsKey("example")) {
      examples.put("example", model.getValue("example"));
    }
    JsonObject named = model.getJsonObject("examples", new JsonObject());
    for (String name : named.fieldNames()) {
      if (name.equals("__absolute_uri__")) {
        continue;
      }
      examples.put(name, withoutResolverMarks(resolve(named.getValue(name), raw).getValue("value")));
    }
    if (mt.getSchema() == null) {
      return 0;
    }
    for (Map.Entry<String, Object> e : examples.entrySet()) {
      OutputUnit out = repo.validator(mt.getSchema()).validate(e.getValue());
      assertTrue(Boolean.TRUE.equals(out.getValid()), where + " example '" + e.getKey() + "' does not match its schema: "
          + out.getErrors());
    }
    return examples.size();
  }

  /** The contract loader marks resolved objects with {@code __absolute_uri__}; examples never have it. */
  private static Object withoutResolverMarks(Object value) {
    if (value instanceof JsonObject o) {
      JsonObject copy = new JsonObject();
      o.forEach(e -> {
        if (!e.getKey().equals("__absolute_uri__")) {
          copy.put(e.getKey(), withoutResolverMarks(e.getValue()));
        }
      });
      return copy;
    }
    if (value instanceof JsonArray a) {
      JsonArray copy = new JsonArray();
      a.forEach(v -> copy.add(withoutResolverMarks(v)));
      return copy;
    }
    return value;
  }

  /** Follows an example's {@code $ref} ("#/components/examples/X") through the raw contract. */
  private static JsonObject resolve(Object example, JsonObject raw) {
    Object at = example;
    for (int hops = 0; hops < 5; hops++) {
      String ref = at instanceof String s ? s
          : at instanceof JsonObject o && o.getValue("$ref") instanceof String r ? r : null;
      if (ref == null) {
        break;
      }
      Object node = raw;
      for (String part : ref.substring(ref.indexOf('#') + 2).split("/")) {
        String key = java.net.URLDecoder.decode(part, java.nio.charset.StandardCharsets.UTF_8);
        node = ((JsonObject) node).getValue(key.replace("~1", "/").replace("~0", "~"));
      }
      at = node;
    }
    if (!(at instanceof JsonObject resolved)) {
      throw new AssertionError("example " + example + " does not resolve to an example object");
    }
    return resolved;
  }

  /** Bodies the decoder and the TaskSpec schema must agree on (limits of a server's config aside). */
  private static final List<JsonObject> SPECS = List.of(
      sleep(0, null), sleep(10, "r"), sleep(10, new JsonObject().put("any", List.of(1, "two"))),
      sleep(-1, null), new JsonObject().put("type", "sleep"), new JsonObject().put("type", "sleep").put("delay_ms", "5"),
      new JsonObject().put("type", "sleep").put("delay_ms", 1.5), sleep(1, null).put("extra", true),
      external(), external().put("name", "n").put("timeout_ms", 5).put("labels", new JsonObject().put("a", "b")),
      external().put("name", ""), external().put("timeout_ms", -1), external().put("labels", new JsonObject().put("a", 1)),
      external().put("labels", "x"), external().put("delay_ms", 3),
      new JsonObject().put("type", "event").put("event", "prepare-42"), new JsonObject().put("type", "event"),
      new JsonObject().put("type", "event").put("event", "with space"), new JsonObject().put("type", "event").put("event", ""),
      composite("gather"), composite("gather", sleep(0, 1), "abcdef-0-12"), composite("gather", sleep(-1, 1)),
      composite("gather", 5), composite("gather", "not an id"), composite("gather", external()).put("return_exceptions", "no"),
      new JsonObject().put("type", "gather"), new JsonObject().put("type", "gather").put("tasks", "x"),
      composite("wait", external()).put("return_when", "FIRST_EXCEPTION"), composite("wait"),
      composite("wait", external()).put("return_when", "first_completed"), composite("wait", external()).put("timeout_ms", 10),
      single("wait_for", external()).put("timeout_ms", 10), single("wait_for", "abcdef-1-1"), single("wait_for", null),
      new JsonObject().put("type", "wait_for"), single("wait_for", 3), single("shield", sleep(1, 1)),
      single("shield", single("shield", composite("gather", external()))), new JsonObject().put("type", "shield").put("tasks", new JsonArray()),
      new JsonObject().put("type", "coroutine"), new JsonObject(), new JsonObject().put("type", 1),
      // explicit null: refused for every field of a spec but result and body
      external().put("name", (Object) null), external().put("timeout_ms", (Object) null), external().put("labels", (Object) null),
      sleep(1, null).put("body", (Object) null), new JsonObject().put("type", "event").put("event", (Object) null),
      composite("gather", external()).put("return_exceptions", (Object) null), composite("wait", external()).put("return_when", (Object) null),
      external().put("on_done", (Object) null), new JsonObject().put("type", (Object) null),
      // http
      http("http://example.com/x"), http("https://api.example.com:8443/v1/orders?status=open#top"), http("http://127.0.0.1:8080/"),
      http("http://[::1]/"), http("HTTP://EXAMPLE.COM/"),
      new JsonObject().put("type", "http").put("name", "n").put("timeout_ms", 1000).put("labels", new JsonObject().put("a", "b"))
          .put("request", new JsonObject().put("method", "POST").put("url", "http://example.com/")
              .put("headers", new JsonObject().put("Content-Type", "text/plain")).put("body", "text"))
          .put("expect_status", new JsonArray().add(200).add("2xx").add("404").add(599).add("1xx"))
          .put("attempt_timeout_ms", 1)
          .put("retry", new JsonObject().put("max_attempts", 100).put("backoff_ms", 0).put("multiplier", 1.5).put("max_backoff_ms", 0)
              .put("on", new JsonArray().add(503).add("5xx").add("ConnectionError").add("my_pkg.Error1").add("404")))
          .put("on_done", new JsonObject().put("url", "https://hooks.example.com/done").put("headers", new JsonObject().put("X", "y"))
              .put("address", "orders.done")),
      httpWith("method", "HEAD"), httpWith("method", "OPTIONS"), httpWith("body", new JsonObject().put("n", 1)),
      httpWith("body", null), httpWith("body", new JsonArray().add(1)),
      // a null inside request, retry and on_done counts as left out (the decoder's rule, see the schema)
      httpWith("method", null), httpWith("headers", null),
      http("http://example.com/").put("retry", new JsonObject().put("max_attempts", (Object) null).put("backoff_ms", (Object) null)
          .put("multiplier", (Object) null).put("max_backoff_ms", (Object) null).put("on", (Object) null)),
      external().put("on_done", new JsonObject().put("url", (Object) null).put("address", "a.b").put("headers", (Object) null)),
      external().put("on_done", new JsonObject().put("url", "http://example.com/hook").put("address", (Object) null)),
      external().put("on_done", new JsonObject().put("url", (Object) null).put("address", (Object) null)),
      http("http://example.com/").put("retry", new JsonObject()), http("http://example.com/").put("retry", new JsonObject().put("on", new JsonArray())),
      new JsonObject().put("type", "http"), new JsonObject().put("type", "http").put("request", "http://example.com/"),
      new JsonObject().put("type", "http").put("request", new JsonObject()), httpWith("url", null),
      http("not a url"), http("ftp://example.com/x"), http("/relative/path"), http("http://user@example.com/"), http("http://"),
      http("http://example.com/a b"), http("http://under_score/"), http("http://example.com/a%zz"), http("http://example.com/a%20b"),
      http("http://a..b/"), http("http://-a.b/"), http("http://example.com/?q=[1]"), http("http://example.com/a[1]"), http("http://example.com/" + "x".repeat(1982)),
      http("http://example.com/" + "x".repeat(1981)), httpWith("url", 5),
      httpWith("method", "BREW"), httpWith("method", "get"), httpWith("method", 1), httpWith("timeout_ms", 5),
      httpWith("headers", new JsonObject().put("a=b", "c")), httpWith("headers", new JsonObject().put("a", 1)),
      httpWith("headers", new JsonObject().put("", "x")), httpWith("headers", manyHeaders(50)), httpWith("headers", manyHeaders(51)),
      http("http://example.com/").put("headers", new JsonObject().put("a", "b")), http("http://example.com/").put("address", "a"),
      http("http://example.com/").put("body", "x"),
      http("http://example.com/").put("expect_status", new JsonArray()), http("http://example.com/").put("expect_status", new JsonArray().add(99)),
      http("http://example.com/").put("expect_status", new JsonArray().add(600)), http("http://example.com/").put("expect_status", new JsonArray().add("2XX")),
      http("http://example.com/").put("expect_status", new JsonArray().add("6xx")), http("http://example.com/").put("expect_status", "2xx"),
      http("http://example.com/").put("expect_status", new JsonArray().add("TimeoutError")),
      http("http://example.com/").put("expect_status", new JsonArray().add(200.5)), http("http://example.com/").put("expect_status", (Object) null),
      http("http://example.com/").put("expect_status", new JsonArray().add("200").add(201)),
      http("http://example.com/").put("attempt_timeout_ms", 0), http("http://example.com/").put("attempt_timeout_ms", -1),
      http("http://example.com/").put("attempt_timeout_ms", 1.5), http("http://example.com/").put("attempt_timeout_ms", 2678400000L),
      http("http://example.com/").put("attempt_timeout_ms", 2678400001L), http("http://example.com/").put("attempt_timeout_ms", (Object) null),
      retry("max_attempts", 0), retry("max_attempts", 101), retry("max_attempts", 1), retry("max_attempts", 1.5), retry("max_attempts", "3"),
      retry("multiplier", 0.5), retry("multiplier", 11), retry("multiplier", 10), retry("multiplier", "2"), retry("backoff_ms", -1),
      retry("max_backoff_ms", 2678400001L), retry("on", new JsonArray().add("9xx")), retry("on", new JsonArray().add(99)),
      retry("on", new JsonArray().add("1abc")), retry("on", "5xx"), retry("on", new JsonArray().add("x".repeat(100))),
      retry("on", new JsonArray().add("x".repeat(101))), retry("tries", 3),
      http("http://example.com/").put("retry", (Object) null), http("http://example.com/").put("retry", "x"),
      // eventbus
      eventbus("svc.reply"), eventbus("taskloop"), eventbus("taskloopx.y"), eventbus("A.b_c:d@e/f-g"),
      eventbus("svc").put("body", (Object) null), eventbus("svc").put("body", "text"),
      eventbus("svc").put("headers", new JsonObject().put("k", "v")).put("attempt_timeout_ms", 10)
          .put("retry", new JsonObject().put("on", new JsonArray().add("NoHandlerError"))).put("name", "n").put("timeout_ms", 5),
      new JsonObject().put("type", "eventbus"), eventbus(""), eventbus("has space"), eventbus("-x"), eventbus("taskloop.v1.tasks.create"),
      eventbus("taskloop.loop.x.0"), eventbus("a".repeat(200)), eventbus("a".repeat(201)), new JsonObject().put("type", "eventbus").put("address", 5),
      eventbus("svc").put("headers", (Object) null), eventbus("svc").put("headers", "x"), eventbus("svc").put("request", new JsonObject()),
      eventbus("svc").put("expect_status", new JsonArray().add(200)), eventbus("svc").put("attempt_timeout_ms", 0),
      eventbus("svc").put("retry", new JsonObject().put("max_attempts", 0)),
      // on_done, on any type
      sleep(1, null).put("on_done", new JsonObject().put("address", "x.done")),
      composite("gather", external().put("on_done", new JsonObject().put("url", "http://example.com/h"))),
      external().put("on_done", new JsonObject()), external().put("on_done", "http://example.com/"),
      external().put("on_done", new JsonObject().put("url", "ftp://example.com/")), external().put("on_done", new JsonObject().put("address", "taskloop.x")),
      external().put("on_done", new JsonObject().put("address", "a").put("extra", 1)),
      external().put("on_done", new JsonObject().put("headers", new JsonObject().put("a", "b"))),
      external().put("on_done", new JsonObject().put("address", "a").put("headers", new JsonObject().put("a=", "b"))));

  private static JsonObject httpWith(String field, Object value) {
    JsonObject request = new JsonObject().put("url", "http://example.com/").put(field, value);
    return new JsonObject().put("type", "http").put("request", request);
  }

  private static JsonObject retry(String field, Object value) {
    return new JsonObject().put("type", "http").put("request", new JsonObject().put("url", "http://example.com/"))
        .put("retry", new JsonObject().put(field, value));
  }

  private static JsonObject manyHeaders(int n) {
    JsonObject headers = new JsonObject();
    for (int i = 0; i < n; i++) {
      headers.put("h" + i, "v");
    }
    return headers;
  }

  @Test
  void theDecoderAcceptsExactlyWhatTheSchemaAccepts() {
    SchemaRepository repo = contract.getSchemaRepository();
    SpecDecoder decoder = new SpecDecoder(1_000, 32, new io.taskloop.task.OutboundGuard(List.of("*"), List.of()));
    for (JsonObject spec : SPECS) {
      OutputUnit out = repo.validator("app:///#/components/schemas/TaskSpec").validate(spec);
      boolean schemaValid = Boolean.TRUE.equals(out.getValid());
      boolean decoderValid;
      try {
        decoder.decode(spec);
        decoderValid = true;
      } catch (Problem p) {
        decoderValid = false;
      }
      assertEquals(schemaValid, decoderValid, () -> spec.encode() + ": schema says " + schemaValid + " " + out.getErrors());
    }
  }
}
