package io.taskloop.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import io.taskloop.loop.Directory;
import io.taskloop.loop.NodeContext;
import io.taskloop.task.Owner;
import io.taskloop.task.Problem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Where a task lives once its node is gone: the owner written in its replicated record, read
 * asynchronously from the cluster map. A record whose owner has departed too is being adopted
 * right now: that is a 503 to retry, not a 404.
 */
public final class ClusterDirectory implements Directory {

  private final Vertx vertx;
  private final IMap<String, HazelcastJsonValue> records;
  private final NodeContext node;

  private final boolean sharedStore;

  /** {@code sharedStore}: the nodes share one store (PostgreSQL), so any node can read what no node holds. */
  public ClusterDirectory(Vertx vertx, HazelcastInstance hz, NodeContext node, boolean sharedStore) {
    this.sharedStore = sharedStore;
    this.vertx = vertx;
    this.records = hz.getMap(ClusterSetup.TASKS_MAP);
    this.node = node;
  }

  @Override
  public Future<Owner> resolve(String taskId) {
    return Future.fromCompletionStage(records.getAsync(taskId), vertx.getOrCreateContext()).compose(record -> {
      if (record == null) {
        // No node holds it (a finished task of nodes gone since a full restart): the shared store may.
        return sharedStore ? Future.succeededFuture(new Owner(node.nodeId(), node.loopFor(taskId)))
            : Future.failedFuture(Problem.notFound("Task", "no task with id '" + taskId + "' (its node left the cluster)"));
      }
      JsonObject json = new JsonObject(record.getValue());
      String forward = json.getString(Replicator.FORWARD_TO);
      if (forward != null) {
        // A finished task in its owner's store; if that node is gone, a store this node shares may hold it.
        return Future.succeededFuture(node.hasDeparted(forward) ? new Owner(node.nodeId(), node.loopFor(taskId))
            : new Owner(forward, json.getInteger("owner_loop")));
      }
      Owner owner = new Owner(json.getString("owner"), json.getInteger("owner_loop"));
      if (node.hasDeparted(owner.node())) {
        return Future.failedFuture(Problem.unavailable("task " + taskId + " is being adopted after its node left; retry"));
      }
      return Future.succeededFuture(owner);
    });
  }
}
