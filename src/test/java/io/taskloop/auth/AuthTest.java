package io.taskloop.auth;

import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.sleep;
import static io.taskloop.support.TestServer.within;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Who may do what, over HTTP on loopback against a node with {@code auth: keys,jwt}: no
 * credentials is a 401 that says how to authenticate, a missing scope a 403, another tenant's
 * task, event or schedule a 404 (and a long poll of one answers at once); JWTs are checked for
 * signature, expiry, not-before, issuer and audience; keys rotate when their file changes.
 */
@ExtendWith(VertxExtension.class)
class AuthTest {

  private static final String ISSUER = "https://issuer.taskloop.test";
  private static final String AUDIENCE = "taskloop";

  private Vertx vertx;
  private TestServer server;
  private Path dir;
  private JWTAuth signer;
  private JWTAuth stranger;

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der) + "\n-----END " + type + "-----\n";
  }

  private static JsonObject key(String id, String secret, String tenant, String... scopes) {
    return new JsonObject().put("id", id).put("hash", ApiKeys.hash(secret)).put("tenant", tenant)
        .put("scopes", new JsonArray(List.of((Object[]) scopes)));
  }

  private void writeKeys(JsonObject... keys) throws Exception {
    Path tmp = dir.resolve("keys.json.tmp");
    Files.writeString(tmp, new JsonObject().put("keys", new JsonArray(List.of((Object[]) keys))).encode());
    Files.move(tmp, dir.resolve("keys.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static JWTAuth signerOf(Vertx vertx, KeyPair pair) {
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256")
        .setBuffer(pem("PRIVATE KEY", pair.getPrivate().getEncoded()))));
  }

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx;
    dir = TestServer.freshDataDir();
    writeKeys(key("acme-rw", "acme-rw-secret", "acme", "tasks:read", "tasks:write", "events:write", "schedules:write"),
        key("acme-ro", "acme-ro-secret", "acme", "tasks:read"),
        key("globex", "globex-secret", "globex", "tasks:read", "tasks:write", "events:write", "schedules:write"),
        key("ops", "ops-secret", "ops", "admin"));
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    KeyPair pair = rsa.generateKeyPair();
    Files.writeString(dir.resolve("jwt.pem"), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    signer = signerOf(vertx, pair);
    stranger = signerOf(vertx, rsa.generateKeyPair());
    server = TestServer.start(vertx, config("auth", "keys,jwt", "auth_keys_file", dir.resolve("keys.json").toString(),
        "auth_jwt_public_key_file", dir.resolve("jwt.pem").toString(), "auth_jwt_issuer", ISSUER,
        "auth_jwt_audience", AUDIENCE, "data_dir", dir.resolve("data").toString()));
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private static Map<String, String> as(String secret) {
    return Map.of("Authorization", "Bearer " + secret);
  }

  private TestServer.Resp send(HttpMethod method, String path, Object body, String secret) {
    return server.send(method, path, body, secret == null ? Map.of() : as(secret));
  }

  private String token(JWTAuth by, JsonObject claims, JWTOptions options) {
    return by.generateToken(claims, options.setAlgorithm("RS256"));
  }

  private JsonObject claims(String tenant, String scope) {
    return new JsonObject().put("tenant", tenant).put("scope", scope).put("sub", "svc-" + tenant);
  }

  private JWTOptions good() {
    return new JWTOptions().setIssuer(ISSUER).setAudience(List.of(AUDIENCE)).setExpiresInSeconds(300);
  }

  @Test
  void noCredentialsIsA401ThatSaysHowAndTheProbesStayOpen() {
    TestServer.Resp none = send(HttpMethod.POST, "/v1/tasks", sleep(0, null), null);
    none.problem(401, null);
    assertEquals("Bearer realm=\"taskloop\"", none.header("WWW-Authenticate"));
    TestServer.Resp wrong = send(HttpMethod.GET, "/v1/tasks", null, "no-such-key");
    wrong.problem(401, null);
    assertTrue(wrong.header("WWW-Authenticate").contains("error=\"invalid_token\""), wrong.header("WWW-Authenticate"));
    send(HttpMethod.GET, "/v1/tasks", null, null).problem(401, null);
    server.sendFresh(HttpMethod.GET, "/health/live", null).expect(200);
    server.sendFresh(HttpMethod.GET, "/health/ready", null).expect(200);
    server.sendFresh(HttpMethod.GET, "/openapi.yaml", null).expect(200);
    send(HttpMethod.GET, "/metrics", null, null).problem(401, null);
    send(HttpMethod.GET, "/metrics", null, "acme-rw-secret").problem(403, null);
    send(HttpMethod.GET, "/metrics", null, "ops-secret").expect(200);
    send(HttpMethod.GET, "/v1/cluster", null, "acme-rw-secret").problem(403, null);
    send(HttpMethod.GET, "/v1/cluster", null, "ops-secret").expect(200);
  }

  @Test
  void eachRouteNeedsItsScope() {
    send(HttpMethod.POST, "/v1/tasks", sleep(0, null), "acme-ro-secret").problem(403, null);
    send(HttpMethod.POST, "/v1/gather", new JsonObject().put("tasks", new JsonArray().add(sleep(0, 1))), "acme-ro-secret")
        .problem(403, null);
    send(HttpMethod.PUT, "/v1/events/e", new JsonObject(), "acme-ro-secret").problem(403, null);
    send(HttpMethod.POST, "/v1/schedules", new JsonObject().put("every_ms", 60_000).put("task", sleep(0, null)),
        "acme-ro-secret").problem(403, null);
    String id = send(HttpMethod.POST, "/v1/tasks", external(), "acme-rw-secret").expect(201).json().getString("id");
    send(HttpMethod.GET, "/v1/tasks/" + id, null, "acme-ro-secret").expect(200);
    send(HttpMethod.POST, "/v1/tasks/" + id + "/cancel", null, "acme-ro-secret").problem(403, null);
    assertEquals(1, send(HttpMethod.GET, "/v1/tasks", null, "acme-ro-secret").items().size());
  }

  @Test
  void anotherTenantsThingsAreNotFoundOnEveryRoute() {
    String id = send(HttpMethod.POST, "/v1/tasks", external().put("name", "acme-job"), "acme-rw-secret").expect(201)
        .json().getString("id");
    for (TestServer.Resp r : List.of(
        send(HttpMethod.GET, "/v1/tasks/" + id, null, "globex-secret"),
        send(HttpMethod.GET, "/v1/tasks/" + id + "?wait=10", null, "globex-secret"),
        send(HttpMethod.POST, "/v1/tasks/" + id + "/cancel", null, "globex-secret"),
        send(HttpMethod.POST, "/v1/tasks/" + id + "/complete", new JsonObject().put("result", 1), "globex-secret"),
        send(HttpMethod.POST, "/v1/tasks/" + id + "/fail", new JsonObject().put("error",
            new JsonObject().put("type", "X").put("message", "m")), "globex-secret"),
        send(HttpMethod.DELETE, "/v1/tasks/" + id, null, "globex-secret"),
        send(HttpMethod.GET, "/v1/tasks/" + id + "/stream", null, "globex-secret"))) {
      r.problem(404, null);
    }
    assertEquals(0, send(HttpMethod.GET, "/v1/tasks", null, "globex-secret").items().size());
    send(HttpMethod.POST, "/v1/tasks", new JsonObject().put("type", "gather").put("tasks", new JsonArray().add(id)),
        "globex-secret").problem(422, "/tasks/0");
    send(HttpMethod.POST, "/v1/wait_for", new JsonObject().put("task", id), "globex-secret").problem(422, "/task");
    assertEquals("running", send(HttpMethod.GET, "/v1/tasks/" + id, null, "acme-ro-secret").json().getString("state"),
        "nothing another tenant did reached it");
    assertEquals("acme-job", send(HttpMethod.GET, "/v1/tasks/" + id, null, "ops-secret").expect(200).json()
        .getString("name"), "an admin reaches every tenant");
    assertEquals(1, send(HttpMethod.GET, "/v1/tasks", null, "ops-secret").items().size());

    // One key, two tenants: two tasks.
    Map<String, String> acmeKeyed = Map.of("Authorization", "Bearer acme-rw-secret", "Idempotency-Key", "k-1");
    Map<String, String> globexKeyed = Map.of("Authorization", "Bearer globex-secret", "Idempotency-Key", "k-1");
    String a = server.send(HttpMethod.POST, "/v1/tasks", sleep(0, "a"), acmeKeyed).expect(201).json().getString("id");
    String b = server.send(HttpMethod.POST, "/v1/tasks", sleep(0, "a"), globexKeyed).expect(201).json().getString("id");
    assertNotEquals(a, b);
    assertEquals(a, server.send(HttpMethod.POST, "/v1/tasks", sleep(0, "a"), acmeKeyed).expect(200).json().getString("id"));
  }

  @Test
  void eventsAndSchedulesOfOneTenantAreNotAnothers() {
    String waiting = send(HttpMethod.POST, "/v1/tasks", TestServer.event("deploy"), "globex-secret").expect(201).json()
        .getString("id");
    send(HttpMethod.PUT, "/v1/events/deploy", new JsonObject().put("payload", "acme's"), "acme-rw-secret").expect(200);
    assertEquals(true, send(HttpMethod.GET, "/v1/events/deploy", null, "acme-ro-secret").json().getBoolean("set"));
    assertEquals("deploy", send(HttpMethod.GET, "/v1/events", null, "acme-ro-secret").items().getJsonObject(0)
        .getString("name"));
    JsonObject globexView = send(HttpMethod.GET, "/v1/events/deploy", null, "globex-secret").json();
    assertEquals(false, globexView.getBoolean("set"), "globex's deploy is another event: " + globexView.encode());
    assertEquals("running", send(HttpMethod.GET, "/v1/tasks/" + waiting, null, "globex-secret").json().getString("state"),
        "acme's set woke nothing of globex's");
    send(HttpMethod.PUT, "/v1/events/deploy", new JsonObject().put("payload", "globex's"), "globex-secret").expect(200);
    within(10, "globex's own set wakes it", () -> "succeeded".equals(send(HttpMethod.GET, "/v1/tasks/" + waiting, null,
        "globex-secret").json().getString("state")));

    JsonObject nightly = new JsonObject().put("id", "nightly").put("cron", "0 3 * * *").put("task", sleep(0, null));
    send(HttpMethod.POST, "/v1/schedules", nightly, "acme-rw-secret").expect(201);
    send(HttpMethod.GET, "/v1/schedules/nightly", null, "globex-secret").problem(404, null);
    send(HttpMethod.POST, "/v1/schedules/nightly/trigger", null, "globex-secret").problem(404, null);
    send(HttpMethod.DELETE, "/v1/schedules/nightly", null, "globex-secret").problem(404, null);
    send(HttpMethod.POST, "/v1/schedules", nightly, "globex-secret").expect(201);
    assertEquals(1, send(HttpMethod.GET, "/v1/schedules", null, "globex-secret").json().getJsonArray("items").size());
    JsonObject run = send(HttpMethod.POST, "/v1/schedules/nightly/trigger", null, "acme-rw-secret").expect(200).json();
    JsonObject fired = send(HttpMethod.GET, "/v1/tasks/" + run.getString("task_id"), null, "acme-ro-secret").expect(200).json();
    assertEquals("nightly", fired.getJsonObject("schedule").getString("id"));
    send(HttpMethod.GET, "/v1/tasks/" + run.getString("task_id"), null, "globex-secret").problem(404, null);
  }

  @Test
  void tokensAreCheckedForSignatureExpiryNotBeforeIssuerAndAudience() {
    String ok = token(signer, claims("initech", "tasks:read tasks:write"), good());
    String id = send(HttpMethod.POST, "/v1/tasks", sleep(0, "t"), ok).expect(201).json().getString("id");
    send(HttpMethod.GET, "/v1/tasks/" + id, null, "globex-secret").problem(404, null);
    send(HttpMethod.GET, "/v1/tasks/" + id, null, token(signer, claims("initech", "tasks:read"), good())).expect(200);
    send(HttpMethod.POST, "/v1/tasks", sleep(0, null), token(signer, claims("initech", "tasks:read"), good())).problem(403, null);
    long now = System.currentTimeMillis() / 1000;
    String expired = token(signer, claims("initech", "tasks:read").put("exp", now - 60), new JWTOptions().setIssuer(ISSUER)
        .setAudience(List.of(AUDIENCE)).setNoTimestamp(true));
    String early = token(signer, claims("initech", "tasks:read").put("nbf", now + 600), good());
    for (String refused : List.of(expired, early,
        token(stranger, claims("initech", "tasks:read"), good()),
        token(signer, claims("initech", "tasks:read"), new JWTOptions().setIssuer(ISSUER).setAudience(List.of("other"))
            .setExpiresInSeconds(300)),
        token(signer, claims("initech", "tasks:read"), new JWTOptions().setIssuer("https://elsewhere.test")
            .setAudience(List.of(AUDIENCE)).setExpiresInSeconds(300)),
        token(signer, new JsonObject().put("scope", "tasks:read"), good()))) {
      TestServer.Resp r = send(HttpMethod.GET, "/v1/tasks", null, refused);
      r.problem(401, null);
      assertTrue(r.header("WWW-Authenticate").contains("invalid_token"), r.raw());
    }
  }

  @Test
  void eachTenantHasItsOwnCapsOnTasksHeldAndCreatesPerSecond() {
    server.stop();
    server = TestServer.start(vertx, config("auth", "keys", "auth_keys_file", dir.resolve("keys.json").toString(),
        "tenant_max_tasks", 3, "tenant_creates_per_second", 5, "data_dir", dir.resolve("data-caps").toString()));
    for (int i = 0; i < 3; i++) {
      send(HttpMethod.POST, "/v1/tasks", external(), "acme-rw-secret").expect(201);
    }
    TestServer.Resp full = send(HttpMethod.POST, "/v1/tasks", external(), "acme-rw-secret");
    full.problem(429, null);
    assertEquals("1", full.header("Retry-After"));
    assertTrue(full.json().getString("detail").contains("tenant_max_tasks"), full.raw());
    send(HttpMethod.POST, "/v1/tasks", external(), "globex-secret").expect(201); // another tenant's room is its own
    send(HttpMethod.POST, "/v1/tasks", sleep(0, null), "globex-secret").expect(201);
    send(HttpMethod.POST, "/v1/tasks", sleep(0, null), "globex-secret").expect(201);
    // globex made 3 creates this second, and holds 3 tasks (two sleeps that ended count until they leave).
    send(HttpMethod.POST, "/v1/tasks", sleep(0, null), "globex-secret").problem(429, null);
    String id = send(HttpMethod.GET, "/v1/tasks?state=running", null, "acme-ro-secret").items().getJsonObject(0)
        .getString("id");
    send(HttpMethod.DELETE, "/v1/tasks/" + id, null, "acme-rw-secret").problem(409, null);
    send(HttpMethod.POST, "/v1/tasks/" + id + "/cancel", null, "acme-rw-secret").expect(200);
    send(HttpMethod.DELETE, "/v1/tasks/" + id, null, "acme-rw-secret").expect(204);
    send(HttpMethod.POST, "/v1/tasks", external(), "acme-rw-secret").expect(201); // its room came back
    TestServer.Resp fast = send(HttpMethod.POST, "/v1/tasks", external(), "acme-rw-secret");
    fast.problem(429, null); // 5 creates this second were made (4 held, 1 refused counts too)
    assertTrue(fast.json().getString("detail").contains("tenant_creates_per_second"), fast.raw());
    server.advance(1_000);
    send(HttpMethod.POST, "/v1/tasks/" + send(HttpMethod.GET, "/v1/tasks?state=running", null, "acme-ro-secret").items()
        .getJsonObject(0).getString("id") + "/cancel", null, "acme-rw-secret").expect(200);
  }

  @Test
  void withAuthOnNoTaskReachesThisMachineNotEvenThroughANameThatResolvesHere() throws Exception {
    java.util.concurrent.atomic.AtomicInteger reached = new java.util.concurrent.atomic.AtomicInteger();
    io.vertx.core.http.HttpServer target = TestServer.bounded(vertx.createHttpServer().requestHandler(r -> {
      reached.incrementAndGet();
      r.response().end("{}");
    }).listen(0, "127.0.0.1"));
    try {
      int port = target.actualPort();
      for (String host : List.of("127.0.0.1", "localhost", "[::1]", "127.0.0.2")) {
        send(HttpMethod.POST, "/v1/tasks", http("http://" + host + ":" + port + "/"), "acme-rw-secret")
            .problem(400, "/request/url");
      }
      send(HttpMethod.POST, "/v1/tasks", http("http://127.0.0.1:" + server.node.port() + "/v1/cluster"), "acme-rw-secret")
          .problem(400, "/request/url");
      // A name the guard cannot judge as written: it resolves (here, by /etc/hosts) to loopback.
      String name = java.net.InetAddress.getLocalHost().getHostName();
      org.junit.jupiter.api.Assumptions.assumeTrue(!name.equals("localhost")
          && java.net.InetAddress.getByName(name).isLoopbackAddress(), name + " does not resolve to loopback here");
      String id = send(HttpMethod.POST, "/v1/tasks", http("http://" + name + ":" + port + "/"), "acme-rw-secret")
          .expect(201).json().getString("id");
      JsonObject done = awaitDone(id, "acme-ro-secret");
      assertEquals("failed", done.getString("state"), done::encode);
      assertEquals("OutboundDenied", done.getJsonObject("error").getString("type"), done::encode);
      assertEquals(0, reached.get(), "nothing was sent to this machine");
    } finally {
      TestServer.bounded(target.close());
    }
  }

  @Test
  void aTenantWithItsOwnAllowListReachesOnlyThoseHosts() {
    server.stop();
    server = TestServer.start(vertx, config("auth", "keys", "auth_keys_file", dir.resolve("keys.json").toString(),
        "tenant_http_allow", new JsonArray().add("acme:hooks.acme.test").add("acme:*.acme.internal"),
        "data_dir", dir.resolve("data-allow").toString()));
    JsonObject refused = send(HttpMethod.POST, "/v1/tasks", http("http://api.other.test/x"), "acme-rw-secret")
        .problem(400, "/request/url");
    assertTrue(refused.getString("detail").contains("tenant_http_allow"), refused.encode());
    send(HttpMethod.POST, "/v1/tasks", external().put("on_done", new JsonObject().put("url", "http://api.other.test/hook")),
        "acme-rw-secret").problem(400, "/on_done/url");
    for (String url : List.of("http://hooks.acme.test/x", "http://billing.acme.internal/y")) {
      send(HttpMethod.POST, "/v1/tasks", external().put("on_done", new JsonObject().put("url", url)), "acme-rw-secret")
          .expect(201);
    }
    send(HttpMethod.POST, "/v1/tasks", external().put("on_done", new JsonObject().put("url", "http://api.other.test/hook")),
        "globex-secret").expect(201); // a tenant not named keeps http_allow
  }

  private static JsonObject http(String url) {
    return new JsonObject().put("type", "http").put("request", new JsonObject().put("method", "GET").put("url", url))
        .put("retry", new JsonObject().put("max_attempts", 1));
  }

  private JsonObject awaitDone(String id, String secret) {
    JsonObject[] seen = new JsonObject[1];
    within(15, id + " finished", () -> {
      seen[0] = send(HttpMethod.GET, "/v1/tasks/" + id, null, secret).json();
      return TestServer.isFinished(seen[0]);
    });
    return seen[0];
  }

  @Test
  void keysRotateWhenTheirFileChanges() throws Exception {
    send(HttpMethod.GET, "/v1/tasks", null, "acme-ro-secret").expect(200);
    writeKeys(key("acme-rw", "acme-rw-secret", "acme", "tasks:read", "tasks:write"),
        key("acme-new", "acme-new-secret", "acme", "tasks:read"));
    within(10, "the new key works", () -> send(HttpMethod.GET, "/v1/tasks", null, "acme-new-secret").status() == 200);
    send(HttpMethod.GET, "/v1/tasks", null, "acme-ro-secret").problem(401, null);
    send(HttpMethod.GET, "/v1/tasks", null, "ops-secret").problem(401, null);
    Files.writeString(dir.resolve("keys.json"), "{not json");
    String log = "a file that no longer reads keeps the keys it had";
    within(10, log, () -> send(HttpMethod.GET, "/v1/tasks", null, "acme-new-secret").status() == 200);
    send(HttpMethod.GET, "/v1/tasks", null, "acme-rw-secret").expect(200);
  }
}
