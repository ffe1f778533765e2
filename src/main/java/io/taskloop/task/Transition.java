package io.taskloop.task;

import java.util.Locale;

/**
 * One named change of one task: the record it was made from and the record it makes. Only
 * {@link Task}'s moves create these; the owning loop applies one only while {@code from} is still
 * the record it holds, so a change computed from a stale record is never applied.
 */
public record Transition(Move move, Task from, Task to) {

  /** Every way a task changes. Moves that keep the state leave a finished task alone. */
  public enum Move {
    /** A new task (no record before it). */
    CREATE,
    /** A delayed task's instant came ({@code start_at}, {@code start_in_ms}): pending to running. */
    START,
    SUCCEED, FAIL,
    /** Cancelled by request or by a parent that passes cancellation on: its own children are cancelled too. */
    CANCEL,
    /** A composite ends cancelled because a child was: its other children carry on. */
    CHILD_CANCELLED,
    /** {@code timeout_ms} ran out: cancelled as {@code asyncio.timeout()} does, children included. */
    TIME_OUT,
    BEGIN_ATTEMPT, END_ATTEMPT,
    /** A leaving node stopped an attempt on purpose: its new owner runs it again under the same number. */
    REWIND,
    /** Another node (or this node after a restart) takes the task over with its record as written. */
    ADOPT;

    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
      return wire;
    }
  }

  public String id() {
    return to.id();
  }

  /** A new task's first record. */
  public static Transition create(Task born) {
    return new Transition(Move.CREATE, null, born);
  }

  /** Whether this change ends the task. */
  public boolean finishes() {
    return to.isFinished() && (from == null || !from.isFinished());
  }

  /** Whether the change is legal by the state table: what the loop checks before it stores one. */
  public boolean legal() {
    return switch (move) {
      case CREATE -> from == null && !to.isFinished();
      case START -> from != null && from.state() == TaskState.PENDING && to.state() == TaskState.RUNNING;
      case ADOPT -> from != null && from.state() == to.state();
      case BEGIN_ATTEMPT, END_ATTEMPT, REWIND -> from != null && !from.isFinished() && from.state() == to.state();
      default -> from != null && from.state().canMoveTo(to.state());
    };
  }
}
