package io.taskloop.loop;

import io.taskloop.task.IdPrefix;
import io.taskloop.task.Task;
import io.taskloop.task.Transition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * One loop's tasks in memory, by id, with what eviction needs: finished tasks in the order they
 * finished, and the idempotency key each keyed task was created with. Only {@link Transitions}
 * stores records here; eviction and deletion take them out.
 */
final class TaskTable {

  /** Ids are reserved in the journal this many at a time, so a restart never gives one out twice. */
  static final long ID_BLOCK = 10_000;

  private final IdPrefix idPrefix;
  private final LongConsumer reserve;
  private long reservedUpTo;
  private final TaskMap tasks = new TaskMap();
  private final SeqIndex bySeq = new SeqIndex();
  private final ArrayDeque<Task> finishedOrder = new ArrayDeque<>();
  private final ShardedMap<String, String> keyOfTask = new ShardedMap<>();
  private long seq;
  private long created;
  private long finished;
  private int unfinished;

  /** {@code reserve} records that ids up to a sequence may be given out (nothing for the memory store). */
  TaskTable(String idPrefix, LongConsumer reserve) {
    this.idPrefix = IdPrefix.of(idPrefix);
    this.reserve = reserve;
  }

  /**
   * A fresh id on this loop: {@code <node>-<loop>-<seq>}. A new block of sequences is reserved
   * before its first id is used; the reservation reaches the journal ahead of any record that
   * carries such an id, so no acknowledged task can have an id a restart would give out again.
   */
  String nextId() {
    return idPrefix.id(nextSeq());
  }

  /** The sequence of a fresh id, {@link #nextId()} without writing it. */
  long nextSeq() {
    if (++seq > reservedUpTo) {
      reservedUpTo = seq - 1 + ID_BLOCK;
      reserve.accept(reservedUpTo);
    }
    return seq;
  }

  /** What this loop's ids start with. */
  IdPrefix idPrefix() {
    return idPrefix;
  }

  /** After a restart: ids continue after everything this loop may have given out before. */
  void continueAfter(long used) {
    seq = Math.max(seq, used);
    reservedUpTo = Math.max(reservedUpTo, used);
  }

  Task get(String id) {
    return tasks.get(id);
  }

  /** The record held of the task {@code record} is one of, or null: {@link #get(String)} without writing its id. */
  Task get(Task record) {
    return tasks.get(record);
  }

  /** Every task held, for a walk that does not change the table. */
  void forEach(java.util.function.Consumer<Task> each) {
    tasks.forEach(each);
  }

  int size() {
    return tasks.size();
  }

  int unfinished() {
    return unfinished;
  }

  long created() {
    return created;
  }

  long finished() {
    return finished;
  }

  /** Stores a transition's record and keeps the counts; the transition was checked. */
  void store(Transition t) {
    Task task = t.to();
    if (tasks.put(task) == null) {
      bySeq.add(task.idPrefix(), task.seq());
    }
    boolean arrives = t.move() == Transition.Move.CREATE || t.move() == Transition.Move.ADOPT;
    if (arrives && !task.isFinished()) {
      created++;
      unfinished++;
    }
    if (t.finishes()) {
      unfinished--;
      finished++;
    }
    if (task.isFinished() && (t.finishes() || arrives)) {
      finishedOrder.addLast(task);
    }
  }

  String keyOf(String taskId) {
    return keyOfTask.get(taskId);
  }

  void keyed(String taskId, String key) {
    keyOfTask.put(taskId, key);
  }

  /** Takes a task out (evicted or deleted); answers its idempotency key, if it had one. */
  String remove(Task task) {
    if (tasks.remove(task) != null) {
      bySeq.remove(task.idPrefix(), task.seq());
    }
    if (!task.isFinished()) {
      unfinished--;
    }
    return keyOfTask.isEmpty() ? null : keyOfTask.remove(task.id());
  }

  /**
   * Finished tasks that finished at or before {@code cutoff} and {@code mayLeave}, oldest first,
   * at most {@code max}: what retention (or room at the cap) may evict. They are still held; the
   * caller removes them.
   */
  List<Task> finishedBy(long cutoff, int max, Predicate<Task> mayLeave) {
    List<Task> out = new ArrayList<>();
    while (out.size() < max && !finishedOrder.isEmpty()) {
      Task done = finishedOrder.peekFirst();
      boolean held = tasks.get(done) == done;
      if (held && (done.finishedAt() > cutoff || !mayLeave.test(done))) {
        break;
      }
      finishedOrder.pollFirst();
      if (held) {
        out.add(done);
      }
    }
    return out;
  }

  /**
   * The page of {@code GET /v1/tasks}: the {@code limit} matching tasks with the lowest sequence
   * after {@code fromSeq}, or with {@code newest} the highest below it, in that order.
   */
  List<Task> list(TaskFilter filter, long fromSeq, int limit, boolean newest) {
    List<Task> out = new ArrayList<>(Math.min(limit, 128));
    SeqIndex.Visit take = (prefix, seq) -> {
      Task task = tasks.get(prefix, seq);
      if (filter.matches(task)) {
        out.add(task);
      }
      return out.size() < limit;
    };
    if (newest) {
      bySeq.descending(fromSeq, take);
    } else {
      bySeq.ascending(fromSeq, take);
    }
    return out;
  }
}
