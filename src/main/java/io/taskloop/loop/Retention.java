package io.taskloop.loop;

import io.taskloop.task.Task;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.List;

/**
 * How finished tasks leave a loop. They are kept {@code retention_ms}, then forgotten (and
 * their idempotency keys with them). Until the node reaches its tasks-held cap they stay in
 * memory (and in the cluster map, where survivors read them if this node dies). At the cap,
 * with the memory store those finished at least {@code min_retention_ms} ago make room early
 * and are gone; with a journal any finished task whose end is durable may leave memory, and is
 * read from the store until its retention ends (the store deletes it then). Idle events and
 * released keys are swept once a second. Unfinished tasks never leave.
 *
 * <p>The loop's own beat ({@link #sweepSlice}) takes expired tasks out a slice at a time, each
 * slice its own turn of the loop a millisecond after the last, so what arrives meanwhile is
 * answered in between: a second's worth taken out in one go, at 30,000 finishes a second on a
 * loop, held it 8-28 ms, and that was the p99 of create-and-await.
 */
final class Retention {

  private static final int SHED_BATCH = 256;
  /** At most this many expired tasks leave in one turn of the loop: about half a millisecond's work. */
  static final int SWEEP_SLICE = 512;
  /** Idle events and released keys are swept on every this many beats. */
  private static final int BEATS_PER_EVENT_SWEEP = 20;

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
  private final Vertx vertx;
  /** A chain of slices is under way: the next beat does not start another. */
  private boolean slicing;
  private boolean stopped;
  private int beats;

  Retention(Vertx vertx, NodeContext node, TaskTable table, Transitions path, IdempotencyKeys keys, EventTable events) {
    this.vertx = vertx;
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

  /** Forgets everything that passed its retention at once, and sweeps idle events: the clock was moved. */
  void sweep() {
    forgetExpired(Integer.MAX_VALUE);
    sweepKeysAndEvents();
  }

  /**
   * The loop's beat: a slice of what passed its retention leaves now, and while slices come
   * out full the next follows a millisecond later, on a turn of its own. Every
   * {@link #BEATS_PER_EVENT_SWEEP}th beat also sweeps idle events and released keys.
   */
  void sweepSlice() {
    if (++beats % BEATS_PER_EVENT_SWEEP == 0) {
      sweepKeysAndEvents();
    }
    if (!slicing) {
      nextSlice();
    }
  }

  private void nextSlice() {
    slicing = !stopped && forgetExpired(SWEEP_SLICE);
    if (slicing) {
      vertx.setTimer(1, id -> nextSlice());
    }
  }

  /** The loop stops: no further slice starts. */
  void stop() {
    stopped = true;
  }

  /** Forgets at most {@code max} tasks past their retention; true if it took that many (more may be due). */
  private boolean forgetExpired(int max) {
    List<Task> old = table.finishedBy(cutoff(), max, this::mayLeave);
    old.forEach(this::forget);
    return old.size() >= max;
  }

  /** What finished at or before this instant has passed its retention. */
  private long cutoff() {
    return node.clock().millis() - node.config().retentionMs();
  }

  private void sweepKeysAndEvents() {
    long expired = cutoff();
    while (!keyedInStore.isEmpty() && keyedInStore.peekFirst().finishedAt() <= expired) {
      Keyed k = keyedInStore.pollFirst();
      keys.release(k.key(), k.taskId());
    }
    events.sweep(node.config().retentionMs());
  }

  private boolean mayLeave(Task task) {
    return !stored || path.isDurable(task);
  }

  /** A finished task past its retention: gone from memory, its key released (the store deletes its row itself). */
  void forget(Task task) {
    String key = table.remove(task);
    node.release(1);
    node.releaseFor(task.tenant(), 1);
    path.replication().removed(task);
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
