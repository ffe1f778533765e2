package io.taskloop.cluster;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.external;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import io.taskloop.loop.Addresses;
import io.taskloop.bus.WireCodec;
import io.taskloop.loop.LoopCommand;
import io.taskloop.loop.Resume;
import io.taskloop.support.TestCluster;
import io.taskloop.support.TestServer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What can be shown of a split brain on one machine: during a partition each side adopts the
 * other's tasks, so one task ends up held by two nodes. When the partition heals, the merged
 * map names one owner, and the other node drops its copy, so the task runs and finishes once.
 * The partition itself is staged: node B adopts A's task as it would on its side of a split.
 */
class SplitBrainTest {

  private TestCluster cluster;

  @BeforeEach
  void start() {
    cluster = TestCluster.start(2, Map.of());
  }

  @AfterEach
  void stop() {
    cluster.stop();
  }

  private JsonObject record(String id) {
    IMap<String, HazelcastJsonValue> map = cluster.managers.get(0).getHazelcastInstance().getMap(ClusterSetup.TASKS_MAP);
    HazelcastJsonValue value = map.get(id);
    return value == null ? null : new JsonObject(value.getValue());
  }

  private long held(TestServer s) {
    return s.get("/v1/cluster").json().getJsonArray("nodes").stream()
        .map(JsonObject.class::cast).filter(n -> n.getBoolean("self")).findFirst().orElseThrow().getLong("tasks_held");
  }

  @Test
  void afterAPartitionHealsATaskHeldTwiceIsKeptByTheOwnerTheMergedRecordsName() {
    TestServer a = cluster.node(0);
    TestServer b = cluster.node(1);
    String id = a.create(external()).getString("id");
    TestServer.within(10, "the task is replicated", () -> record(id) != null);
    JsonObject asA = record(id);

    // B's side of the split: it took A for dead and adopted the task.
    DeliveryOptions local = new DeliveryOptions().setCodecName(WireCodec.NAME).setSendTimeout(10_000);
    bounded(cluster.vertxes.get(1).eventBus().request(Addresses.loop(b.node.id(), 0), new LoopCommand.Adopt(asA, Resume.OWNER_LOST), local));
    TestServer.within(10, "B's copy is replicated", () -> b.node.id().equals(record(id).getString("owner")));
    assertEquals(1, held(b));

    // The merge keeps A's record (LatestUpdateMergePolicy picks one; here A's, written last).
    IMap<String, HazelcastJsonValue> map = cluster.managers.get(0).getHazelcastInstance().getMap(ClusterSetup.TASKS_MAP);
    map.put(id, new HazelcastJsonValue(asA.encode()));
    assertEquals(1, bounded(b.node.reconcile()), "B drops the copy the merged map gives to A");
    assertEquals(0, held(b));
    assertEquals(0, bounded(a.node.reconcile()), "A keeps the task it owns");

    b.post("/v1/tasks/" + id + "/complete", new JsonObject().put("result", "once")).expect(200);
    JsonObject done = a.awaitDone(id);
    assertEquals("once", done.getString("result"));
    assertEquals(a.node.id(), done.getJsonObject("loop").getString("node"));
  }
}
