package io.taskloop.loop;

import io.taskloop.task.Outcome;
import io.taskloop.task.Owner;
import io.taskloop.task.Problem;
import io.taskloop.task.SleepSpec;
import io.taskloop.task.Task;
import io.taskloop.task.TaskError;
import io.taskloop.task.TaskJson;
import io.taskloop.task.TaskSpec;
import io.taskloop.task.TaskState;
import io.taskloop.task.TaskType;
import io.taskloop.task.Transition;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
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

  /** Retention's beat: each takes out at most a slice of expired tasks (see {@link Retention}). */
  private static final long SWEEP_EVERY_MS = 50;

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
  private final Journal journal;
  private final IdempotencyKeys keys;
  private final Scheduler scheduler;
  private final List<String> takenUp = new ArrayList<>();
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
    this.journal = node.journal();
    this.keys = keys;
    this.table = new TaskTable(node.nodeId() + "-" + index + "-", upTo -> journal.reserveIds(index, upTo));
    this.changes = new ChangeLog(index, node.config().streamBuffer());
    Outbound outbound = new Outbound(vertx, node.decoder().guard(), node.config().httpMaxResponseBytes(),
        node.config().webhookAttempts(),
        node.config().webhookBackoffMs());
    this.path = new Transitions(vertx, node, table, watchers, changes, outbound);
    this.timers = new Timers(vertx, clock, node.metrics());
    this.attempts = new Attempts(vertx, clock, table, path, outbound);
    this.composites = new Composites(vertx, node, link, table, path, watchers);
    this.events = new EventTable(vertx, link, clock, journal);
    this.eventWaits = new EventWaits(node, link, table, path);
    this.retention = new Retention(vertx, node, table, path, keys, events);
    this.admission = new Admission(node, link, table, path, keys, retention::makeRoom, this::startNew, this::undo);
    this.scheduler = new Scheduler(vertx, node, link);
    timers.onDue(this::onDue);
    node.metrics().loopGauges(index, table::size, table::unfinished);
    link.bind(this);
  }

  /** In a cluster: every change of this loop's tasks is replicated. */
  void replicateWith(Replication replication) {
    path.replicateWith(replication);
  }

  void startSweeping() {
    sweepTimer = vertx.setPeriodic(SWEEP_EVERY_MS, id -> retention.sweepSlice());
  }

  void stop() {
    path.replication().stop();
    attempts.close();
    vertx.cancelTimer(sweepTimer);
    retention.stop();
    timers.stop();
    scheduler.stop();
  }

  public EventTable events() {
    return events;
  }

  /** The schedules whose id hashes to this loop, on the node that owns them. */
  Scheduler scheduler() {
    return scheduler;
  }

  // ---------------------------------------------------------------- create and start

  /**
   * {@code startAt}: when a delayed task starts (start_at, start_in_ms), 0 for at once;
   * {@code fingerprint}: the keyed body's hash if known already, else null.
   */
  public Future<LoopCommand.Created> create(TaskSpec spec, String key, long startAt, String fingerprint) {
    if (frozen) {
      return Future.failedFuture(Problem.unavailable("this node is leaving the cluster; send new tasks to another node"));
    }
    return admission.create(spec, key, startAt, fingerprint);
  }

  Future<Task> replay(String id) {
    return admission.replay(id);
  }

  /**
   * A new task's first step: as {@link #start}, but its first outbound attempt waits for the
   * create to be durable; a composite takes its children given by id that the create found
   * finished as they were found.
   */
  private void startNew(Task task, Future<Void> committed, Map<String, Task> finishedRefs) {
    if ((task.isDelayed() || task.type().isOutbound()) && !committed.succeeded()) {
      // A delayed task's instant is armed once its create is durable, so it never starts (and
      // an outbound one never sends) before the create could be lost.
      committed.onSuccess(v -> {
        Task now = table.get(task.id());
        if (now == task) {
          start(task, null);
        }
      });
    } else {
      start(task, null, finishedRefs);
    }
  }

  private void start(Task task, Resume resume) {
    start(task, resume, Map.of());
  }

  /**
   * What a task stored on this loop does first: arm its deadline and sleep end (absolute, so a
   * task taken over keeps its instants), send its first attempt or carry its attempts on, watch
   * its children or its event. {@code resume} is null for a new task.
   */
  private void start(Task task, Resume resume, Map<String, Task> finishedRefs) {
    if (task.isDelayed()) {
      timers.at(task.startAt(), task); // its deadline and first step wait for its start
      return;
    }
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
      case GATHER, WAIT, WAIT_FOR, SHIELD -> composites.watch(task, finishedRefs);
      case EXTERNAL -> { }
    }
  }

  // ---------------------------------------------------------------- reads

  /** The task as this loop holds it; null when it is not in memory (it may be in the store). */
  private Task held(String id) {
    if (frozen) {
      throw Problem.unavailable("this node is leaving the cluster and has handed task " + id + " over; retry");
    }
    return table.get(id);
  }

  /** The task, from memory or (a finished one that left memory) from the store; 404 if neither holds it. */
  public Future<Task> read(String id) {
    Task task = held(id);
    if (task != null) {
      return Future.succeededFuture(task);
    }
    return journal.read(id).compose(stored -> {
      if (stored == null || !kept(stored)) {
        return Future.failedFuture(Problem.notFound("Task", "no task with id '" + id + "'"));
      }
      if (!stored.isFinished() && !stored.owner().node().equals(self.node())) {
        // Taken over while this node was away (its store says by whom): the asker goes there.
        // A finished record is final, so any node that reads it from the store may show it.
        return Future.failedFuture(Problem.misdirected(id, stored.owner()));
      }
      return Future.succeededFuture(stored);
    });
  }

  /** A stored task still in its retention (the store deletes expired ones only now and then). */
  private boolean kept(Task stored) {
    return !stored.isFinished() || stored.finishedAt() > clock.millis() - node.config().retentionMs();
  }

  /** Answers when the task's end is durable or after {@code waitMs}, with the task as it then stands. */
  public Future<Task> await(String id, long waitMs) {
    Task task = held(id);
    if (task == null) {
      return read(id);
    }
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

  /**
   * A page of this loop's tasks: those in memory, and those that left it for the store (memory
   * wins); after {@code fromSeq} oldest first, or with {@code newest} below it newest first.
   */
  public Future<List<Task>> list(TaskFilter filter, long fromSeq, int limit, boolean newest) {
    List<Task> inMemory = table.list(filter, fromSeq, limit, newest);
    if (!journal.keeps()) {
      return Future.succeededFuture(inMemory);
    }
    return journal.list(index, filter, fromSeq, limit, newest).map(stored -> {
      Map<String, Task> merged = new HashMap<>();
      for (Task t : stored) {
        if (kept(t)) {
          merged.put(t.id(), t);
        }
      }
      for (Task t : inMemory) {
        merged.put(t.id(), t);
      }
      List<Task> page = new ArrayList<>(merged.values());
      page.sort(newest ? (a, b) -> Long.compare(b.seq(), a.seq()) : (a, b) -> Long.compare(a.seq(), b.seq()));
      return page.size() > limit ? new ArrayList<>(page.subList(0, limit)) : page;
    });
  }

  public LoopStats stats() {
    java.time.Instant now = clock.instant();
    long[] recent = timers.lateness().recent(now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000);
    return new LoopStats(index, node.nodeId() + "/" + index, table.size(), table.unfinished(), table.created(),
        table.finished(), timers.size(), events.size(), watchers.waiting(), timers.lateness().snapshot(),
        timers.lateness().maxMicros(), recent, timers.lateness().recentMaxMicros());
  }

  ChangeLog.Since changesSince(long after) {
    return changes.since(after);
  }

  // ---------------------------------------------------------------- changes from outside

  public Future<Task> cancel(String id) {
    return change(id, "cancel", task -> task.cancel("cancelled by request", clock.millis()));
  }

  /** Cancellation passed on by a parent: a finished or vanished task ignores it. */
  public void cancelQuietly(String id, String why) {
    Task task = table.get(id);
    if (task != null && !task.isFinished()) {
      path.apply(task.cancel(why, clock.millis()));
    }
  }

  public Future<Task> complete(String id, Object result) {
    return change(id, "complete", task -> external(task, "complete").succeed(result, clock.millis()));
  }

  public Future<Task> fail(String id, TaskError error) {
    return change(id, "fail", task -> external(task, "fail").fail(error, clock.millis()));
  }

  /**
   * A client's change of an unfinished task, acknowledged once durable. A task that is not in
   * memory has finished (only finished tasks leave it): if the store holds it, the change is a
   * 409 like any change of a finished task.
   */
  private Future<Task> change(String id, String verb, Function<Task, Transition> move) {
    if (held(id) == null) {
      return read(id).compose(stored -> Future.failedFuture(finished(stored, verb)));
    }
    return path.commit(id, task -> {
      if (task == null) {
        throw Problem.notFound("Task", "no task with id '" + id + "'");
      }
      if (task.isFinished()) {
        throw finished(task, verb);
      }
      return move.apply(task);
    });
  }

  private static Problem finished(Task task, String verb) {
    return Problem.conflict("task " + task.id() + " already finished as " + task.state().wire() + "; it cannot " + verb);
  }

  private static Task external(Task task, String verb) {
    if (task.type() != TaskType.EXTERNAL) {
      throw Problem.conflict("only external tasks can be completed or failed from outside; " + task.id() + " is "
          + task.type().wire());
    }
    return task;
  }

  /** Forgets a finished task, in memory and in the store, once the deletion is durable. */
  public Future<Task> delete(String id) {
    return read(id).compose(task -> {
      if (!task.isFinished()) {
        return Future.failedFuture(Problem.conflict("task " + id + " is still " + task.state().wire() + "; cancel it first"));
      }
      return journal.delete(id, table.keyOf(id)).map(v -> {
        Task now = table.get(id);
        if (now != null) {
          retention.deleted(now);
        }
        return task;
      });
    });
  }

  // ---------------------------------------------------------------- composites and events

  /**
   * A parent elsewhere (or a parent here whose child left memory) watches {@code childId}:
   * answers the child as it stands, from memory (and tells the parent when it ends) or, when it
   * finished and left memory, from the store.
   */
  Future<Task> watchForRemote(String childId, Owner parentLoop, String parentId) {
    Task child = composites.watchForRemote(childId, parentLoop, parentId);
    return child != null ? Future.succeededFuture(child) : read(childId);
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
    Task task = table.get(queued);
    if (task == null || task.isFinished()) {
      return false;
    }
    if (task.isDelayed()) {
      if (task.startAt() > now) {
        return false; // a stale entry: the task's own start is armed
      }
      if (path.busy(task.id())) {
        // A client's change (a cancel, most likely) waits for its commit: look again after it.
        timers.at(now + 1, task);
        return true;
      }
      Task running = path.apply(task.start(now));
      if (running != null && running.state() == TaskState.RUNNING) {
        start(running, null);
      }
      return true;
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
    scheduler.runDue();
    retention.sweep();
  }

  // ---------------------------------------------------------------- restart

  /**
   * Takes up what the store held for this loop when the node started, before the loop serves:
   * events set again (waking nothing yet), keys claimed again, ids continued, and the
   * unfinished tasks stored again (as adopted by this node). Every loop of the node does this
   * before any re-arms its tasks ({@link #resumeRestored}), so a restored composite finds its
   * restored children wherever they live.
   */
  void takeUp(Restored restored) {
    table.continueAfter(restored.idsUsed());
    restored.events().forEach(events::restore);
    restored.keys().entrySet().stream()
        .sorted(Map.Entry.comparingByValue((a, b) -> Long.compare(ends(a), ends(b))))
        .forEach(e -> {
          keys.claim(e.getKey(), new IdempotencyKeys.Claim(e.getValue().taskId(), e.getValue().fingerprint()));
          retention.keyedUntilRetention(e.getValue().taskId(), e.getKey(), ends(e.getValue()));
        });
    for (Task record : restored.tasks()) {
      node.forceReserve(1);
      node.forceReserveFor(record.tenant(), 1);
      Task task = path.apply(record.adoptedBy(self));
      if (task != null && !task.isFinished()) {
        takenUp.add(task.id());
      }
    }
  }

  /**
   * Re-arms the tasks taken up, as adoption does: sleeps end at their instant (past ones at
   * once), timeouts fire, waiting tasks wait, composites watch their children, and an attempt
   * that was in flight is retried if its policy allows, else the task fails with OwnerLost.
   */
  void resumeRestored() {
    for (String id : takenUp) {
      Task task = table.get(id);
      if (task != null && !task.isFinished()) {
        start(task, Resume.OWNER_LOST);
      }
    }
    takenUp.clear();
  }

  /** When a restored key's retention counts from: its task's finish, or now for a task still running. */
  private long ends(Restored.Key key) {
    return key.finishedAt() == 0 ? clock.millis() : key.finishedAt();
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
    node.forceReserveFor(record.tenant(), 1);
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
    table.forEach(t -> {
      if (!t.isFinished()) {
        ids.add(t.id());
      }
    });
    return ids;
  }

  /**
   * The commit of a create failed: its tasks leave the loop as if never made (the journal drops
   * what they wrote meanwhile, so none of their durable effects runs).
   */
  private void undo(List<Task> born) {
    for (Task t : born) {
      Task held = table.get(t.id());
      if (held != null) {
        attempts.drop(t.id());
        composites.drop(t.id());
        watchers.drop(t.id());
        table.remove(held);
        node.release(1);
        node.releaseFor(held.tenant(), 1);
        path.replication().removed(t);
      }
    }
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
    node.releaseFor(task.tenant(), 1);
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
    scheduler.freeze();
    attempts.freeze();
    int handed = table.unfinished();
    Replication replication = path.replication();
    replication.stop();
    return replication.flush().map(v -> handed);
  }
}
