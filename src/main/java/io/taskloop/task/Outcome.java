package io.taskloop.task;

/**
 * How a task ended, as a composite waiting on it sees it: its state with its result or error.
 * A child that no longer exists when a parent looks for it ends its slot with a LookupError.
 */
public record Outcome(String id, TaskState state, Object result, TaskError error) {

  public static Outcome of(Task task) {
    return new Outcome(task.id(), task.state(), task.result(), task.error());
  }

  public static Outcome vanished(String id) {
    return new Outcome(id, TaskState.FAILED, null, new TaskError("LookupError", "task " + id + " no longer exists", null));
  }

  /** asyncio's "finished by raising": failed or timed out; cancellation is not an exception here. */
  public boolean raised() {
    return state == TaskState.FAILED || state == TaskState.TIMED_OUT;
  }
}
