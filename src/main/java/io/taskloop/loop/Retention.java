package io.taskloop.loop;

import io.taskloop.task.Task;
import java.util.ArrayDeque;
import java.util.List;

/**
 * How finished tasks leave a loop. They are kept {@code retention_ms}, then forgotten (and
 * their idempotency keys with them). Until the node reaches its tasks-held cap they stay in
 * memory (and in the cluster map, where survivors read them if this node dies). At the cap,
 * with the memory store those finished at least {@code min_retention_ms} ago make room early
 * and are gone; with a journal any finished task whose end is durable may leave memory, and is
 * read from the store until its retention ends (the store deletes it then). Idle events are
 * swept on the same beat. Unfinished tasks never leave.
 */
final class Retention {

  private static final int SHED_BATCH = 256;

  /** A keyed task that left memory before its retention ended: its key is released when it does. */
  private record Keyed(String taskId, String key, long finishedAt) {
  }

  private final NodeContext node;
  private final TaskTable table;
  private final Transitions path;
  private final IdempotencyKeys keys;
  private final EventTable events;
  private final boolean stored;
  private final ArrayDeque<Keyed> keyedInStore = new ArrayDeque<>();

  Retention(NodeContext node, TaskTable table, Transitions path, IdempotencyKeys keys, EventTable events) {
    this.node = node;
    this.table = table;
    this.path = path;
    this.keys = keys;
    this.events = events;
    this.stored = node.journal().keeps();
  }

  /** At the tasks-held cap: evicts this loop's oldest finished tasks to make room for {@code needed}; true if it did. */
  boolean makeRoom(int needed) {
    long cutoff = stored ? Long.MAX_VALUE : node.clock().millis() - node.config().minRetentionMs();
    List<Task> old = table.finishedBy(cutoff, needed + SHED_BATCH, this::mayLeave);
    old.forEach(stored ? this::offload : this::forget);
    return old.size() >= needed;
  }

  /** Forgets what passed its retention and sweeps idle events. */
  void sweep() {
    long now = node.clock().millis();
    long expired = now - node.config().retentionMs();
    table.finishedBy(expired, Integer.MAX_VALUE, this::mayLeave).forEach(this::forget);
    while (!keyedInStore.isEmpty() && keyedInStore.peekFirst().finishedAt() <= expired) {
      Keyed k = keyedInStore.pollFirst();
      keys.release(k.key(), k.taskId());
    }
    events.sweep(node.config().retentionMs());
  }

  private boolean mayLeave(Task task) {
    return !stored || path.isDurable(task.id());
  }

  /** A finished task past its retention: gone from memory, its key released (the store deletes its row itself). */
  void forget(Task task) {
    String key = table.remove(task);
    node.release(1);
    node.releaseFor(task.tenant(), 1);
    path.replication().removed(task.id());
    if (key != null) {
      keys.release(key, task.id());
    }
  }

  /**
   * A finished, durable task leaves memory (in the cluster map a forward to this node takes its
   * record's place); reads find it in the store until its retention ends.
   */
  private void offload(Task task) {
    String key = table.remove(task);
    node.release(1);
    node.releaseFor(task.tenant(), 1);
    path.replication().offloaded(task, task.finishedAt() + node.config().retentionMs() - node.clock().millis());
    if (key != null) {
      keyedInStore.addLast(new Keyed(task.id(), key, task.finishedAt()));
    }
  }

  /**
   * A key whose task the store held at start: released when that task's retention ends (a task
   * still unfinished counts from the restart, which keeps the key at least as long).
   */
  void keyedUntilRetention(String taskId, String key, long finishedAt) {
    keyedInStore.addLast(new Keyed(taskId, key, finishedAt));
  }

  /** A client deleted the task: it is gone from memory and the store alike. */
  void deleted(Task task) {
    forget(task);
  }
}
