package io.taskloop.loop;

import io.taskloop.task.Task;
import java.util.ArrayList;
import java.util.List;

/**
 * The last state changes of one loop's tasks, numbered by a per-loop sequence, so a live stream
 * that reconnects with {@code Last-Event-ID} can be given what it missed while it is still held.
 */
public final class ChangeLog {

  /** One change: which loop, its place in that loop's sequence, and the task as it then stood. */
  public record Change(int loop, long seq, Task task) {
  }

  /**
   * What a loop still holds after a position, whether older changes were already dropped, and
   * the loop's latest position.
   */
  public record Since(List<Change> changes, boolean gap, long last) {
  }

  private final int loop;
  private final Change[] ring;
  private long next = 1;

  ChangeLog(int loop, int capacity) {
    this.loop = loop;
    this.ring = new Change[Math.max(1, capacity)];
  }

  Change append(Task task) {
    Change change = new Change(loop, next, task);
    ring[(int) (next % ring.length)] = change;
    next++;
    return change;
  }

  long last() {
    return next - 1;
  }

  Since since(long after) {
    long oldest = Math.max(1, next - ring.length);
    List<Change> out = new ArrayList<>();
    for (long seq = Math.max(after + 1, oldest); seq < next; seq++) {
      out.add(ring[(int) (seq % ring.length)]);
    }
    return new Since(out, after + 1 < oldest && after < last(), last());
  }
}
