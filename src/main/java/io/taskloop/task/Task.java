package io.taskloop.task;

import io.taskloop.task.Owner;
import java.util.List;

/**
 * One task as it stands: an immutable value. Each transition returns a new record with
 * {@code version + 1}; only the owning loop makes them, and {@link TaskState#canMoveTo} decides
 * which are legal. Times are epoch milliseconds; 0 means "not yet" (or, for the deadline, none).
 *
 * @param id          {@code <node>-<loop>-<seq>}; the owner is read from the id, so any loop reaches
 *                    it in one hop
 * @param owner       the owning node and loop (a task adopted after its node died keeps its id)
 * @param children    ids of a composite's children, in input order; empty for leaf types
 * @param errorSlots  for a {@code gather} with {@code return_exceptions}: which result slots hold
 *                    errors, so a client can tell an error from a result of the same shape
 * @param attempts    for {@code http} and {@code eventbus} tasks: every attempt so far; null otherwise
 */
public record Task(
    String id,
    Owner owner,
    TaskSpec spec,
    TaskState state,
    Object result,
    TaskError error,
    long createdAt,
    long startedAt,
    long finishedAt,
    long deadline,
    String parent,
    List<String> children,
    List<Integer> errorSlots,
    List<Attempt> attempts,
    int version) {

  public static Task create(String id, Owner owner, TaskSpec spec, String parent, List<String> children, long now) {
    long deadline = spec.common().hasTimeout() ? now + spec.common().timeoutMs() : 0;
    List<Attempt> attempts = spec.type().isOutbound() ? List.of() : null;
    return new Task(id, owner, spec, TaskState.PENDING, null, null, now, 0, 0, deadline, parent, children, null, attempts, 1);
  }

  public int loop() {
    return owner.loop();
  }

  /**
   * The same task, now owned elsewhere: what adoption and hand-over make. An unfinished task's
   * version moves on (a fencing token for its new owner); a finished one never changes.
   */
  public Task ownedBy(Owner next) {
    return new Task(id, next, spec, state, result, error, createdAt, startedAt, finishedAt, deadline, parent, children,
        errorSlots, attempts, state.isFinished() ? version : version + 1);
  }

  /**
   * A finishing outbound task whose attempt was still running: the attempt ends with the same
   * error as the task (cancelled, timed out), so no attempt is left open.
   */
  public Task closingOpenAttempt() {
    if (attempts == null || attempts.isEmpty() || attempts.get(attempts.size() - 1).finishedAt() != 0 || !state.isFinished()) {
      return this;
    }
    List<Attempt> next = new java.util.ArrayList<>(attempts);
    Attempt open = next.remove(next.size() - 1);
    next.add(new Attempt(open.number(), open.startedAt(), finishedAt, error));
    return new Task(id, owner, spec, state, result, error, createdAt, startedAt, finishedAt, deadline, parent, children,
        errorSlots, List.copyOf(next), version);
  }

  public TaskType type() {
    return spec.type();
  }

  public String name() {
    return spec.common().name();
  }

  public boolean isFinished() {
    return state.isFinished();
  }

  public Task start(long now) {
    return move(TaskState.RUNNING, null, null, null, now);
  }

  public Task succeed(Object value, long now) {
    return move(TaskState.SUCCEEDED, value, null, null, now);
  }

  /** Succeeds a gather with {@code return_exceptions}, marking which slots hold errors. */
  public Task succeed(Object value, List<Integer> slots, long now) {
    return move(TaskState.SUCCEEDED, value, null, slots, now);
  }

  public Task fail(TaskError err, long now) {
    return move(TaskState.FAILED, null, err, null, now);
  }

  public Task cancel(String why, long now) {
    return move(TaskState.CANCELLED, null, TaskError.cancelled(why), null, now);
  }

  public Task timeOut(long now) {
    return move(TaskState.TIMED_OUT, null, TaskError.timeout(spec.common().timeoutMs()), null, now);
  }

  /** Ends this task the way {@code child} ended: the shape of wait_for and shield. */
  public Task mirror(Task child, long now) {
    return switch (child.state) {
      case SUCCEEDED -> succeed(child.result, now);
      case CANCELLED -> cancel("child " + child.id + " was cancelled", now);
      default -> fail(child.error, now);
    };
  }

  /** Starts attempt {@code number} of an outbound task; the state stays running. */
  public Task beginAttempt(int number, long now) {
    List<Attempt> next = new java.util.ArrayList<>(attempts);
    next.add(new Attempt(number, now, 0, null));
    return withAttempts(next);
  }

  /** Records how the current attempt ended ({@code error} null for success). */
  public Task endAttempt(long now, TaskError err) {
    List<Attempt> next = new java.util.ArrayList<>(attempts);
    Attempt last = next.remove(next.size() - 1);
    next.add(new Attempt(last.number(), last.startedAt(), now, err));
    return withAttempts(next);
  }

  /** The number of the attempt running or last run; 0 before the first. */
  public int attempt() {
    return attempts == null || attempts.isEmpty() ? 0 : attempts.get(attempts.size() - 1).number();
  }

  private Task withAttempts(List<Attempt> next) {
    if (state.isFinished()) {
      throw new IllegalStateException("task " + id + " is finished; its attempts are final");
    }
    return new Task(id, owner, spec, state, result, error, createdAt, startedAt, finishedAt, deadline, parent, children,
        errorSlots, List.copyOf(next), version + 1);
  }

  private Task move(TaskState next, Object value, TaskError err, List<Integer> slots, long now) {
    if (!state.canMoveTo(next)) {
      throw new IllegalStateException("task " + id + " cannot move from " + state + " to " + next);
    }
    long started = next == TaskState.RUNNING ? now : startedAt;
    long finished = next.isFinished() ? now : 0;
    return new Task(id, owner, spec, next, value, err, createdAt, started, finished, deadline, parent, children,
        slots, attempts, version + 1);
  }
}
