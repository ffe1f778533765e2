package io.taskloop.cluster;

import static io.taskloop.support.TestServer.composite;
import static io.taskloop.support.TestServer.event;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.taskloop.support.TestCluster;
import io.taskloop.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A member crashes (its Hazelcast member terminates without a word) and the survivors adopt
 * its tasks from the replicated records: deadlines hold, waiting tasks keep waiting and are
 * completed through any survivor, composites resume.
 */
class AdoptionTest {

  private TestCluster cluster;

  @BeforeEach
  void start() {
    cluster = TestCluster.start(3, Map.of());
  }

  @AfterEach
  void stop() {
    cluster.stop();
  }

  /** The record of a task is replicated within a flush interval; wait until a survivor sees it. */
  private void replicated(String id) {
    TestServer.within(10, "task " + id + " is replicated", () ->
        cluster.managers.get(0).getHazelcastInstance().getMap(ClusterSetup.TASKS_MAP).containsKey(id));
  }

  @Test
  void aCrashedNodesTasksAreAdoptedAndFinishAsTheyWould() {
    TestServer victim = cluster.node(2);
    String ext = victim.create(external()).getString("id");
    String sleeper = victim.create(sleep(5_000, "slept")).getString("id");
    String timed = victim.create(external().put("timeout_ms", 3_000)).getString("id");
    String waiter = victim.create(event("after-crash")).getString("id");
    String survivorChild = cluster.node(0).create(external()).getString("id");
    String gather = victim.create(composite("gather", sleep(1_000, "a"), survivorChild)).getString("id");
    for (String id : new String[] {ext, sleeper, timed, waiter, gather}) {
      replicated(id);
    }
    replicated(survivorChild);

    cluster.crash(2);
    TestServer a = cluster.node(0);
    TestServer b = cluster.node(1);
    // Each survivor learns of the crash on its own; until then a read it sent to the dead node
    // answers 503 with "retry" (its tasks are being adopted), so both are waited for.
    TestServer.within(30, "the external task is adopted, as both survivors see",
        () -> a.get("/v1/tasks/" + ext).status() == 200 && b.get("/v1/tasks/" + ext).status() == 200);
    JsonObject adopted = b.task(ext);
    assertEquals("running", adopted.getString("state"));
    assertNotEquals(victim.node.id(), adopted.getJsonObject("loop").getString("node"), "a survivor owns it now");

    b.post("/v1/tasks/" + ext + "/complete", new JsonObject().put("result", "after")).expect(200);
    assertEquals("after", a.awaitDone(ext).getString("result"));

    TestServer.within(30, "every task is adopted", () -> a.get("/v1/tasks/" + gather).status() == 200
        && a.get("/v1/tasks/" + sleeper).status() == 200 && a.get("/v1/tasks/" + timed).status() == 200
        && a.get("/v1/tasks/" + waiter).status() == 200);
    a.put("/v1/events/after-crash", new JsonObject().put("payload", 1)).expect(200);
    assertEquals(1, b.awaitDone(waiter).getInteger("result"));

    cluster.advance(3_000);
    assertEquals("timed_out", a.awaitDone(timed).getString("state"), "the original deadline still holds");
    assertEquals("running", a.task(sleeper).getString("state"));
    cluster.advance(2_000);
    assertEquals("slept", b.awaitDone(sleeper).getString("result"));

    a.post("/v1/tasks/" + survivorChild + "/complete", new JsonObject().put("result", "b")).expect(200);
    assertEquals(new JsonArray().add("a").add("b"), a.awaitDone(gather).getJsonArray("result"));
  }

  @Test
  void aLeavingNodeHandsItsTasksOver() {
    TestServer leaving = cluster.node(1);
    String ext = leaving.create(external()).getString("id");
    String sleeper = leaving.create(sleep(2_000, "z")).getString("id");
    TestServer.bounded(leaving.node.leave(10_000), 20);
    TestServer a = cluster.node(0);
    assertEquals("running", a.task(ext).getString("state"));
    a.post("/v1/tasks/" + ext + "/complete", new JsonObject().put("result", 5)).expect(200);
    assertEquals(5, cluster.node(2).awaitDone(ext).getInteger("result"));
    cluster.advance(2_000);
    assertEquals("z", cluster.node(2).awaitDone(sleeper).getString("result"));
  }
}
