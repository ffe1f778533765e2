package io.taskloop.loop;

import io.taskloop.task.Owner;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import io.taskloop.cluster.ClusterSetup;
import io.taskloop.task.Problem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Where a task lives once its node is gone: the owner written in its replicated record. Read
 * asynchronously, only for tasks whose node left, so the common path never touches it.
 */
final class Directory {

  private final Vertx vertx;
  private final NodeContext node;

  Directory(Vertx vertx, NodeContext node) {
    this.vertx = vertx;
    this.node = node;
  }

  Future<Owner> resolve(String taskId) {
    if (node.hazelcast() == null) {
      return Future.failedFuture(Problem.notFound("Task", "no task with id '" + taskId + "'"));
    }
    IMap<String, HazelcastJsonValue> map = node.hazelcast().getMap(ClusterSetup.TASKS_MAP);
    return Future.fromCompletionStage(map.getAsync(taskId), vertx.getOrCreateContext()).compose(record -> {
      if (record == null) {
        return Future.failedFuture(Problem.notFound("Task", "no task with id '" + taskId + "' (its node left the cluster)"));
      }
      JsonObject json = new JsonObject(record.getValue());
      Owner owner = new Owner(json.getString("owner"), json.getInteger("owner_loop"));
      if (node.hasDeparted(owner.node())) {
        return Future.failedFuture(Problem.unavailable("task " + taskId + " is being adopted after its node left; retry"));
      }
      return Future.succeededFuture(owner);
    });
  }
}
