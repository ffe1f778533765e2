package io.taskloop.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.Node;
import io.taskloop.config.Config;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real taskloop node on a loopback port with a settable clock, and a client that talks HTTP
 * to it. Every call is bounded: a test that would hang fails after {@link #BOUND_S} seconds.
 */
public final class TestServer {

  public static final long BOUND_S = 15;
  public static final long START = 1_700_000_000_000L;

  public final ManualClock clock;
  public final Node node;
  private final WebClient client;
  private final WebClient freshConnections;

  private TestServer(Vertx vertx, Node node, ManualClock clock) {
    this.node = node;
    this.clock = clock;
    WebClientOptions base = new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(node.port());
    this.client = WebClient.create(vertx, base);
    this.freshConnections = WebClient.create(vertx, new WebClientOptions(base).setKeepAlive(false));
  }

  private TestServer(Vertx vertx, int port, int connections) {
    this.node = null;
    this.clock = null;
    WebClientOptions base = new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port);
    PoolOptions pool = new PoolOptions().setHttp1MaxSize(connections);
    this.client = WebClient.create(vertx, base, pool);
    this.freshConnections = WebClient.create(vertx, new WebClientOptions(base).setKeepAlive(false), pool);
  }

  /** Starts a node with three loops; {@code overrides} are config keys as in the JSON file. */
  public static TestServer start(Vertx vertx, Map<String, Object> overrides) {
    return start(vertx, overrides, START);
  }

  /** As {@link #start(Vertx, Map)}, with the clock starting at {@code startMillis}. */
  public static TestServer start(Vertx vertx, Map<String, Object> overrides, long startMillis) {
    JsonObject file = new JsonObject().put("http_port", 0).put("loops", 3).put("data_dir", freshDataDir().toString());
    overrides.forEach(file::put);
    Config config = Config.from(file, Map.of());
    ManualClock clock = new ManualClock(startMillis);
    Node node = bounded(Node.start(vertx, config, clock));
    return new TestServer(vertx, node, clock);
  }

  /**
   * A client for a node in another process ({@link ProcessCluster}) on {@code 127.0.0.1:port}: it
   * has no {@link #node} or {@link #clock} here, only the requests and task helpers. Up to
   * {@code connections} requests are in flight at once, so that many threads may long-poll.
   */
  public static TestServer remote(Vertx vertx, int port, int connections) {
    return new TestServer(vertx, port, connections);
  }

  /** A client for a node started elsewhere (a cluster member). */
  public static TestServer of(Vertx vertx, Node node, ManualClock clock) {
    return new TestServer(vertx, node, clock);
  }

  public static TestServer start(Vertx vertx) {
    return start(vertx, Map.of());
  }

  /** A new, empty data_dir under target/ for a node's store (the default store, sqlite, keeps its file there). */
  public static java.nio.file.Path freshDataDir() {
    try {
      java.nio.file.Path base = java.nio.file.Path.of(System.getProperty("basedir", "."), "target", "data");
      java.nio.file.Files.createDirectories(base);
      return java.nio.file.Files.createTempDirectory(base, "node-");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Moves the clock and lets every loop run what became due. */
  public void advance(long ms) {
    clock.advance(ms);
    bounded(node.tick());
  }

  public void stop() {
    closeClients();
    bounded(node.stop());
  }

  void closeClients() {
    client.close();
    freshConnections.close();
  }

  // ------------------------------------------------------------------ requests

  public record Resp(int status, MultiMap headers, String raw) {

    public JsonObject json() {
      return new JsonObject(raw);
    }

    public JsonArray items() {
      return json().getJsonArray("items");
    }

    public String header(String name) {
      return headers.get(name);
    }

    public Resp expect(int expected) {
      assertEquals(expected, status, () -> "status of a response with body " + raw);
      return this;
    }

    /** Asserts a problem+json answer with this status whose pointer (or parameter) is {@code at}. */
    public JsonObject problem(int expected, String at) {
      expect(expected);
      assertTrue(headers.get("Content-Type").startsWith("application/problem+json"), headers.get("Content-Type"));
      JsonObject p = json();
      assertEquals(expected, p.getInteger("status"));
      if (at != null) {
        String where = p.containsKey("pointer") ? p.getString("pointer") : p.getString("parameter");
        assertEquals(at, where, () -> "where the problem points, in " + raw);
      }
      return p;
    }
  }

  public Resp send(HttpMethod method, String path, Object body, Map<String, String> headers) {
    return send(client, method, path, body, headers);
  }

  /** Sends on a new connection: the node's loops take new connections in turn. */
  public Resp sendFresh(HttpMethod method, String path, Object body) {
    return send(freshConnections, method, path, body, Map.of());
  }

  private static Resp send(WebClient c, HttpMethod method, String path, Object body, Map<String, String> headers) {
    HttpRequest<Buffer> request = c.request(method, path);
    headers.forEach(request::putHeader);
    Future<HttpResponse<Buffer>> f;
    if (body == null) {
      f = request.send();
    } else if (body instanceof String s) {
      f = request.putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(s));
    } else if (body instanceof Buffer b) {
      f = request.putHeader("Content-Type", "application/json").sendBuffer(b);
    } else {
      f = request.putHeader("Content-Type", "application/json").sendBuffer(Json.encodeToBuffer(body));
    }
    HttpResponse<Buffer> r = bounded(f);
    return new Resp(r.statusCode(), r.headers(), r.bodyAsString() == null ? "" : r.bodyAsString());
  }

  /** POSTs a body with the given Content-Type, as a client like curl -d would. */
  public Resp sendRaw(String path, String body, String contentType) {
    HttpResponse<Buffer> r = bounded(client.post(path).putHeader("Content-Type", contentType).sendBuffer(Buffer.buffer(body)));
    return new Resp(r.statusCode(), r.headers(), r.bodyAsString() == null ? "" : r.bodyAsString());
  }

  public Resp post(String path, Object body) {
    return send(HttpMethod.POST, path, body, Map.of());
  }

  public Resp post(String path, Object body, Map<String, String> headers) {
    return send(HttpMethod.POST, path, body, headers);
  }

  public Resp get(String path) {
    return send(HttpMethod.GET, path, null, Map.of());
  }

  public Resp put(String path, Object body) {
    return send(HttpMethod.PUT, path, body, Map.of());
  }

  public Resp delete(String path) {
    return send(HttpMethod.DELETE, path, null, Map.of());
  }

  // ------------------------------------------------------------------ task helpers

  /** Creates a task from a flat spec and returns its JSON (201 expected). */
  public JsonObject create(JsonObject spec) {
    return post("/v1/tasks", spec).expect(201).json();
  }

  public JsonObject task(String id) {
    return get("/v1/tasks/" + id).expect(200).json();
  }

  /** Long-polls until the task finishes (bounded); fails the test if it does not. */
  public JsonObject awaitDone(String id) {
    // Prefer is capped at the server's wait limit, so this works whatever the limit is.
    JsonObject t = send(HttpMethod.GET, "/v1/tasks/" + id, null, Map.of("Prefer", "wait=10")).expect(200).json();
    assertTrue(isFinished(t), () -> "task did not finish: " + t.encode());
    return t;
  }

  public static boolean isFinished(JsonObject task) {
    String s = task.getString("state");
    return !s.equals("pending") && !s.equals("running");
  }

  public static JsonObject sleep(long ms, Object result) {
    return new JsonObject().put("type", "sleep").put("delay_ms", ms).put("result", result);
  }

  public static JsonObject external() {
    return new JsonObject().put("type", "external");
  }

  public static JsonObject event(String name) {
    return new JsonObject().put("type", "event").put("event", name);
  }

  public static JsonObject composite(String type, Object... children) {
    JsonArray tasks = new JsonArray();
    for (Object c : children) {
      tasks.add(c);
    }
    return new JsonObject().put("type", type).put("tasks", tasks);
  }

  public static JsonObject single(String type, Object child) {
    return new JsonObject().put("type", type).put("task", child);
  }

  public static Map<String, Object> config(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** Asks again until {@code condition} holds, at most a few hundred times: for effects that cross loops. */
  public static void eventually(String what, java.util.function.BooleanSupplier condition) {
    for (int i = 0; i < 500; i++) {
      if (condition.getAsBoolean()) {
        return;
      }
    }
    throw new AssertionError("never happened: " + what);
  }

  /** Asks again until {@code condition} holds or {@code seconds} pass: for cluster-level effects. */
  public static void within(long seconds, String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    throw new AssertionError("not within " + seconds + " s: " + what);
  }

  public static <T> T bounded(Future<T> f) {
    return bounded(f, BOUND_S);
  }

  public static <T> T bounded(Future<T> f, long seconds) {
    try {
      return f.await(seconds, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer within " + seconds + " s", e);
    }
  }
}
