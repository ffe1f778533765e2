package io.taskloop.cluster;

import com.hazelcast.core.HazelcastInstance;
import io.taskloop.loop.Addresses;
import io.taskloop.loop.LoopCommand;
import io.taskloop.loop.LoopLink;
import io.taskloop.loop.LoopStats;
import io.taskloop.loop.NodeContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code GET /v1/cluster} shows: every node with its loops and their counts. Each node
 * answers for itself on {@code taskloop.node.<id>.report}; the members are listed in the
 * cluster map {@code taskloop.nodes}, which each node joins when it starts.
 */
public final class NodeReport {

  public static final String NODES_MAP = "taskloop.nodes";
  private static final long ASK_MS = 3_000;

  private final Vertx vertx;
  private final NodeContext node;
  private final LoopLink link;
  private final HazelcastInstance hz;

  /** {@code hz} is the node's Hazelcast member, or null on a node that runs alone. */
  public NodeReport(Vertx vertx, NodeContext node, LoopLink link, HazelcastInstance hz) {
    this.vertx = vertx;
    this.node = node;
    this.link = link;
    this.hz = hz;
  }

  /** This node's block, built from its loops' stats. */
  public Future<JsonObject> self() {
    List<Future<LoopStats>> stats = new ArrayList<>(node.loops());
    for (int loop = 0; loop < node.loops(); loop++) {
      stats.add(link.ask(loop, new LoopCommand.Stats()));
    }
    return Future.all(stats).map(all -> {
      List<LoopStats> loops = all.list();
      JsonArray loopsJson = new JsonArray();
      for (LoopStats s : loops) {
        loopsJson.add(new JsonObject()
            .put("index", s.index()).put("address", s.address())
            .put("tasks_held", s.tasksHeld()).put("unfinished", s.unfinished())
            .put("created", s.created()).put("finished", s.finished())
            .put("timers_queued", s.timersQueued()).put("events", s.events()).put("waiting", s.waiting()));
      }
      return new JsonObject()
          .put("id", node.nodeId())
          .put("self", true)
          .put("tasks_held", node.held())
          .put("max_tasks", node.config().maxTasks())
          .put("streams_open", node.streamsOpen())
          .put("adopted", node.metrics().adoptedSoFar())
          .put("loops", loopsJson)
          .put("timer_lateness", LoopStats.latenessSummary(loops))
          .put("timer_lateness_recent", LoopStats.recentLatenessSummary(loops));
    });
  }

  /** The whole cluster: this node first, then every member that answers within a bound. */
  public Future<JsonObject> cluster() {
    JsonObject view = new JsonObject().put("mode", node.config().clusterMode()).put("node", node.nodeId());
    if (!node.config().clustered()) {
      return self().map(me -> view.put("nodes", new JsonArray().add(me)));
    }
    return members().compose(ids -> {
      List<Future<JsonObject>> blocks = new ArrayList<>();
      blocks.add(self());
      for (String id : ids) {
        if (!id.equals(node.nodeId())) {
          blocks.add(vertx.eventBus().<JsonObject>request(Addresses.nodeReport(id), new JsonObject(),
                  new DeliveryOptions().setSendTimeout(ASK_MS))
              .map(m -> m.body().put("self", false))
              .otherwise(err -> null));
        }
      }
      return Future.join(blocks).transform(ar -> {
        JsonArray nodes = new JsonArray();
        for (Future<JsonObject> block : blocks) {
          if (block.succeeded() && block.result() != null) {
            nodes.add(block.result());
          }
        }
        return Future.succeededFuture(view.put("nodes", nodes));
      });
    });
  }

  /** Registers this node in the members map and answers report requests (called by loop 0). */
  public Future<Void> serve() {
    if (!node.config().clustered()) {
      return Future.succeededFuture();
    }
    Future<Void> consumer = vertx.eventBus().<JsonObject>consumer(Addresses.nodeReport(node.nodeId()),
        msg -> self().onSuccess(msg::reply).onFailure(err -> msg.fail(500, err.getMessage()))).completion();
    JsonObject info = new JsonObject().put("loops", node.loops())
        .put("member", hz == null ? null : hz.getCluster().getLocalMember().getUuid().toString());
    Future<Void> listed = nodes().compose(map -> map.put(node.nodeId(), info))
        .onSuccess(v -> vertx.eventBus().publish(Addresses.NODE_JOINED, new JsonObject().put("node", node.nodeId())));
    return Future.join(consumer, listed).mapEmpty();
  }

  public Future<Void> leave() {
    return node.config().clustered() ? nodes().compose(map -> map.remove(node.nodeId())).mapEmpty()
        : Future.succeededFuture();
  }

  /** Node ids whose Hazelcast member is in the cluster now, sorted (departed entries linger a while). */
  public Future<List<String>> members() {
    java.util.Set<String> alive = new java.util.HashSet<>();
    if (hz != null) {
      hz.getCluster().getMembers().forEach(m -> alive.add(m.getUuid().toString()));
    }
    return nodes().compose(AsyncMap::entries).map(all -> {
      List<String> ids = new ArrayList<>();
      all.forEach((id, info) -> {
        if (hz == null || alive.contains(info.getString("member"))) {
          ids.add(id);
        }
      });
      ids.sort(String::compareTo);
      return ids;
    });
  }

  private Future<AsyncMap<String, JsonObject>> nodes() {
    return vertx.sharedData().getAsyncMap(NODES_MAP);
  }
}
