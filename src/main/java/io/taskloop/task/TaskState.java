package io.taskloop.task;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A task's lifecycle. {@link #ALLOWED} is the one table of legal moves; everything else is
 * rejected, and a finished task never changes again.
 */
public enum TaskState {
  PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT;

  private static final Set<TaskState> FINISHED = EnumSet.of(SUCCEEDED, FAILED, CANCELLED, TIMED_OUT);

  private static final Map<TaskState, Set<TaskState>> ALLOWED = Map.of(
      PENDING, EnumSet.of(RUNNING, CANCELLED, TIMED_OUT, FAILED),
      RUNNING, EnumSet.of(SUCCEEDED, FAILED, CANCELLED, TIMED_OUT),
      SUCCEEDED, EnumSet.noneOf(TaskState.class),
      FAILED, EnumSet.noneOf(TaskState.class),
      CANCELLED, EnumSet.noneOf(TaskState.class),
      TIMED_OUT, EnumSet.noneOf(TaskState.class));

  private final String wire = name().toLowerCase(Locale.ROOT);

  public boolean isFinished() {
    return FINISHED.contains(this);
  }

  public boolean canMoveTo(TaskState next) {
    return ALLOWED.get(this).contains(next);
  }

  /** The name clients see: {@code timed_out}, not {@code TIMED_OUT}. */
  public String wire() {
    return wire;
  }

  public static TaskState fromWire(String s) {
    for (TaskState state : values()) {
      if (state.wire.equals(s)) {
        return state;
      }
    }
    return null;
  }
}
