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

import io.taskloop.problem.Problem;
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
 * validates problem answers under that name; likewise {@code application/yaml} reads {@code text/plain}.
 */
@ExtendWith(VertxExtension.class)
class ContractTest {

  private TestServer server;
  private OpenAPIContract contract;
  private ResponseValidator validator;
  private final Set<String> covered = new TreeSet<>();

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    server = TestServer.start(vertx, config("max_wait_ms", 2_000, "max_children", 4));
    String yaml = Files.readString(Path.of("openapi.yaml")).replace("application/problem+json", "application/json")
        .replace("application/yaml", "text/plain");
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
    if ("text/plain".equals(mediaType)) {
      // The YAML document: the validator cannot read a non-JSON body; its body is this very contract.
      assertEquals(200, r.status());
      assertTrue(r.raw().startsWith("openapi: 3.1"));
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

    check("getCluster", server.get("/v1/cluster")).expect(200);
    check("live", server.get("/health/live")).expect(200);
    check("ready", server.get("/health/ready")).expect(200);
    check("getOpenApi", server.get("/openapi.yaml")).expect(200);

    Set<String> all = new TreeSet<>();
    contract.operations().forEach(op -> all.add(op.getOperationId()));
    assertEquals(all, covered, "every operation of the contract is exercised");
  }

  @Test
  void everyRouteOfTheContractIsServed() {
    // An operation the code does not route would answer 404/405 from the router itself.
    for (Operation op : contract.operations()) {
      String path = op.getOpenAPIPath().replace("{id}", server.node.id() + "-0-1").replace("{name}", "probe");
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
      new JsonObject().put("type", "coroutine"), new JsonObject(), new JsonObject().put("type", 1));

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
