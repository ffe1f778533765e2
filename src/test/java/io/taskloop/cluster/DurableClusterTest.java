package io.taskloop.cluster;

import static io.taskloop.support.TestServer.bounded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.Postgres;
import io.taskloop.support.ProcessCluster;
import io.taskloop.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster loses nothing it acknowledged: real nodes in JVMs of their own, killed with SIGKILL.
 * On the default store (SQLite, a file per node) a node killed while a client creates on it
 * leaves every acknowledged task readable through the survivors, and comes back on its data_dir
 * under its id; on PostgreSQL, every node killed and three new ones started find every task.
 */
class DurableClusterTest {

  private static final Logger LOG = LoggerFactory.getLogger(DurableClusterTest.class);

  private final Vertx vertx = Vertx.vertx();
  private final List<ProcessCluster> clusters = new ArrayList<>();

  @AfterEach
  void stop() {
    clusters.forEach(ProcessCluster::close);
    bounded(vertx.close());
  }

  private ProcessCluster start(String name, Map<String, String> env) {
    ProcessCluster cluster = ProcessCluster.start(name, 3, env);
    clusters.add(cluster);
    return cluster;
  }

  /** Creates external tasks on {@code port} as fast as 32 connections allow, recording each id answered 201. */
  private AtomicBoolean createOn(int port, Set<String> acknowledged) {
    AtomicBoolean creating = new AtomicBoolean(true);
    WebClient load = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
        .setConnectTimeout(2_000), new PoolOptions().setHttp1MaxSize(32));
    for (int i = 0; i < 32; i++) {
      create(load, creating, acknowledged);
    }
    return creating;
  }

  private void create(WebClient load, AtomicBoolean creating, Set<String> acknowledged) {
    if (!creating.get()) {
      return;
    }
    Future<HttpResponse<Buffer>> sent = load.post("/v1/tasks").timeout(5_000).sendJsonObject(TestServer.external());
    sent.onComplete(ar -> {
      if (ar.succeeded() && ar.result().statusCode() == 201) {
        acknowledged.add(ar.result().bodyAsJsonObject().getString("id"));
      }
      create(load, creating, acknowledged);
    });
  }

  /** Reads every id through {@code via} until each answers 200 (a 503 while adopting is asked again), bounded. */
  private static List<String> unreadable(Set<String> ids, TestServer via) {
    List<String> missing = new ArrayList<>();
    for (String id : ids) {
      int status = 0;
      for (int tries = 0; tries < 200; tries++) {
        status = via.get("/v1/tasks/" + id).status();
        if (status != 503) {
          break;
        }
        java.util.concurrent.locks.LockSupport.parkNanos(50_000_000);
      }
      if (status != 200) {
        missing.add(id + " (" + status + ")");
      }
    }
    return missing;
  }

  @Test
  void aNodeKilledWhileClientsCreateOnItLosesNothingAcknowledgedAndComesBackUnderItsId() {
    ProcessCluster cluster = start("durable-kill", Map.of());
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicBoolean creating = createOn(cluster.httpPort(2), acknowledged);
    TestServer.within(60, "3,000 creates on node 2 acknowledged", () -> acknowledged.size() >= 3_000);
    String victim = cluster.nodeId(2);
    cluster.kill(2);
    creating.set(false);
    LOG.info("killed node 2 after {} acknowledged creates on it", acknowledged.size());

    assertEquals(List.of(), unreadable(acknowledged, cluster.client(0)), "acknowledged tasks missing after the kill");

    // Back on its data_dir: the same id; the tasks the survivors adopted stay theirs and end once.
    cluster.restart(2);
    assertEquals(victim, cluster.nodeId(2));
    List<String> some = new ArrayList<>(acknowledged).subList(0, 50);
    for (String id : some) {
      JsonObject done = cluster.client(2).post("/v1/tasks/" + id + "/complete", new JsonObject().put("result", id))
          .expect(200).json();
      assertEquals(id, done.getString("result"));
      cluster.client(0).post("/v1/tasks/" + id + "/complete", new JsonObject()).problem(409, null);
      JsonObject through1 = cluster.client(1).task(id);
      assertEquals("succeeded", through1.getString("state"));
      assertEquals(done.getInteger("version"), through1.getInteger("version"), "one record, wherever it is read");
    }
    String fresh = cluster.client(2).create(TestServer.external()).getString("id");
    assertTrue(fresh.startsWith(victim + "-"), "new tasks on the node that came back carry its id");
    assertEquals("running", cluster.client(0).task(fresh).getString("state"), "and the others route to it again");
  }

  @Test
  void onPostgresEveryNodeKilledAndThreeNewOnesStartedFindEveryTask() {
    Postgres pg = Postgres.shared();
    Map<String, String> env = Map.of("TASKLOOP_STORE", "postgres", "TASKLOOP_POSTGRES_URL", pg.url(pg.newDatabase()));
    ProcessCluster first = start("durable-pg-1", env);
    Map<String, String> kinds = new HashMap<>();
    List<String> externals = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      TestServer on = first.client(i % 3);
      String ext = on.create(TestServer.external()).getString("id");
      externals.add(ext);
      kinds.put(ext, "external");
      kinds.put(on.create(TestServer.sleep(4_000, "slept-" + i)).getString("id"), "sleep");
      kinds.put(on.create(TestServer.event("pg-restart-" + (i % 3))).getString("id"), "event");
      kinds.put(on.create(TestServer.composite("gather", ext)).getString("id"), "gather");
      kinds.put(on.awaitDone(on.create(TestServer.sleep(0, i)).getString("id")).getString("id"), "finished");
    }
    first.client(0).put("/v1/events/pg-restart-kept", new JsonObject().put("payload", "kept")).expect(200);
    for (int i = 0; i < 3; i++) {
      first.kill(i);
    }
    LOG.info("killed all three nodes holding {} tasks", kinds.size());

    ProcessCluster second = start("durable-pg-2", env);
    TestServer via = second.client(1);
    assertEquals(List.of(), unreadable(kinds.keySet(), via), "tasks missing after a full restart on new nodes");
    assertEquals("kept", via.get("/v1/events/pg-restart-kept").expect(200).json().getString("payload"));
    for (int i = 0; i < 3; i++) {
      second.client(i).put("/v1/events/pg-restart-" + i, new JsonObject().put("payload", "woken")).expect(200);
    }
    for (String ext : externals) {
      second.client(2).post("/v1/tasks/" + ext + "/complete", new JsonObject().put("result", "after")).expect(200);
    }
    Map<String, Integer> ended = new HashMap<>();
    kinds.forEach((id, kind) -> {
      JsonObject t = via.awaitDone(id);
      assertEquals("succeeded", t.getString("state"), () -> kind + " " + t.encode());
      switch (kind) {
        case "gather" -> assertEquals(new JsonArray().add("after"), t.getJsonArray("result"));
        case "event" -> assertEquals("woken", t.getString("result"));
        case "external" -> assertEquals("after", t.getString("result"));
        default -> { }
      }
      ended.merge(kind, 1, Integer::sum);
    });
    LOG.info("after the full restart every task ended as it should: {}", ended);
  }
}
