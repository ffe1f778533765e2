package io.taskloop.cluster;

import static io.taskloop.support.TestServer.composite;
import static io.taskloop.support.TestServer.external;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.taskloop.support.TestCluster;
import io.taskloop.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A task adopted once can be adopted again: its id still names the node that created it, but it
 * lives on its adopter, and a composite elsewhere that watches it must keep hearing from it when
 * that adopter leaves in turn (what a rolling restart does to every task).
 */
class ReadoptionTest {

  private TestCluster cluster;

  @BeforeEach
  void start() {
    cluster = TestCluster.start(3, Map.of());
  }

  @AfterEach
  void stop() {
    cluster.stop();
  }

  @Test
  void aCompositeHearsFromAChildAdoptedTwice() {
    TestServer a = cluster.node(0);
    TestServer b = cluster.node(1);
    TestServer c = cluster.node(2);
    List<String> survivorsOfA = new ArrayList<>(List.of(b.node.id(), c.node.id()));
    survivorsOfA.sort(String::compareTo);
    // A child on A that B (not C) will adopt when A leaves, watched by a gather on C.
    String child = null;
    for (int i = 0; i < 64 && child == null; i++) {
      String id = a.create(external()).getString("id");
      if (Adoption.chooseAdopter(id, survivorsOfA).equals(b.node.id())) {
        child = id;
      }
    }
    String x = child;
    String gather = c.create(composite("gather", x)).getString("id");

    TestServer.bounded(a.node.leave(10_000), 20);
    cluster.crash(0);
    assertEquals(b.node.id(), c.task(x).getJsonObject("loop").getString("node"), "B adopted the child");
    assertEquals("running", c.task(gather).getString("state"));

    TestServer.bounded(b.node.leave(10_000), 20);
    cluster.crash(1);
    assertEquals(c.node.id(), c.task(x).getJsonObject("loop").getString("node"), "C adopted the child from B");

    c.post("/v1/tasks/" + x + "/complete", new JsonObject().put("result", "paid")).expect(200);
    assertEquals("succeeded", c.awaitDone(x).getString("state"));
    JsonObject g = c.awaitDone(gather);
    assertEquals(new JsonArray().add("paid"), g.getJsonArray("result"), g::encode);
  }
}
