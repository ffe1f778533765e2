package io.taskloop.loop;

import io.taskloop.task.Outcome;
import io.taskloop.task.Owner;
import io.taskloop.task.Problem;
import io.taskloop.task.SleepSpec;
import io.taskloop.task.Task;
import io.taskloop.task.TaskError;
import io.taskloop.task.TaskJson;
import io.taskloop.task.TaskSpec;
import io.taskloop.task.TaskType;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One loop's tasks and the rules that move them: asyncio's semantics, run on the loop's own
 * thread only, so nothing here is locked. This class answers the loop's commands and starts
 * tasks; every change goes through {@link Transitions}, and the parts that react to changes
 * ({@link Attempts}, {@link Composites}, {@link Timers}) each do one job. Everything that
 * reaches another loop goes through {@link LoopLink}.
 */
public final class TaskEngine {

  private static final long SWEEP_EVERY_MS = 1_000;

  private final Vertx vertx;
  private final NodeContext node;
  private final LoopLink link;
  private final int index;
  private final Clock clock;
  private final Owner self;
  private final TaskTable table;
  private final Watchers watchers = new Watchers();
  private final ChangeLog changes;
  private final Transitions path;
  private final Timers timers;
  private final Attempts attempts;
  private final Composites composites;
  private final Admission admission;
  private final EventTable events;
  private final EventWaits eventWaits;
  private final Retention retention;
  /** Set when this node hands its tasks over on leaving: nothing here changes any more. */
  private boolean frozen;
  private long sweepTimer = -1;

  TaskEngine(Vertx vertx, NodeContext node, LoopLink link, IdempotencyKeys keys) {
    this.vertx = vertx;
    this.node = node;
    this.link = link;
    this.index = link.self();
    this.clock = node.clock();
    this.self = new Owner(node.nodeId(), index);
    this.table = new TaskTable(node.nodeId() + "-" + index + "-");
    this.changes = new ChangeLog(index, node.config().streamBuffer());
    Outbound outbound = new Outbound(vertx, node.config().httpMaxResponseBytes(), node.config().webhookAttempts(),
        node.config().webhookBackoffMs());
    this.path = new Transitions(vertx, node, table, watchers, changes, outbound);
    this.timers = new Timers(vertx, clock, node.metrics());
    this.attempts = new Attempts(vertx, clock, table, path, outbound);
    this.composites = new Composites(vertx, node, link, table, path, watchers);
    this.events = new EventTable(vertx, link, clock);
    this.eventWaits = new EventWaits(node, link, table, path);
    this.retention = new Retention(node, table, path, keys, events);
    this.admission = new Admission(node, link, table, path, keys, retention::makeRoom, task -> start(task, null));
    timers.onDue(this::onDue);
    node.metrics().loopGauges(index, table::size, table::unfinished);
    link.bind(this);
  }

  /** In a cluster: every change of this loop's tasks is replicated. */
  void replicateWith(Replication replication) {
    path.replicateWith(replication);
  }

  void startSweeping() {
    sweepTimer = vertx.setPeriodic(SWEEP_EVERY_MS, id -> retention.sweep());
  }

  void stop() {
    path.replication().stop();
    attempts.close();
    vertx.cancelTimer(sweepTimer);
    timers.stop();
  }

  public EventTable events() {
    return events;
  }

  // ---------------------------------------------------------------- create and start

  public Future<LoopCommand.Created> create(TaskSpec spec, String key) {
    if (frozen) {
      return Future.failedFuture(Problem.unavailable("this node is leaving the cluster; send new tasks to another node"));
    }
    return admission.create(spec, key);
  }

  Future<Task> replay(String id) {
    return admission.replay(id);
  }

  /**
   * What a task stored on this loop does first: arm its deadline and sleep end (absolute, so a
   * task taken over keeps its instants), send its first attempt or carry its attempts on, watch
   * its children or its event. {@code resume} is null for a new task.
   */
  private void start(Task task, Resume resume) {
    if (task.deadline() != 0) {
      timers.at(task.deadline(), task);
    }
    switch (task.type()) {
      case SLEEP -> timers.at(task.startedAt() + ((SleepSpec) task.spec()).delayMs(), task);
      case EVENT -> eventWaits.watch(task);
      case HTTP, EVENTBUS -> {
        if (resume == null) {
          attempts.run(task.id(), 1);
        } else {
          attempts.resume(task, resume);
        }
      }
      case GATHER, WAIT, WAIT_FOR, SHIELD -> composites.watch(task);
      case EXTERNAL -> { }
    }
  }

  // ---------------------------------------------------------------- reads

  public Task get(String id) {
    if (frozen) {
      throw Problem.unavailable("this node is leaving the cluster and has handed task " + id + " over; retry");
    }
    Task task = table.get(id);
    if (task == null) {
      throw Problem.notFound("Task", "no task with id '" + id + "'");
    }
    return task;
  }

  /** Answers when the task's end is durable or after {@code waitMs}, with the task as it then stands. */
  public Future<Task> await(String id, long waitMs) {
    Task task = get(id);
    if (task.isFinished() || waitMs <= 0) {
      return path.settled(task);
    }
    Promise<Task> promise = Promise.promise();
    Consumer<Task> onDone = promise::tryComplete;
    watchers.onDurable(id, onDone);
    long timer = vertx.setTimer(waitMs, t -> {
      watchers.remove(id, onDone);
      Task now = table.get(id);
      promise.tryComplete(now != null ? now : task);
    });
    return promise.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  public List<Task> list(TaskFilter filter, long afterSeq, int limit) {
    return table.list(filter, afterSeq, limit);
  }

  public LoopStats stats() {
    return new LoopStats(index, node.nodeId() + "/" + index, table.size(), table.unfinished(), table.created(),
        table.finished(), timers.size(), events.size(), watchers.waiting(), timers.lateness().snapshot(), timers.lateness().maxMicros());
  }

  ChangeLog.Since changesSince(long after) {
    return changes.since(after);
  }

  // ---------------------------------------------------------------- changes from outside

  public Task cancel(String id) {
    Task task = get(id);
    if (task.isFinished()) {
      throw Problem.conflict("task " + id + " already finished as " + task.state().wire());
    }
    return path.apply(task.cancel("cancelled by request", clock.millis()));
  }

  /** Cancellation passed on by a parent: a finished or vanished task ignores it. */
  public void cancelQuietly(String id, String why) {
    Task task = table.get(id);
    if (task != null && !task.isFinished()) {
      path.apply(task.cancel(why, clock.millis()));
    }
  }

  public Task complete(String id, Object result) {
    return path.apply(external(id, "complete").succeed(result, clock.millis()));
  }

  public Task fail(String id, TaskError error) {
    return path.apply(external(id, "fail").fail(error, clock.millis()));
  }

  private Task external(String id, String verb) {
    Task task = get(id);
    if (task.isFinished()) {
      throw Problem.conflict("task " + id + " already finished as " + task.state().wire() + "; it cannot " + verb);
    }
    if (task.type() != TaskType.EXTERNAL) {
      throw Problem.conflict("only external tasks can be completed or failed from outside; " + id + " is "
          + task.type().wire());
    }
    return task;
  }

  public Task delete(String id) {
    Task task = get(id);
    if (!task.isFinished()) {
      throw Problem.conflict("task " + id + " is still " + task.state().wire() + "; cancel it first");
    }
    retention.forget(task);
    return task;
  }

  // ---------------------------------------------------------------- composites and events

  Task watchForRemote(String childId, Owner parentLoop, String parentId) {
    return composites.watchForRemote(childId, parentLoop, parentId);
  }

  public void onChildDone(String parentId, Task child) {
    composites.onChildDone(parentId, Outcome.of(child));
  }

  public void onEventFired(String taskId, Object payload) {
    eventWaits.fired(taskId, payload);
  }

  // ---------------------------------------------------------------- time

  /** A timer came due: the task's deadline or its sleep end, if it still holds. */
  private boolean onDue(Task queued, long now) {
    Task task = table.get(queued.id());
    if (task == null || task.isFinished()) {
      return false;
    }
    if (task.deadline() != 0 && task.deadline() <= now) {
      // timeout_ms is asyncio's timeout() everywhere but on wait, where it returns the partition.
      path.apply(task.type() == TaskType.WAIT ? task.succeed(composites.partition(task.id()), now) : task.timeOut(now));
    } else if (task.spec() instanceof SleepSpec sleep && task.startedAt() + sleep.delayMs() <= now) {
      path.apply(task.succeed(sleep.result(), now));
    }
    return true;
  }

  /** The clock moved (a settable clock in tests): run what is due and evict what expired. */
  public void tick() {
    timers.runDue();
    retention.sweep();
  }

  // ---------------------------------------------------------------- hand-over and adoption

  /**
   * Takes over a task whose node left, from its record: absolute deadlines and sleeps are
   * re-armed, waiting tasks wait again, composites watch their children again, and outbound
   * attempts carry on as {@code resume} says.
   */
  public Task adopt(JsonObject json, Resume resume) {
    Task existing = table.get(json.getString("id"));
    if (existing != null) {
      return existing;
    }
    Task record = TaskJson.fromJson(json, node.decoder());
    node.forceReserve(1);
    Task task = path.apply(record.adoptedBy(self));
    if (!task.isFinished()) {
      start(task, resume);
    }
    return table.get(task.id());
  }

  /** A node left: every remote child is watched again (answers awaited from it fail in {@link LoopLink}). */
  void onNodeDeparted(String departed) {
    link.nodeDeparted(departed);
    composites.rewatchRemoteChildren();
  }

  /** The ids of this loop's unfinished tasks: what a healed partition checks against the cluster's records. */
  List<String> unfinishedIds() {
    List<String> ids = new ArrayList<>();
    for (Task t : table.all()) {
      if (!t.isFinished()) {
        ids.add(t.id());
      }
    }
    return ids;
  }

  /** Forgets a task another node owns, without ending it: that node's copy carries on. */
  boolean drop(String id) {
    Task task = table.get(id);
    if (task == null || task.isFinished()) {
      return false;
    }
    attempts.drop(id);
    composites.drop(id);
    watchers.drop(id);
    table.remove(task);
    node.release(1);
    return true;
  }

  /**
   * A graceful leave: stops this loop's work (timers, in-flight attempts, retries) and writes
   * every record as it stands, so another node can take the tasks over with nothing lost and
   * no attempt counted against its policy. The loop then answers 503 for its tasks.
   */
  Future<Integer> freeze() {
    frozen = true;
    timers.freeze();
    attempts.freeze();
    int handed = table.unfinished();
    Replication replication = path.replication();
    replication.stop();
    return replication.flush().map(v -> handed);
  }
}
