package io.taskloop.task;

import java.util.Map;

/**
 * The fields every task type takes (on_done included), and the schedule tick that fired it. {@code timeoutMs < 0} means no timeout. Most tasks carry
 * none of them and share {@link #NONE}, which keeps a pending task small.
 */
public record Common(String name, long timeoutMs, Map<String, String> labels, OnDone onDone, ScheduleRef schedule,
    String tenant) {

  public static final Common NONE = new Common(null, -1, Map.of(), null, null, "");

  /**
   * {@code schedule}: the schedule and tick that fired the task, null for a task a client made;
   * {@code tenant}: whose task it is ("" on a node without auth).
   */
  public static Common of(String name, long timeoutMs, Map<String, String> labels, OnDone onDone, ScheduleRef schedule,
      String tenant) {
    if (name == null && timeoutMs < 0 && labels.isEmpty() && onDone == null && schedule == null && tenant.isEmpty()) {
      return NONE;
    }
    return new Common(name, timeoutMs, labels, onDone, schedule, tenant);
  }

  public boolean hasTimeout() {
    return timeoutMs >= 0;
  }
}
