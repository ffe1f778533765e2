package io.taskloop.cluster;

import static io.taskloop.support.TestServer.composite;
import static io.taskloop.support.TestServer.event;
import static io.taskloop.support.TestServer.external;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.TestCluster;
import io.taskloop.support.TestServer;
import io.taskloop.support.TestServer.Resp;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Three real Hazelcast members in this JVM: any node serves any task, events are cluster-wide. */
class ClusterTest {

  private static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(3, Map.of());
  }

  @AfterAll
  static void stop() {
    cluster.stop();
  }

  private static String nodeOf(JsonObject task) {
    return task.getJsonObject("loop").getString("node");
  }

  @Test
  void oneIdempotencyKeySentToThreeNodesAtOnceMakesOneTaskThatEveryNodeReplays() {
    Vertx vertx = cluster.vertxes.get(0);
    List<WebClient> clients = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      clients.add(WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(cluster.node(i).node.port())));
    }
    try {
      for (int round = 0; round < 5; round++) {
        String key = "three-at-once-" + round;
        JsonObject spec = composite("gather", external(), TestServer.sleep(10, "x"));
        List<Future<HttpResponse<Buffer>>> sent = new ArrayList<>();
        for (WebClient c : clients) {
          sent.add(c.post("/v1/tasks").putHeader("Idempotency-Key", key).sendJsonObject(spec));
        }
        TestServer.bounded(Future.all(sent));
        Set<String> ids = new HashSet<>();
        int created = 0;
        for (Future<HttpResponse<Buffer>> f : sent) {
          HttpResponse<Buffer> r = f.result();
          assertTrue(r.statusCode() == 201 || r.statusCode() == 200, () -> r.statusCode() + " " + r.bodyAsString());
          if (r.statusCode() == 201) {
            created++;
          } else {
            assertEquals("true", r.getHeader("Idempotent-Replayed"));
          }
          ids.add(r.bodyAsJsonObject().getString("id"));
        }
        assertEquals(1, created, "one of the three creates the task");
        assertEquals(1, ids.size(), "all three answer the same task: " + ids);
        String id = ids.iterator().next();
        for (int i = 0; i < 3; i++) {
          Resp replay = cluster.node(i).post("/v1/tasks", spec, Map.of("Idempotency-Key", key)).expect(200);
          assertEquals("true", replay.header("Idempotent-Replayed"));
          assertEquals(id, replay.json().getString("id"));
          cluster.node(i).post("/v1/tasks", external(), Map.of("Idempotency-Key", key)).problem(422, "Idempotency-Key");
        }
      }
    } finally {
      clients.forEach(WebClient::close);
    }
  }

  @Test
  void aTaskOwnedByOneNodeIsReadAwaitedCompletedAndCancelledThroughAnother() {
    TestServer a = cluster.node(0);
    TestServer b = cluster.node(1);
    JsonObject t = a.create(external());
    assertEquals(a.node.id(), nodeOf(t));
    String id = t.getString("id");
    assertEquals("running", b.task(id).getString("state"));
    b.post("/v1/tasks/" + id + "/complete", new JsonObject().put("result", "from b")).expect(200);
    assertEquals("from b", cluster.node(2).awaitDone(id).getString("result"));
    String other = b.create(external()).getString("id");
    assertEquals("cancelled", a.post("/v1/tasks/" + other + "/cancel", null).expect(200).json().getString("state"));
    a.post("/v1/tasks/" + other + "/cancel", null).problem(409, null);
  }

  @Test
  void compositesOverChildrenOnOtherNodesArePushedTheirResults() {
    String c0 = cluster.node(0).create(external()).getString("id");
    String c1 = cluster.node(1).create(external()).getString("id");
    JsonObject g = cluster.node(2).create(composite("gather", c0, c1));
    JsonObject w = cluster.node(1).create(composite("wait", c0, c1).put("return_when", "FIRST_COMPLETED"));
    cluster.node(1).post("/v1/tasks/" + c1 + "/complete", new JsonObject().put("result", 1)).expect(200);
    JsonObject waited = cluster.node(0).awaitDone(w.getString("id"));
    assertEquals(new JsonArray().add(c1), waited.getJsonObject("result").getJsonArray("done"));
    cluster.node(0).post("/v1/tasks/" + c0 + "/complete", new JsonObject().put("result", 0)).expect(200);
    assertEquals(new JsonArray().add(0).add(1), cluster.node(1).awaitDone(g.getString("id")).getJsonArray("result"));
  }

  @Test
  void cancellingAGatherCancelsChildrenOnOtherNodes() {
    String c0 = cluster.node(0).create(external()).getString("id");
    String c2 = cluster.node(2).create(external()).getString("id");
    JsonObject g = cluster.node(1).create(composite("gather", c0, c2));
    cluster.node(1).post("/v1/tasks/" + g.getString("id") + "/cancel", null).expect(200);
    assertEquals("cancelled", cluster.node(0).awaitDone(c0).getString("state"));
    assertEquals("cancelled", cluster.node(1).awaitDone(c2).getString("state"));
  }

  @Test
  void anEventSetOnOneNodeWakesWaitersOnEveryNode() {
    String w0 = cluster.node(0).create(event("deploy-1")).getString("id");
    String w2 = cluster.node(2).create(event("deploy-1")).getString("id");
    cluster.node(1).put("/v1/events/deploy-1", new JsonObject().put("payload", "v1")).expect(200);
    assertEquals("v1", cluster.node(0).awaitDone(w0).getString("result"));
    assertEquals("v1", cluster.node(2).awaitDone(w2).getString("result"));
    // A late waiter anywhere sees the event set.
    String late = cluster.node(2).create(event("deploy-1")).getString("id");
    assertEquals("v1", cluster.node(2).awaitDone(late).getString("result"));
    cluster.node(0).delete("/v1/events/deploy-1").expect(204);
    TestServer.eventually("the clear reaches every node",
        () -> cluster.node(2).get("/v1/events/deploy-1").status() == 404);
  }

  @Test
  void theClusterViewShowsEveryNodeAndItsLoops() {
    JsonObject view = cluster.node(1).get("/v1/cluster").expect(200).json();
    assertEquals("tcp", view.getString("mode"));
    Set<String> ids = new HashSet<>();
    for (Object n : view.getJsonArray("nodes")) {
      JsonObject node = (JsonObject) n;
      ids.add(node.getString("id"));
      assertEquals(2, node.getJsonArray("loops").size());
      assertEquals(node.getString("id").equals(cluster.node(1).node.id()), node.getBoolean("self"));
    }
    Set<String> expected = new HashSet<>();
    cluster.nodes.forEach(s -> expected.add(s.node.id()));
    assertEquals(expected, ids);
  }

  @Test
  void anIdOfANodeThatIsNotInTheClusterIsA404() {
    cluster.node(0).get("/v1/tasks/zzzzzz-0-1").problem(404, null);
    assertTrue(cluster.node(0).get("/v1/tasks/zzzzzz-0-1").json().getString("detail").contains("zzzzzz"));
  }
}
