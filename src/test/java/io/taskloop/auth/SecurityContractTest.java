package io.taskloop.auth;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.TestServer;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.openapi.contract.OpenAPIContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Security from the contract: every operation of {@code openapi.yaml} is enumerated, so a new
 * one cannot skip this. A secured operation answers 401 without credentials, 403 to a caller
 * without its {@code x-scopes}, serves a caller with exactly that scope, and an operation on
 * one tenant's task, schedule or event is a 404 to another tenant. The open ones (probes, the
 * contract) answer without credentials. The event-bus API refuses a request without a tenant.
 */
@ExtendWith(VertxExtension.class)
class SecurityContractTest {

  private static final Map<String, String> KEY_WITH = Map.of("tasks:read", "acme-read", "tasks:write", "acme-write",
      "events:write", "acme-events", "schedules:write", "acme-schedules", "admin", "ops");

  private Vertx vertx;
  private TestServer server;
  private JsonObject raw;
  private String task;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx;
    Path dir = TestServer.freshDataDir();
    JsonArray keys = new JsonArray();
    KEY_WITH.forEach((scope, key) -> keys.add(new JsonObject().put("id", key).put("hash", ApiKeys.hash(key + "-secret"))
        .put("tenant", key.equals("ops") ? "ops" : "acme").put("scopes", new JsonArray().add(scope))));
    keys.add(new JsonObject().put("id", "acme-all").put("hash", ApiKeys.hash("acme-all-secret")).put("tenant", "acme")
        .put("scopes", new JsonArray().add("tasks:read").add("tasks:write").add("events:write").add("schedules:write")));
    keys.add(new JsonObject().put("id", "globex-all").put("hash", ApiKeys.hash("globex-all-secret")).put("tenant", "globex")
        .put("scopes", new JsonArray().add("tasks:read").add("tasks:write").add("events:write").add("schedules:write")));
    Files.writeString(dir.resolve("keys.json"), new JsonObject().put("keys", keys).encode());
    server = TestServer.start(vertx, config("auth", "keys", "auth_keys_file", dir.resolve("keys.json").toString(),
        "max_wait_ms", 1_000, "data_dir", dir.resolve("data").toString()));
    raw = contract().getRawContract();
    task = send(HttpMethod.POST, "/v1/tasks", external(), "acme-all").expect(201).json().getString("id");
    send(HttpMethod.POST, "/v1/schedules", new JsonObject().put("id", "acme-s").put("cron", "0 3 * * *")
        .put("task", sleep(0, null)), "acme-all").expect(201);
    send(HttpMethod.PUT, "/v1/events/acme-ev", new JsonObject().put("payload", 1), "acme-all").expect(200);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  /** The contract as vertx-openapi reads it (its parser takes JSON and plain text only: the media types are renamed). */
  private OpenAPIContract contract() {
    try {
      String yaml = Files.readString(Path.of("openapi.yaml")).replace("application/problem+json", "application/json")
          .replace("application/yaml", "text/plain").replace("text/event-stream", "text/plain");
      Path copy = Path.of("target", "openapi-for-security.yaml");
      Files.writeString(copy, yaml);
      return bounded(OpenAPIContract.from(vertx, copy.toString()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private TestServer.Resp send(HttpMethod method, String path, Object body, String key) {
    return server.send(method, path, body, key == null ? Map.of() : Map.of("Authorization", "Bearer " + key + "-secret"));
  }

  /** An operation of the contract, with a path whose parameters name acme's things. */
  private record Op(String id, HttpMethod method, String template, String path, List<String> scopes, boolean open) {
  }

  private List<Op> operations() {
    List<Op> ops = new ArrayList<>();
    JsonObject paths = raw.getJsonObject("paths");
    for (String template : paths.fieldNames()) {
      if (!template.startsWith("/")) {
        continue; // an extension beside the paths
      }
      JsonObject item = paths.getJsonObject(template);
      for (String method : item.fieldNames()) {
        if (!Set.of("get", "put", "post", "delete", "patch", "head").contains(method)) {
          continue;
        }
        JsonObject op = item.getJsonObject(method);
        JsonArray security = op.getJsonArray("security", raw.getJsonArray("security"));
        JsonArray scopes = op.getJsonArray("x-scopes");
        assertTrue(scopes != null, op.getString("operationId") + " names no x-scopes: say which scope it needs");
        String path = template.replace("{name}", "acme-ev")
            .replace("{id}", template.startsWith("/v1/schedules") ? "acme-s" : task);
        List<String> needed = new ArrayList<>();
        scopes.forEach(s -> needed.add((String) s));
        ops.add(new Op(op.getString("operationId"), HttpMethod.valueOf(method.toUpperCase()), template, path, needed,
            security == null || security.isEmpty()));
      }
    }
    return ops;
  }

  /** A body each operation takes, so what it answers is about who asks, not about the body. */
  private static Object body(Op op) {
    return switch (op.id()) {
      case "createTask" -> external();
      case "gather", "wait" -> new JsonObject().put("tasks", new JsonArray().add(sleep(0, 1)));
      case "waitFor" -> new JsonObject().put("task", sleep(0, 1));
      case "completeTask" -> new JsonObject().put("result", 1);
      case "failTask" -> new JsonObject().put("error", new JsonObject().put("type", "E").put("message", "m"));
      case "setEvent" -> new JsonObject().put("payload", 2);
      case "createSchedule", "replaceSchedule" -> new JsonObject().put("cron", "0 4 * * *").put("task", sleep(0, null));
      default -> null;
    };
  }

  @Test
  void everyOperationAsksWhoCallsAndWhatTheyMayDo() {
    List<Op> ops = operations();
    Set<String> seen = new TreeSet<>();
    for (Op op : ops) {
      seen.add(op.id());
      if (op.open()) {
        assertTrue(op.scopes().isEmpty(), op.id() + " is open but names scopes");
        TestServer.Resp r = send(op.method(), op.path(), body(op), null);
        assertTrue(r.status() != 401 && r.status() != 403, op.id() + " is open, yet answered " + r.status());
        continue;
      }
      TestServer.Resp none = send(op.method(), op.path(), body(op), null);
      none.problem(401, null);
      assertTrue(none.header("WWW-Authenticate").startsWith("Bearer"), op.id());
      send(op.method(), op.path(), body(op), "no-such-key").problem(401, null);
      if (op.scopes().isEmpty()) { // any known caller, whatever its scopes
        for (String key : List.of("acme-read", "acme-write", "acme-events", "acme-schedules", "ops")) {
          assertEquals(200, send(op.method(), op.path(), body(op), key).status(), op.id() + " with " + key);
        }
        JsonObject me = send(op.method(), op.path(), null, "acme-read").json();
        assertEquals("acme", me.getString("tenant"), me::encode);
        assertEquals(List.of("tasks:read"), me.getJsonArray("scopes").getList(), me::encode);
        assertEquals(false, me.getBoolean("admin"), me::encode);
        assertEquals("keys", me.getString("auth"), me::encode);
        continue;
      }
      assertEquals(1, op.scopes().size(), op.id() + ": one scope per operation");
      String scope = op.scopes().get(0);
      String other = scope.equals("tasks:read") ? "acme-write" : "acme-read";
      TestServer.Resp wrong = send(op.method(), op.path(), body(op), other);
      assertEquals(403, wrong.status(), op.id() + " with only " + (other.equals("acme-read") ? "tasks:read" : "tasks:write")
          + ": " + wrong.raw());
      wrong.problem(403, null);
    }
    // With exactly the scope named, the same requests are served (last: the deletes).
    ops.sort((a, b) -> Boolean.compare(a.method() == HttpMethod.DELETE, b.method() == HttpMethod.DELETE));
    for (Op op : ops) {
      if (op.open() || op.scopes().isEmpty() || op.id().equals("streamTask") || op.id().equals("streamTasks")) {
        continue; // streams stay open: their answer is checked by 401/403 above and the tests of streams
      }
      TestServer.Resp r = send(op.method(), op.path(), body(op), KEY_WITH.get(op.scopes().get(0)));
      assertTrue(r.status() != 401 && r.status() != 403, op.id() + " with " + op.scopes() + " answered " + r.status()
          + " " + r.raw());
    }
    Set<String> all = new TreeSet<>();
    contract().operations().forEach(o -> all.add(o.getOperationId()));
    assertEquals(all, seen, "every operation of the contract was asked");
  }

  @Test
  void anotherTenantsThingsAreNotFoundOnEveryOperationThatNamesThem() {
    for (Op op : operations()) {
      boolean names = op.template().contains("{");
      if (op.open() || !names || op.method() == HttpMethod.PUT || op.id().equals("clearEvent")) {
        continue; // a PUT or a clear by name acts on the caller's own tenant's thing of that name (below)
      }
      TestServer.Resp r = send(op.method(), op.path(), body(op), "globex-all");
      assertEquals(404, r.status(), op.id() + " of acme's by globex: " + r.raw());
    }
    send(HttpMethod.DELETE, "/v1/events/acme-ev", null, "globex-all").expect(204);
    send(HttpMethod.PUT, "/v1/events/acme-ev", new JsonObject().put("payload", "globex"), "globex-all").expect(200);
    assertEquals(1, send(HttpMethod.GET, "/v1/events/acme-ev", null, "acme-all").json().getInteger("payload"),
        "acme's event is as acme left it");
    send(HttpMethod.PUT, "/v1/schedules/acme-s", new JsonObject().put("cron", "0 5 * * *").put("task", sleep(0, null)),
        "globex-all").expect(201);
    assertEquals("0 3 * * *", send(HttpMethod.GET, "/v1/schedules/acme-s", null, "acme-all").json().getString("cron"));
    assertEquals("running", send(HttpMethod.GET, "/v1/tasks/" + task, null, "acme-all").json().getString("state"));
  }

  @Test
  void theEventBusApiRefusesARequestWithoutATenant() {
    AsyncResult<Object> bare = bounded(vertx.eventBus().request("taskloop.v1.tasks.create", external())
        .map(m -> m.body()).transform(Future::succeededFuture));
    assertTrue(bare.failed());
    assertEquals(401, assertInstanceOf(ReplyException.class, bare.cause()).failureCode());
    DeliveryOptions globex = new DeliveryOptions().addHeader("tenant", "globex");
    JsonObject made = (JsonObject) bounded(vertx.eventBus().request("taskloop.v1.tasks.create", external(), globex)).body();
    assertEquals("globex", made.getJsonObject("spec").getString("tenant"));
    AsyncResult<Object> across = bounded(vertx.eventBus().request("taskloop.v1.tasks.get", new JsonObject().put("id", task),
        globex).map(m -> m.body()).transform(Future::succeededFuture));
    assertEquals(404, assertInstanceOf(ReplyException.class, across.cause()).failureCode());
    AsyncResult<Object> cancel = bounded(vertx.eventBus().request("taskloop.v1.tasks.cancel", new JsonObject().put("id", task),
        globex).map(m -> m.body()).transform(Future::succeededFuture));
    assertFalse(cancel.succeeded(), "globex cannot cancel acme's task over the bus");
    send(HttpMethod.GET, "/v1/tasks/" + made.getString("id"), null, "acme-all").problem(404, null);
  }
}
