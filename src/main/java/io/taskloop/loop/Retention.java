package io.taskloop.loop;

import io.taskloop.task.Task;
import java.util.List;

/**
 * How finished tasks leave a loop: after {@code retention_ms}, earlier (once {@code
 * min_retention_ms} has passed) when the node is at its tasks-held cap, or when deleted. Idle
 * events are swept on the same beat. Unfinished tasks are never evicted.
 */
final class Retention {

  private static final int SHED_BATCH = 256;

  private final NodeContext node;
  private final TaskTable table;
  private final Transitions path;
  private final IdempotencyKeys keys;
  private final EventTable events;

  Retention(NodeContext node, TaskTable table, Transitions path, IdempotencyKeys keys, EventTable events) {
    this.node = node;
    this.table = table;
    this.path = path;
    this.keys = keys;
    this.events = events;
  }

  /**
   * At the tasks-held cap: evicts this loop's oldest finished tasks early to make room for
   * {@code needed} (and a little more, so the next creates need not do it again); true if it did.
   */
  boolean makeRoom(int needed) {
    List<Task> old = table.finishedBy(node.clock().millis() - node.config().minRetentionMs(), needed + SHED_BATCH);
    old.forEach(this::forget);
    return old.size() >= needed;
  }

  /** Evicts finished tasks past their retention, and idle events. */
  void sweep() {
    table.finishedBy(node.clock().millis() - node.config().retentionMs(), Integer.MAX_VALUE).forEach(this::forget);
    events.sweep(node.config().retentionMs());
  }

  void forget(Task task) {
    String key = table.remove(task);
    node.release(1);
    path.replication().removed(task.id());
    if (key != null) {
      keys.release(key, task.id());
    }
  }
}
