package io.taskloop.loop;

import io.taskloop.task.Owner;
import io.taskloop.task.Problem;
import io.vertx.core.Future;

/**
 * Where a task lives once the node its id names is gone: the owner its replicated record names.
 * Asked only for tasks whose node left, so the common path never touches it; {@code cluster/}
 * implements it from the cluster map.
 */
public interface Directory {

  /** A node that runs alone: an id whose node is not this one names no task. */
  Directory NONE = taskId -> Future.failedFuture(Problem.notFound("Task", "no task with id '" + taskId + "'"));

  Future<Owner> resolve(String taskId);
}
