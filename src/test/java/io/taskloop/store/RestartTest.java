package io.taskloop.store;

import static io.taskloop.support.TestServer.bounded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.ProcessCluster;
import io.taskloop.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node alone, in a JVM of its own on the default store (SQLite in its data_dir), killed with
 * SIGKILL while a client creates tasks on it, then started again on the same data_dir: every
 * task it answered 201 for is there under its id, and each kind of task carries on as it
 * should. Real time runs in the child JVM: instants are checked against the task's own record.
 */
class RestartTest {

  private static final Logger LOG = LoggerFactory.getLogger(RestartTest.class);

  private final Vertx vertx = Vertx.vertx();
  private ProcessCluster node;
  private HttpServer gate;
  /** Requests of http tasks, held until the test answers them, by path; and how many came per path. */
  private final Map<String, HttpServerRequest> held = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> arrivals = new ConcurrentHashMap<>();

  @BeforeEach
  void start() {
    gate = bounded(vertx.createHttpServer().requestHandler(req -> {
      arrivals.computeIfAbsent(req.path(), p -> new AtomicInteger()).incrementAndGet();
      held.put(req.path(), req);
    }).listen(0, "127.0.0.1"));
    node = ProcessCluster.start("restart", 1, Map.of("TASKLOOP_CLUSTER_MODE", "none", "TASKLOOP_RETENTION_MS", "600000"));
  }

  @AfterEach
  void stop() {
    node.close();
    bounded(gate.close());
    bounded(vertx.close());
  }

  private TestServer client() {
    return node.client(0);
  }

  private JsonObject http(String path, JsonObject retry) {
    JsonObject spec = new JsonObject().put("type", "http").put("attempt_timeout_ms", 60_000)
        .put("request", new JsonObject().put("method", "GET").put("url", "http://127.0.0.1:" + gate.actualPort() + path));
    return retry == null ? spec : spec.put("retry", retry);
  }

  @Test
  void aNodeKilledUnderLoadComesBackWithEveryAcknowledgedTask() throws Exception {
    TestServer c = client();
    String nodeId = node.nodeId(0);
    // Tasks of each kind, each acknowledged before the kill.
    String longSleep = c.create(TestServer.sleep(8_000, "late")).getString("id");
    String shortSleep = c.create(TestServer.sleep(300, "early")).getString("id");
    String timesOut = c.create(TestServer.external().put("timeout_ms", 6_000)).getString("id");
    String external = c.create(TestServer.external()).getString("id");
    String waitsForEvent = c.create(TestServer.event("restart-a")).getString("id");
    c.put("/v1/events/restart-b", new JsonObject().put("payload", "kept")).expect(200);
    String child = c.create(TestServer.external()).getString("id");
    String gather = c.create(TestServer.composite("gather", child, TestServer.sleep(2_000, "s"))).getString("id");
    JsonObject keyed = TestServer.external().put("name", "keyed");
    String keyedId = c.post("/v1/tasks", keyed, Map.of("Idempotency-Key", "restart-key")).expect(201).json().getString("id");
    String finished = c.awaitDone(c.create(TestServer.sleep(0, 42)).getString("id")).getString("id");
    String retried = c.create(http("/retried", new JsonObject().put("max_attempts", 3).put("backoff_ms", 10))).getString("id");
    String lost = c.create(http("/lost", null)).getString("id");
    TestServer.within(10, "both http tasks' first attempts are in flight", () -> held.containsKey("/retried")
        && held.containsKey("/lost"));

    // A client creating tasks as fast as it can when the node dies.
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicBoolean creating = new AtomicBoolean(true);
    WebClient load = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(node.httpPort(0)).setConnectTimeout(2_000), new PoolOptions().setHttp1MaxSize(32));
    for (int i = 0; i < 32; i++) {
      createUntilStopped(load, creating, acknowledged, i);
    }
    TestServer.within(60, "3,000 creates acknowledged under load", () -> acknowledged.size() >= 3_000);
    node.kill(0);
    creating.set(false);
    int answered = acknowledged.size();
    LOG.info("killed the node after {} creates under load were acknowledged", answered);

    long restartAt = System.currentTimeMillis();
    node.restart(0);
    c = client();
    assertEquals(nodeId, node.nodeId(0), "the node keeps its id on its data_dir");

    // Ready means recovered: every acknowledged task is there under its id.
    List<String> missing = new ArrayList<>();
    for (String id : acknowledged) {
      if (c.get("/v1/tasks/" + id).status() != 200) {
        missing.add(id);
      }
    }
    assertEquals(List.of(), missing, "of " + acknowledged.size() + " acknowledged creates, these are missing");
    String log = Files.readString(node.log(0));
    assertTrue(log.contains("took up") && log.contains("from sqlite in"), "the log says what was recovered and how long it took");
    if (System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64")) {
      assertTrue(log.contains("network transport: native epoll"), "on Linux x86_64 a node runs Netty's native transport");
    }

    // A finished task keeps its result; a key still replays its task.
    assertEquals(42, c.task(finished).getInteger("result"));
    JsonObject replay = c.post("/v1/tasks", keyed, Map.of("Idempotency-Key", "restart-key")).expect(200).json();
    assertEquals(keyedId, replay.getString("id"));
    // A sleep past its end while the node was down ends at once; one still ahead ends at its original instant.
    JsonObject early = c.awaitDone(shortSleep);
    assertEquals("early", early.getString("result"));
    JsonObject late = c.awaitDone(longSleep);
    assertEquals("late", late.getString("result"));
    long lateBy = millis(late, "finished_at") - millis(late, "created_at") - 8_000;
    assertTrue(lateBy >= 0 && lateBy < Math.max(2_000, restartAt - millis(late, "created_at")),
        "the 8 s sleep ended at its original instant, not 8 s after the restart (it ended " + lateBy + " ms late)");
    // A timeout still fires; external and event tasks can still be completed and woken.
    JsonObject timedOut = c.awaitDone(timesOut);
    assertEquals("timed_out", timedOut.getString("state"));
    c.post("/v1/tasks/" + external + "/complete", new JsonObject().put("result", "after")).expect(200);
    assertEquals("after", c.awaitDone(external).getString("result"));
    c.put("/v1/events/restart-a", new JsonObject().put("payload", "woken")).expect(200);
    assertEquals("woken", c.awaitDone(waitsForEvent).getString("result"));
    // A set event is still set.
    assertEquals(true, c.get("/v1/events/restart-b").expect(200).json().getBoolean("set"));
    assertEquals("kept", c.get("/v1/events/restart-b").json().getString("payload"));
    // A composite finishes when its children do.
    c.post("/v1/tasks/" + child + "/complete", new JsonObject().put("result", "c")).expect(200);
    JsonObject gathered = c.awaitDone(gather);
    assertEquals(new JsonArray().add("c").add("s"), gathered.getJsonArray("result"));
    // An http attempt in flight is retried when its policy allows, else the task fails with OwnerLost.
    TestServer.within(10, "the retried task's second attempt arrives", () -> arrivals.get("/retried").get() == 2);
    held.remove("/retried").response().setStatusCode(200).end("ok");
    JsonObject retriedDone = c.awaitDone(retried);
    assertEquals("succeeded", retriedDone.getString("state"), retriedDone::encode);
    assertEquals("OwnerLost", retriedDone.getJsonArray("attempts").getJsonObject(0).getJsonObject("error").getString("type"));
    JsonObject lostDone = c.awaitDone(lost);
    assertEquals("failed", lostDone.getString("state"));
    assertEquals("OwnerLost", lostDone.getJsonObject("error").getString("type"));
    load.close();
  }

  /** Creates a task, records its id if the answer is a 201, and goes on until told to stop. */
  private void createUntilStopped(WebClient load, AtomicBoolean creating, Set<String> acknowledged, int n) {
    if (!creating.get()) {
      return;
    }
    JsonObject spec = n % 2 == 0 ? TestServer.sleep(50 + n, n) : TestServer.external();
    Future<HttpResponse<Buffer>> sent = load.post("/v1/tasks").timeout(5_000).sendJsonObject(spec);
    sent.onComplete(ar -> {
      if (ar.succeeded() && ar.result().statusCode() == 201) {
        acknowledged.add(ar.result().bodyAsJsonObject().getString("id"));
      }
      createUntilStopped(load, creating, acknowledged, n);
    });
  }

  private static long millis(JsonObject task, String field) {
    return Instant.parse(task.getString(field)).toEpochMilli();
  }
}
