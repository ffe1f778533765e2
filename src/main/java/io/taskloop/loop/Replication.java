package io.taskloop.loop;

import io.taskloop.task.Task;
import io.vertx.core.Future;

/**
 * Copies of one loop's task records kept elsewhere for fast failover (the cluster map), so that
 * other nodes can adopt the tasks if this one dies. The engine calls it from its loop thread;
 * {@code cluster/} implements it.
 */
public interface Replication {

  /** Nothing is replicated: a node that runs alone. */
  Replication NONE = new Replication() {
    private final Future<Void> done = Future.succeededFuture();

    @Override
    public Future<Void> changed(Task task) {
      return done;
    }

    @Override
    public void removed(Task task) {
    }

    @Override
    public void offloaded(Task task, long keepMs) {
    }

    @Override
    public Future<Void> flush() {
      return Future.succeededFuture();
    }

    @Override
    public void stop() {
    }
  };

  /**
   * The task changed; its latest record is written soon, in a batch with the loop's other
   * changes. The future completes (on the loop) once the copies hold it; it never fails (a
   * failed write is logged and the next one carries the record).
   */
  Future<Void> changed(Task task);

  /** The task left this loop (evicted, deleted, or dropped after a partition healed). */
  void removed(Task task);

  /** A finished task left memory for the store, which keeps it {@code keepMs} more. */
  void offloaded(Task task, long keepMs);

  /** Writes everything still pending; completes once the copies hold it (a graceful leave). */
  Future<Void> flush();

  void stop();
}
