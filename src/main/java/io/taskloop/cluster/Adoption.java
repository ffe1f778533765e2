package io.taskloop.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.taskloop.loop.Addresses;
import io.taskloop.loop.LoopCommand;
import io.taskloop.loop.LoopLink;
import io.taskloop.loop.NodeContext;
import io.taskloop.loop.Resume;
import io.taskloop.task.Task;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a node dies or leaves, the survivors adopt its tasks. Each survivor reads the records
 * the departed node owned and takes those that rendezvous hashing (of the task id over the
 * surviving node ids) gives to it, so every task gets exactly one adopter without any talk
 * between them. Runs on loop 0 of each node.
 */
public final class Adoption {

  private static final Logger LOG = LoggerFactory.getLogger(Adoption.class);
  private static final long SAFE_BOUND_MS = 30_000;
  private static final long FORGET_DEPARTED_MS = 120_000;

  private final Vertx vertx;
  private final NodeContext node;
  private final LoopLink link;
  private final HazelcastInstance hz;
  private Context context;

  public Adoption(Vertx vertx, NodeContext node, LoopLink link, HazelcastInstance hz) {
    this.vertx = vertx;
    this.node = node;
    this.link = link;
    this.hz = hz;
  }

  public Future<Void> start() {
    context = vertx.getOrCreateContext();
    hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        LOG.info("cluster member {} joined; {} members now", event.getMember().getAddress(), event.getMembers().size());
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        String member = event.getMember().getUuid().toString();
        LOG.info("cluster member {} left; {} members now", event.getMember().getAddress(), event.getMembers().size());
        context.runOnContext(v -> memberLeft(member));
      }
    });
    hz.getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
        context.runOnContext(v -> healed());
      }
    });
    Future<Void> leaving = vertx.eventBus().<JsonObject>consumer(Addresses.NODE_LEAVING,
        msg -> adoptFrom(msg.body().getString("node"), true, null)).completion();
    // A node that comes back on its data_dir keeps its id: requests for it go to it again.
    Future<Void> joined = vertx.eventBus().<JsonObject>consumer(Addresses.NODE_JOINED, msg -> {
      String back = msg.body().getString("node");
      if (node.hasDeparted(back)) {
        LOG.info("node {} is back in the cluster", back);
        node.back(back);
      }
    }).completion();
    return Future.join(leaving, joined).mapEmpty();
  }

  /**
   * The cluster merged after a partition: this node lists itself again (the other side may
   * have removed it), routes to the nodes it had given up for departed, and drops its copies
   * of tasks that the merged records give to another node.
   */
  public Future<Integer> healed() {
    node.clearDeparted();
    JsonObject info = new JsonObject().put("loops", node.loops())
        .put("member", hz.getCluster().getLocalMember().getUuid().toString());
    return nodes().compose(map -> map.put(node.nodeId(), info))
        .compose(v -> reconcile())
        .onSuccess(n -> LOG.info("partition healed: node {} dropped {} tasks that the merged records give to other nodes",
            node.nodeId(), n));
  }

  /**
   * After a partition heals, each side may have run the other's tasks (it saw the other side as
   * departed and adopted them). The merged cluster map names one owner per task: every
   * unfinished task a loop of this node holds that the map gives to another node is dropped,
   * quietly (its owner answers for it from now on). Answers how many were dropped.
   */
  public Future<Integer> reconcile() {
    // From any thread: a healed merge runs on loop 0, an operator or a test from their own.
    IMap<String, HazelcastJsonValue> map = hz.getMap(ClusterSetup.TASKS_MAP);
    List<Future<Integer>> dropped = new ArrayList<>();
    for (int loop = 0; loop < node.loops(); loop++) {
      int at = loop;
      dropped.add(LoopLink.askFromAnywhere(vertx, node, at, new LoopCommand.UnfinishedIds(), 30_000)
          .compose(ids -> vertx.executeBlocking(() -> map.getAll(new HashSet<>(ids))))
          .compose(records -> {
            List<String> elsewhere = new ArrayList<>();
            records.forEach((id, value) -> {
              if (!node.nodeId().equals(new JsonObject(value.getValue()).getString("owner"))) {
                elsewhere.add(id);
              }
            });
            return LoopLink.askFromAnywhere(vertx, node, at, new LoopCommand.Drop(elsewhere), 30_000);
          }));
    }
    return Future.all(dropped).map(all -> all.<Integer>list().stream().mapToInt(Integer::intValue).sum());
  }

  /** A Hazelcast member is gone: find which taskloop node it was, and adopt its tasks. */
  private void memberLeft(String member) {
    memberLeft(member, 120);
  }

  private void memberLeft(String member, int triesLeft) {
    nodes().compose(AsyncMap::entries).onSuccess(all -> all.forEach((id, info) -> {
      if (member.equals(info.getString("member"))) {
        LOG.info("node {} left the cluster without handing over; adopting its tasks", id);
        adoptFrom(id, false, info);
      }
    })).onFailure(err -> {
      // Right after a member dies the cluster maps may be migrating; ask again shortly.
      if (triesLeft > 1) {
        vertx.setTimer(250, t -> memberLeft(member, triesLeft - 1));
      } else {
        LOG.error("could not learn which node member {} was: {}", member, err.getMessage());
      }
    });
  }

  /** {@code listed}: the departed node's entry in the nodes map when it died (null after a graceful leave). */
  private void adoptFrom(String departed, boolean handedOver, JsonObject listed) {
    if (departed.equals(node.nodeId())) {
      return;
    }
    if (node.isLeaving()) {
      // Leaving too (a whole cluster stopped at once): each keeps its own tasks in its own store.
      LOG.info("node {} left while this node leaves too: its tasks are not adopted here", departed);
      return;
    }
    long started = System.nanoTime();
    node.departed(departed);
    for (int loop = 0; loop < node.loops(); loop++) {
      link.tell(loop, new LoopCommand.NodeDeparted(departed));
    }
    survivors().compose(survivors -> ClusterSetup.safe(vertx, hz, SAFE_BOUND_MS)
        .compose(v -> vertx.<Collection<HazelcastJsonValue>>executeBlocking(() -> {
          IMap<String, HazelcastJsonValue> map = hz.getMap(ClusterSetup.TASKS_MAP);
          return map.values(Predicates.equal("owner", departed));
        })).compose(records -> {
      List<Future<Task>> adopted = new ArrayList<>();
      for (HazelcastJsonValue value : records) {
        JsonObject record = new JsonObject(value.getValue());
        String id = record.getString("id");
        if (node.nodeId().equals(chooseAdopter(id, survivors))) {
          adopted.add(link.ask(node.loopFor(id),
              new LoopCommand.Adopt(record, handedOver ? Resume.HANDED_OVER : Resume.OWNER_LOST)));
        }
      }
      if (!survivors.isEmpty() && survivors.get(0).equals(node.nodeId())) {
        // Forget the departed node's entry later, not now: every survivor must still find it to
        // learn which node the lost member was, however slow its own look-up is.
        // Only the entry of the member that died: the node may be back by then under the same id.
        vertx.setTimer(FORGET_DEPARTED_MS, t -> nodes().compose(map -> listed == null ? Future.succeededFuture()
            : map.removeIfPresent(departed, listed)));
      }
      return Future.join(adopted).transform(ar -> {
        long failed = adopted.stream().filter(Future::failed).count();
        node.metrics().adopted((int) (adopted.size() - failed));
        LOG.info("adopted {} of node {}'s {} tasks in {} ms{}", adopted.size() - failed, departed, records.size(),
            (System.nanoTime() - started) / 1_000_000, failed > 0 ? " (" + failed + " failed)" : "");
        return Future.succeededFuture();
      });
    })).onFailure(err -> LOG.error("adopting node {}'s tasks failed: {}", departed, err.getMessage()));
  }

  /** Node ids whose Hazelcast member is alive, sorted, this node included. */
  private Future<List<String>> survivors() {
    Set<String> alive = new HashSet<>();
    for (Member m : hz.getCluster().getMembers()) {
      alive.add(m.getUuid().toString());
    }
    return nodes().compose(AsyncMap::entries).map(all -> {
      List<String> ids = new ArrayList<>();
      all.forEach((id, info) -> {
        if (alive.contains(info.getString("member")) && !node.hasDeparted(id)) {
          ids.add(id);
        }
      });
      ids.sort(String::compareTo);
      return ids;
    });
  }

  /** Rendezvous hashing: the survivor with the highest hash of (task, node) adopts the task. */
  public static String chooseAdopter(String taskId, List<String> survivors) {
    String best = null;
    long bestScore = Long.MIN_VALUE;
    for (String candidate : survivors) {
      long score = mix((taskId + "/" + candidate).hashCode());
      if (best == null || score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    return best;
  }

  private static long mix(long x) {
    x ^= x >>> 33;
    x *= 0xff51afd7ed558ccdL;
    x ^= x >>> 33;
    x *= 0xc4ceb9fe1a85ec53L;
    return x ^ (x >>> 33);
  }

  private Future<AsyncMap<String, JsonObject>> nodes() {
    return vertx.sharedData().getAsyncMap(NodeReport.NODES_MAP);
  }
}
