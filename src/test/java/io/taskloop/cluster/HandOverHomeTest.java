package io.taskloop.cluster;

import static io.taskloop.support.TestServer.composite;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.taskloop.support.ProcessCluster;
import io.taskloop.support.TestServer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A composite's child handed over to the very loop that holds the composite: two nodes of one
 * loop each, a gather on A over children on B, then B leaves gracefully, so its children can
 * only land beside the gather. The gather had asked B to tell it when they end; B is gone, and
 * the loop it watches from now holds them itself. A client long-polling the gather through the
 * hand-over sees it end as the children do.
 */
class HandOverHomeTest {

  private ProcessCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aGatherHearsChildrenHandedOverToItsOwnLoop() throws Exception {
    cluster = ProcessCluster.start("handover-home", 2, Map.of("TASKLOOP_LOOPS", "1"));
    TestServer a = cluster.client(0);
    TestServer b = cluster.client(1);
    String waiting = b.create(external()).getString("id");
    String sleeping = b.create(sleep(8_000, "slept")).getString("id");
    String gather = a.create(composite("gather", waiting, sleeping)).getString("id");
    assertEquals(cluster.nodeId(0), a.task(gather).getJsonObject("loop").getString("node"));
    assertEquals(cluster.nodeId(1), a.task(waiting).getJsonObject("loop").getString("node"));

    // A client waits on the gather as it would, across the hand-over.
    CompletableFuture<JsonObject> watched = CompletableFuture.supplyAsync(() -> {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      JsonObject t;
      do { // long polls of 10 s, one after another, as a client with a short read timeout does
        t = a.send(HttpMethod.GET, "/v1/tasks/" + gather + "?wait=10", null, Map.of()).expect(200).json();
      } while (!TestServer.isFinished(t) && System.nanoTime() - until < 0);
      return t;
    });

    assertEquals(143, cluster.terminate(1), "B ends as a JVM does after SIGTERM, its tasks handed over");
    TestServer.within(30, "A holds B's children", () -> {
      JsonObject t = a.get("/v1/tasks/" + waiting).json();
      return t != null && cluster.nodeId(0).equals(t.getJsonObject("loop").getString("node"));
    });
    a.post("/v1/tasks/" + waiting + "/complete", new JsonObject().put("result", "done")).expect(200);

    JsonObject seen = watched.get(60, TimeUnit.SECONDS);
    assertEquals("succeeded", seen.getString("state"), () -> "the gather ended with its children: " + seen.encode());
    assertEquals(new JsonArray().add("done").add("slept"), seen.getJsonArray("result"));
  }
}
