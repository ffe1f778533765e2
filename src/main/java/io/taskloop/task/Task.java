package io.taskloop.task;

import java.util.ArrayList;
import java.util.List;

/**
 * One task as it stands: an immutable value. A task is born by {@link #born} and changes only by
 * the named moves below, each of which returns a {@link Transition} to a new record with
 * {@code version + 1}; {@link TaskState#canMoveTo} says which state changes are legal. The
 * constructor is private, so nothing else makes a record in a new state (the JSON reader
 * restores one as it stood). Only the owning loop applies transitions. Times are epoch
 * milliseconds; 0 means "not yet" (or, for the deadline, none).
 *
 * <p>Fields: {@code id} is {@code <node>-<loop>-<seq>} (routing reads the owner from it, so any
 * loop reaches it in one hop); {@code owner} is the owning node and loop (an adopted task keeps
 * its id); {@code children} are a composite's children in input order; {@code errorSlots}, for a
 * gather with {@code return_exceptions}, say which result slots hold errors; {@code attempts}
 * lists every attempt of an {@code http} or {@code eventbus} task (null for other types).
 */
public final class Task {

  /** The id's prefix and the owner, shared with the other tasks of both: the id is {@code home.prefix()} and {@code seq}. */
  private final IdPrefix.Home home;
  private final long seq;
  private final TaskSpec spec;
  /** The result of a succeeded task, the {@link TaskError} of one that ended otherwise, else null. */
  private final Object outcome;
  private final long createdAt;
  private final long startedAt;
  private final long finishedAt;
  private final long deadline;
  /** What few tasks have (a start instant, a parent, children, error slots, attempts); null when none. */
  private final Rare rare;
  /** The version shifted left by {@link #STATE_BITS} and the state's ordinal: one int where two fields took 16 bytes. */
  private final int versionAndState;
  /** The record's JSON text, made once by whichever thread asks first: see {@link #json()}. */
  private volatile String json;

  /**
   * The fields most tasks leave empty, kept apart so that a pending sleep or a plain finished
   * task does not carry five empty slots: {@code startAt} (a delayed task's instant, else 0),
   * {@code parent}, {@code children} (a composite's), {@code errorSlots} (a gather with
   * {@code return_exceptions}) and {@code attempts} (an outbound task's, empty before the first).
   */
  private record Rare(long startAt, String parent, List<String> children, List<Integer> errorSlots,
      List<Attempt> attempts) {

    static Rare of(long startAt, String parent, List<String> children, List<Integer> errorSlots, List<Attempt> attempts) {
      boolean none = startAt == 0 && parent == null && (children == null || children.isEmpty()) && errorSlots == null
          && attempts == null;
      return none ? null : new Rare(startAt, parent, children == null ? List.of() : children, errorSlots, attempts);
    }
  }

  private static final int STATE_BITS = 3;
  private static final TaskState[] STATES = TaskState.values();

  private Task(IdPrefix.Home home, long seq, TaskSpec spec, TaskState state, Object outcome, long createdAt,
      long startedAt, long finishedAt, long deadline, Rare rare, int version) {
    this.home = home;
    this.seq = seq;
    this.spec = spec;
    this.versionAndState = version << STATE_BITS | state.ordinal();
    this.outcome = outcome;
    this.createdAt = createdAt;
    this.startedAt = startedAt;
    this.finishedAt = finishedAt;
    this.deadline = deadline;
    this.rare = rare;
  }

  /**
   * A new task, started at once: the record a create stores. Versions count from the pending
   * record a create makes (version 1), so a task that starts at once is stored as version 2.
   */
  public static Task born(String id, Owner owner, TaskSpec spec, String parent, List<String> children, long now) {
    return born(id, owner, spec, parent, children, now, 0);
  }

  /**
   * A new task that starts at {@code startAt} (asyncio's {@code call_at}): pending until then,
   * as version 1, with no deadline yet, since {@code timeout_ms} counts from its start. One whose
   * instant has come (or 0, none asked) starts at once.
   */
  public static Task born(String id, Owner owner, TaskSpec spec, String parent, List<String> children, long now,
      long startAt) {
    return born(IdPrefix.ofId(id), seqOf(id), owner, spec, parent, children, now, startAt);
  }

  /** {@link #born(String, Owner, TaskSpec, String, List, long, long)} for the id {@code prefix.id(seq)}. */
  public static Task born(IdPrefix prefix, long seq, Owner owner, TaskSpec spec, String parent, List<String> children,
      long now, long startAt) {
    List<Attempt> attempts = spec.type().isOutbound() ? List.of() : null;
    Rare rare = Rare.of(startAt, parent, children, null, attempts);
    if (startAt > now) {
      return new Task(prefix.home(owner), seq, spec, TaskState.PENDING, null, now, 0, 0, 0, rare, 1);
    }
    long deadline = spec.common().hasTimeout() ? now + spec.common().timeoutMs() : 0;
    return new Task(prefix.home(owner), seq, spec, TaskState.RUNNING, null, now, now, 0, deadline, rare, 2);
  }

  /**
   * A record exactly as it was written (read back from the cluster map or the journal): the
   * result is kept only for a succeeded task, the error only for one that ended otherwise.
   */
  static Task restored(String id, Owner owner, TaskSpec spec, TaskState state, Object result, TaskError error,
      long createdAt, long startedAt, long finishedAt, long deadline, long startAt, String parent, List<String> children,
      List<Integer> errorSlots, List<Attempt> attempts, int version) {
    Object outcome = state == TaskState.SUCCEEDED ? result : state.isFinished() ? error : null;
    return new Task(IdPrefix.ofId(id).home(owner), seqOf(id), spec, state, outcome, createdAt, startedAt, finishedAt,
        deadline, Rare.of(startAt, parent, children, errorSlots, attempts), version);
  }

  // ---------------------------------------------------------------- the moves

  /** A delayed task's instant came: it runs from now, and its timeout counts from now. */
  public Transition start(long now) {
    if (state() != TaskState.PENDING) {
      throw new IllegalStateException("task " + id() + " is " + state().wire() + "; only a pending task starts");
    }
    long due = spec.common().hasTimeout() ? now + spec.common().timeoutMs() : 0;
    Task to = new Task(home, seq, spec, TaskState.RUNNING, null, createdAt, now, 0, due, rare, version() + 1);
    return new Transition(Transition.Move.START, this, to);
  }

  public Transition succeed(Object value, long now) {
    return finish(Transition.Move.SUCCEED, TaskState.SUCCEEDED, value, null, null, now);
  }

  /** Succeeds a gather with {@code return_exceptions}, marking which slots hold errors. */
  public Transition succeed(Object value, List<Integer> slots, long now) {
    return finish(Transition.Move.SUCCEED, TaskState.SUCCEEDED, value, null, slots, now);
  }

  public Transition fail(TaskError err, long now) {
    return finish(Transition.Move.FAIL, TaskState.FAILED, null, err, null, now);
  }

  public Transition cancel(String why, long now) {
    return finish(Transition.Move.CANCEL, TaskState.CANCELLED, null, TaskError.cancelled(why), null, now);
  }

  public Transition timeOut(long now) {
    return finish(Transition.Move.TIME_OUT, TaskState.TIMED_OUT, null, TaskError.timeout(spec.common().timeoutMs()), null,
        now);
  }

  /**
   * Ends this composite cancelled because a child it waits on was cancelled (asyncio: the gather
   * raises CancelledError). Unlike {@link #cancel}, nothing is passed on to its other children.
   */
  public Transition cancelledByChild(String childId, long now) {
    return finish(Transition.Move.CHILD_CANCELLED, TaskState.CANCELLED, null,
        TaskError.cancelled("child " + childId + " was cancelled"), null, now);
  }

  /** Ends this task the way {@code child} ended: the shape of wait_for and shield. */
  public Transition mirror(Outcome child, long now) {
    return switch (child.state()) {
      case SUCCEEDED -> succeed(child.result(), now);
      case CANCELLED -> cancelledByChild(child.id(), now);
      default -> fail(child.error(), now);
    };
  }

  /** Starts attempt {@code number} of an outbound task; the state stays running. */
  public Transition beginAttempt(int number, long now) {
    List<Attempt> next = new ArrayList<>(attempts());
    next.add(new Attempt(number, now, 0, null));
    return sameState(Transition.Move.BEGIN_ATTEMPT, List.copyOf(next));
  }

  /** Records how the current attempt failed when another will follow; the state stays running. */
  public Transition endAttempt(long now, TaskError err) {
    return sameState(Transition.Move.END_ATTEMPT, closeLast(now, err));
  }

  /**
   * Forgets an attempt that a leaving node stopped on purpose, so its new owner runs it again
   * under the same number and the policy does not count it twice.
   */
  public Transition rewind() {
    List<Attempt> attempts = attempts();
    return sameState(Transition.Move.REWIND, List.copyOf(attempts.subList(0, attempts.size() - 1)));
  }

  /**
   * The same task, now owned by {@code next}: what adoption, hand-over and a restart make. An
   * unfinished task's version moves on (a fencing token for its new owner); a finished one
   * keeps its version, since it never changes again.
   */
  public Transition adoptedBy(Owner next) {
    Task to = new Task(home.prefix().home(next), seq, spec, state(), outcome, createdAt, startedAt, finishedAt, deadline,
        rare, state().isFinished() ? version() : version() + 1);
    return new Transition(Transition.Move.ADOPT, this, to);
  }

  private Transition sameState(Transition.Move move, List<Attempt> nextAttempts) {
    if (state().isFinished()) {
      throw new IllegalStateException("task " + id() + " is finished; it cannot " + move.wire());
    }
    Task to = new Task(home, seq, spec, state(), outcome, createdAt, startedAt, finishedAt, deadline,
        Rare.of(startAt(), parent(), children(), errorSlots(), nextAttempts), version() + 1);
    return new Transition(move, this, to);
  }

  /** A final state; an attempt still open ends with the task's error (none when it succeeds). */
  private Transition finish(Transition.Move move, TaskState next, Object value, TaskError err, List<Integer> slots,
      long now) {
    if (!state().canMoveTo(next)) {
      throw new IllegalStateException("task " + id() + " cannot move from " + state().wire() + " to " + next.wire());
    }
    List<Attempt> attempts = attempts();
    List<Attempt> closed = hasOpenAttempt() ? closeLast(now, err) : attempts;
    Rare after = closed == attempts && slots == null ? rare : Rare.of(startAt(), parent(), children(), slots, closed);
    Task to = new Task(home, seq, spec, next, next == TaskState.SUCCEEDED ? value : err, createdAt, startedAt, now, deadline,
        after, version() + 1);
    return new Transition(move, this, to);
  }

  private List<Attempt> closeLast(long now, TaskError err) {
    List<Attempt> next = new ArrayList<>(attempts());
    Attempt last = next.remove(next.size() - 1);
    next.add(new Attempt(last.number(), last.startedAt(), now, err));
    return List.copyOf(next);
  }

  // ---------------------------------------------------------------- reading

  /** An outbound task whose latest attempt has started and not ended. */
  public boolean hasOpenAttempt() {
    List<Attempt> attempts = attempts();
    return attempts != null && !attempts.isEmpty() && attempts.get(attempts.size() - 1).finishedAt() == 0;
  }

  /** The number of the attempt running or last run; 0 before the first. */
  public int attempt() {
    List<Attempt> attempts = attempts();
    return attempts == null || attempts.isEmpty() ? 0 : attempts.get(attempts.size() - 1).number();
  }

  public int loop() {
    return home.owner().loop();
  }

  /**
   * The record as the API shows it, as JSON text: made once and shared by the journal's row, the
   * API's answer and whatever else sends this version soon after; dropped a second or so later
   * ({@link EncodedRecently}) so that a held task does not carry it. Two threads asking at once
   * may both make it; they make the same text.
   */
  public String json() {
    String text = json;
    if (text == null) {
      text = TaskJson.text(this);
      json = text;
      EncodedRecently.add(this);
    }
    return text;
  }

  void forgetJson() {
    json = null;
  }

  /** The text this record was read from, which {@link TaskJson#text} makes of it again ({@link TaskJson#fromText}). */
  void readFrom(String text) {
    json = text;
    EncodedRecently.add(this);
  }

  /** The sequence number that ends the id ({@code <node>-<loop>-<seq>}): the order tasks were made in on their loop. */
  public long seq() {
    return seq;
  }

  public IdPrefix idPrefix() {
    return home.prefix();
  }

  /** Whether this task's id is {@code id}, without writing this one's. */
  public boolean hasId(String id) {
    return home.prefix().names(id, seq);
  }

  /** Whether the two records are of one task. */
  public boolean sameTask(Task other) {
    return seq == other.seq && home.prefix() == other.home.prefix();
  }

  /** {@code id().hashCode()}, without writing the id. */
  public int idHash() {
    return home.prefix().hashOf(seq);
  }

  /** The id as a JSON string. */
  void appendIdJson(StringBuilder b) {
    home.prefix().appendJson(b, seq);
  }

  /** The sequence number that ends a task id. */
  public static long seqOf(String id) {
    return Long.parseLong(id, id.lastIndexOf('-') + 1, id.length(), 10);
  }

  public TaskType type() {
    return spec.type();
  }

  /** Whose task this is ("" on a node without auth). */
  public String tenant() {
    return spec.common().tenant();
  }

  public String name() {
    return spec.common().name();
  }

  public boolean isFinished() {
    return state().isFinished();
  }

  /** The id's text, written anew on each call: a task does not hold it (see {@link IdPrefix}). */
  public String id() {
    return home.prefix().id(seq);
  }

  public Owner owner() {
    return home.owner();
  }

  public TaskSpec spec() {
    return spec;
  }

  public TaskState state() {
    return STATES[versionAndState & ((1 << STATE_BITS) - 1)];
  }

  public Object result() {
    return state() == TaskState.SUCCEEDED ? outcome : null;
  }

  public TaskError error() {
    return state() == TaskState.SUCCEEDED ? null : (TaskError) outcome;
  }

  public long createdAt() {
    return createdAt;
  }

  public long startedAt() {
    return startedAt;
  }

  public long finishedAt() {
    return finishedAt;
  }

  /** When a delayed task starts or started; 0 when it started as it was made. */
  public long startAt() {
    return rare == null ? 0 : rare.startAt();
  }

  /** A delayed task still waiting for its instant. */
  public boolean isDelayed() {
    return state() == TaskState.PENDING && startAt() != 0;
  }

  public long deadline() {
    return deadline;
  }

  public String parent() {
    return rare == null ? null : rare.parent();
  }

  public List<String> children() {
    return rare == null ? List.of() : rare.children();
  }

  public List<Integer> errorSlots() {
    return rare == null ? null : rare.errorSlots();
  }

  /** Every attempt of an outbound task, oldest first (empty before the first); null for other types. */
  public List<Attempt> attempts() {
    return rare == null ? null : rare.attempts();
  }

  public int version() {
    return versionAndState >>> STATE_BITS;
  }

  @Override
  public String toString() {
    return "Task[" + id() + " " + spec.type().wire() + " " + state().wire() + " v" + version() + "]";
  }
}
