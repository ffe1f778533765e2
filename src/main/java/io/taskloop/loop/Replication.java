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
    @Override
    public void changed(Task task) {
    }

    @Override
    public void removed(String id) {
    }

    @Override
    public Future<Void> flush() {
      return Future.succeededFuture();
    }

    @Override
    public void stop() {
    }
  };

  /** The task changed; its latest record is written soon, off the hot path. */
  void changed(Task task);

  /** The task left this loop (evicted, deleted, or dropped after a partition healed). */
  void removed(String id);

  /** Writes everything still pending; completes once the copies hold it (a graceful leave). */
  Future<Void> flush();

  void stop();
}
