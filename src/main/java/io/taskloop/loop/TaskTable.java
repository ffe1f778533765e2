package io.taskloop.loop;

import io.taskloop.task.Task;
import io.taskloop.task.Transition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * One loop's tasks in memory, by id, with what eviction needs: finished tasks in the order they
 * finished, and the idempotency key each keyed task was created with. Only {@link Transitions}
 * stores records here; eviction and deletion take them out.
 */
final class TaskTable {

  private final String idPrefix;
  private final Map<String, Task> tasks = new HashMap<>();
  private final ArrayDeque<Task> finishedOrder = new ArrayDeque<>();
  private final Map<String, String> keyOfTask = new HashMap<>();
  private long seq;
  private long created;
  private long finished;
  private int unfinished;

  TaskTable(String idPrefix) {
    this.idPrefix = idPrefix;
  }

  /** A fresh id on this loop: {@code <node>-<loop>-<seq>}. */
  String nextId() {
    return idPrefix + (++seq);
  }

  Task get(String id) {
    return tasks.get(id);
  }

  Collection<Task> all() {
    return tasks.values();
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
    tasks.put(task.id(), task);
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

  void keyed(String taskId, String key) {
    keyOfTask.put(taskId, key);
  }

  /** Takes a task out (evicted or deleted); answers its idempotency key, if it had one. */
  String remove(Task task) {
    tasks.remove(task.id());
    if (!task.isFinished()) {
      unfinished--;
    }
    return keyOfTask.remove(task.id());
  }

  /**
   * Finished tasks that finished at or before {@code cutoff}, oldest first, at most {@code max}:
   * what retention (or room at the cap) may evict. They are still held; the caller removes them.
   */
  List<Task> finishedBy(long cutoff, int max) {
    List<Task> out = new ArrayList<>();
    while (out.size() < max && !finishedOrder.isEmpty() && finishedOrder.peekFirst().finishedAt() <= cutoff) {
      Task done = finishedOrder.pollFirst();
      if (tasks.get(done.id()) == done) {
        out.add(done);
      }
    }
    return out;
  }

  /** The page of {@code GET /v1/tasks}: the {@code limit} matching tasks with the lowest sequence after the cursor. */
  List<Task> list(TaskFilter filter, long afterSeq, int limit) {
    PriorityQueue<Task> page = new PriorityQueue<>(limit + 1, (a, b) -> Long.compare(b.seq(), a.seq()));
    for (Task task : tasks.values()) {
      if (task.seq() > afterSeq && filter.matches(task)) {
        page.add(task);
        if (page.size() > limit) {
          page.poll();
        }
      }
    }
    List<Task> out = new ArrayList<>(page);
    out.sort((a, b) -> Long.compare(a.seq(), b.seq()));
    return out;
  }
}
