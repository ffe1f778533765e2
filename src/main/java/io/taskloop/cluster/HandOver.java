package io.taskloop.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.taskloop.loop.Addresses;
import io.taskloop.loop.LoopCommand;
import io.taskloop.loop.LoopLink;
import io.taskloop.loop.NodeContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A graceful leave: the node leaves the members list, every loop stops and writes its records,
 * the others are told to adopt them (re-running in-flight attempts, no OwnerLost), and the leave
 * completes once no record names this node as owner any more, or after a bound. The last node
 * of a cluster has no one to hand over to and leaves at once.
 */
public final class HandOver {

  private static final Logger LOG = LoggerFactory.getLogger(HandOver.class);

  private final Vertx vertx;
  private final NodeContext node;
  private final HazelcastInstance hz;

  public HandOver(Vertx vertx, NodeContext node, HazelcastInstance hz) {
    this.vertx = vertx;
    this.node = node;
    this.hz = hz;
  }

  /** Leaves from any thread (the JVM's shutdown hook calls it). */

  public Future<Void> leave(long boundMs) {
    long started = System.nanoTime();
    node.leaving();
    IMap<String, HazelcastJsonValue> records = hz.getMap(ClusterSetup.TASKS_MAP);
    return vertx.sharedData().<String, JsonObject>getAsyncMap(NodeReport.NODES_MAP)
        .compose(map -> map.remove(node.nodeId()).compose(v -> map.entries()))
        .compose(entries -> {
          Set<String> alive = new HashSet<>();
          hz.getCluster().getMembers().forEach(m -> {
            if (!m.localMember()) {
              alive.add(m.getUuid().toString());
            }
          });
          boolean others = entries.values().stream().anyMatch(info -> alive.contains(info.getString("member")));
          if (!others) {
            LOG.info("node {} is the last of its cluster: no one to hand its tasks to", node.nodeId());
            return Future.failedFuture(new LastNode());
          }
          List<Future<Integer>> frozen = new ArrayList<>();
          for (int i = 0; i < node.loops(); i++) {
            frozen.add(LoopLink.askFromAnywhere(vertx, node, i, new LoopCommand.Freeze(), 10_000));
          }
          return Future.all(frozen);
        })
        .compose(all -> {
          int handed = all.<Integer>list().stream().mapToInt(Integer::intValue).sum();
          LOG.info("node {} hands {} unfinished tasks over", node.nodeId(), handed);
          vertx.eventBus().publish(Addresses.NODE_LEAVING, new JsonObject().put("node", node.nodeId()));
          return untilAdopted(records, System.currentTimeMillis() + boundMs);
        })
        .transform(ar -> {
          if (ar.failed() && ar.cause() instanceof LastNode) {
            return Future.<Void>succeededFuture();
          }
          LOG.info("node {} handed over in {} ms{}", node.nodeId(), (System.nanoTime() - started) / 1_000_000,
              ar.failed() ? " (" + ar.cause().getMessage() + ")" : "");
          return ar.succeeded() ? Future.<Void>succeededFuture() : Future.<Void>failedFuture(ar.cause());
        });
  }

  /** Nothing to hand over to: the other nodes are gone. */
  private static final class LastNode extends RuntimeException {
    LastNode() {
      super("last node", null, false, false);
    }
  }

  private Future<Void> untilAdopted(IMap<String, HazelcastJsonValue> records, long deadline) {
    return vertx.executeBlocking(() -> records.keySet(Predicates.equal("owner", node.nodeId())).size())
        .compose(left -> {
          if (left == 0) {
            return Future.succeededFuture();
          }
          if (System.currentTimeMillis() > deadline) {
            return Future.failedFuture(left + " records were not adopted in time");
          }
          Promise<Void> again = Promise.promise();
          vertx.setTimer(100, t -> untilAdopted(records, deadline).onComplete(again));
          return again.future();
        });
  }
}
