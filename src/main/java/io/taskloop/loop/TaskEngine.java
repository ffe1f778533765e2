package io.taskloop.loop;

import io.taskloop.task.Owner;
import io.taskloop.loop.Addresses;
import io.taskloop.bus.TaskCodec;
import io.taskloop.cluster.ClusterSetup;
import io.taskloop.cluster.Replicator;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import io.taskloop.task.TaskJson;
import io.taskloop.metrics.Metrics;
import io.taskloop.task.Problem;
import io.taskloop.task.Attempt;
import io.taskloop.task.ChildRef;
import io.taskloop.task.Common;
import io.taskloop.task.EventBusSpec;
import io.taskloop.task.EventSpec;
import io.taskloop.task.ExternalSpec;
import io.taskloop.task.GatherSpec;
import io.taskloop.task.HttpSpec;
import io.taskloop.task.OnDone;
import io.taskloop.task.RetryPolicy;
import io.taskloop.task.ReturnWhen;
import io.taskloop.task.SleepSpec;
import io.taskloop.task.Task;
import io.taskloop.task.TaskError;
import io.taskloop.task.TaskSpec;
import io.taskloop.task.TaskState;
import io.taskloop.task.TaskType;
import io.taskloop.task.WaitSpec;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loop's tasks and the rules that move them: asyncio's semantics, run on the loop's own
 * thread only, so nothing here is locked. Everything that reaches another loop goes through
 * {@link LoopLink}; composites are told when children finish and never poll.
 */
public final class TaskEngine {

  private static final Logger LOG = LoggerFactory.getLogger(TaskEngine.class);
  private static final long SWEEP_EVERY_MS = 1_000;
  private static final int WATCH_TRIES = 50;
  private static final int SHED_BATCH = 256;
  private static final long WATCH_RETRY_MS = 200;

  private final Vertx vertx;
  private final NodeContext node;
  private final LoopLink link;
  private final int index;
  private final Clock clock;
  private final String idPrefix;
  private final Owner self;

  private final Map<String, Task> tasks = new HashMap<>();
  private final Metrics metrics;
  /** Who to tell when a task finishes: parents, long-polls. Only unfinished tasks with listeners have an entry. */
  private final Map<String, List<Consumer<Task>>> watchers = new HashMap<>();
  private final Map<String, Composite> composites = new HashMap<>();
  private final Map<String, Idempotent> byKey = new HashMap<>();
  private final Map<String, String> keyOfTask = new HashMap<>();
  private final ArrayDeque<Task> finishedOrder = new ArrayDeque<>();
  private final TimerQueue<Task> timers = new TimerQueue<>();
  private final LatencyHistogram lateness = new LatencyHistogram();
  private final EventTable events;
  private final ChangeLog changes;
  private final String streamAddress;
  private final DeliveryOptions streamOptions = LoopLink.localOptions();
  private final Outbound outbound;
  /** How to stop what an unfinished outbound task is doing now: its request, or the wait before a retry. */
  private final Map<String, Runnable> inFlight = new HashMap<>();
  private final DeliveryOptions doneOptions = new DeliveryOptions().setCodecName(TaskCodec.NAME);

  private Replicator replicator;
  /** Set when this node hands its tasks over on leaving: nothing here changes any more. */
  private boolean frozen;
  private long seq;
  private long created;
  private long finished;
  private int unfinished;
  private long timerId = -1;
  private long armedFor = Long.MAX_VALUE;
  private boolean drainQueued;
  private long sweepTimer = -1;

  private record Idempotent(String taskId, TaskSpec spec) {
  }

  TaskEngine(Vertx vertx, NodeContext node, LoopLink link) {
    this.vertx = vertx;
    this.node = node;
    this.link = link;
    this.index = link.self();
    this.clock = node.clock();
    this.idPrefix = node.nodeId() + "-" + index + "-";
    this.self = new Owner(node.nodeId(), index);
    this.metrics = node.metrics();
    metrics.loopGauges(index, tasks::size, () -> unfinished);
    this.events = new EventTable(vertx, link, clock);
    this.changes = new ChangeLog(index, node.config().streamBuffer());
    this.streamAddress = Addresses.stream(node.nodeId());
    this.outbound = new Outbound(vertx, node.config().httpMaxResponseBytes(), node.config().webhookAttempts(),
        node.config().webhookBackoffMs());
    link.bind(this);
  }

  /** In a cluster: every change of this loop's tasks is replicated. */
  void replicateWith(Replicator replicator) {
    this.replicator = replicator;
    replicator.start();
  }

  void startSweeping() {
    sweepTimer = vertx.setPeriodic(SWEEP_EVERY_MS, id -> sweep());
  }

  void stop() {
    if (replicator != null) {
      replicator.stop();
    }
    outbound.close();
    vertx.cancelTimer(sweepTimer);
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }

  public EventTable events() {
    return events;
  }

  // ---------------------------------------------------------------- create

  public Future<LoopCommand.Created> create(TaskSpec spec, String key) {
    if (frozen) {
      return Future.failedFuture(Problem.unavailable("this node is leaving the cluster; send new tasks to another node"));
    }
    if (key != null) {
      Idempotent seen = byKey.get(key);
      Task original = seen == null ? null : tasks.get(seen.taskId());
      if (original != null) {
        if (!seen.spec().equals(spec)) {
          return Future.failedFuture(Problem.invalidParameter("Idempotency-Key",
              "key '" + key + "' was first used with a different body (task " + original.id() + ")"));
        }
        return Future.succeededFuture(new LoopCommand.Created(original, true));
      }
    }
    int size = spec.size();
    if (!node.reserve(size) && !(shedFinished(size) && node.reserve(size))) {
      return Future.failedFuture(Problem.tooManyTasks("this node holds its limit of " + node.config().maxTasks()
          + " tasks; finished tasks are evicted after " + node.config().retentionMs() + " ms", 1));
    }
    List<Ref> refs = new ArrayList<>();
    collectRefs(spec, "", refs);
    Future<Void> checked = refs.isEmpty() ? Future.succeededFuture() : checkRefs(refs);
    return checked
        .map(v -> {
          Idempotent raced = key == null ? null : byKey.get(key);
          if (raced != null && tasks.containsKey(raced.taskId())) {
            // Another request with this key won while children were being looked up.
            node.release(size);
            return new LoopCommand.Created(tasks.get(raced.taskId()), true);
          }
          Task task = instantiate(spec, null);
          if (key != null) {
            byKey.put(key, new Idempotent(task.id(), spec));
            keyOfTask.put(task.id(), key);
          }
          return new LoopCommand.Created(tasks.get(task.id()), false);
        })
        .onFailure(err -> node.release(size));
  }

  /** A child given by id, with the JSON pointer where the request named it. */
  private record Ref(String id, String pointer) {
  }

  private static void collectRefs(TaskSpec spec, String at, List<Ref> out) {
    List<ChildRef> children = spec.children();
    boolean single = spec.type() == TaskType.WAIT_FOR || spec.type() == TaskType.SHIELD;
    for (int i = 0; i < children.size(); i++) {
      String pointer = single ? at + "/task" : at + "/tasks/" + i;
      ChildRef child = children.get(i);
      if (child instanceof ChildRef.ById byId) {
        out.add(new Ref(byId.id(), pointer));
      } else {
        collectRefs(((ChildRef.Inline) child).spec(), pointer, out);
      }
    }
  }

  /** Every child given by id must exist before the composite is accepted: a 422 naming it if not. */
  private Future<Void> checkRefs(List<Ref> refs) {
    List<Future<Task>> lookups = new ArrayList<>(refs.size());
    for (Ref ref : refs) {
      Future<Task> found = node.ownerOf(ref.id()) == null
          ? Future.failedFuture(Problem.notFound("Task", ref.id()))
          : link.askTask(ref.id(), new LoopCommand.Get(ref.id()));
      lookups.add(found.recover(err -> Future.failedFuture(err instanceof Problem p && p.status() == 404
          ? Problem.invalid(ref.pointer(), "no task with id '" + ref.id() + "'")
          : err)));
    }
    return Future.all(lookups).mapEmpty();
  }

  /** Creates a task and its inline children (children first, so the parent can watch them) and starts them. */
  private Task instantiate(TaskSpec spec, String parent) {
    String id = idPrefix + (++seq);
    List<ChildRef> refs = spec.children();
    List<String> childIds = List.of();
    if (!refs.isEmpty()) {
      String[] ids = new String[refs.size()];
      for (int i = 0; i < ids.length; i++) {
        ChildRef ref = refs.get(i);
        ids[i] = ref instanceof ChildRef.ById byId ? byId.id() : instantiate(((ChildRef.Inline) ref).spec(), id).id();
      }
      childIds = List.of(ids);
    }
    long now = clock.millis();
    Task task = Task.create(id, self, spec, parent, childIds, now).start(now);
    tasks.put(id, task);
    changed(task);
    created++;
    metrics.created(spec.type());
    unfinished++;
    if (task.deadline() != 0) {
      schedule(task.deadline(), task);
    }
    switch (spec.type()) {
      case SLEEP -> schedule(now + ((SleepSpec) spec).delayMs(), task);
      case EVENT -> watchEvent(task, ((EventSpec) spec).event());
      case HTTP, EVENTBUS -> attempt(id, 1);
      case GATHER, WAIT, WAIT_FOR, SHIELD -> watchChildren(task);
      case EXTERNAL -> { }
    }
    return task;
  }

  // ---------------------------------------------------------------- reads

  public Task get(String id) {
    if (frozen) {
      throw Problem.unavailable("this node is leaving the cluster and has handed task " + id + " over; retry");
    }
    Task task = tasks.get(id);
    if (task == null) {
      throw Problem.notFound("Task", "no task with id '" + id + "'");
    }
    return task;
  }

  /** Answers when the task finishes or after {@code waitMs}, with the task as it then stands. */
  public Future<Task> await(String id, long waitMs) {
    Task task = get(id);
    if (task.isFinished() || waitMs <= 0) {
      return Future.succeededFuture(task);
    }
    Promise<Task> promise = Promise.promise();
    Consumer<Task> onDone = promise::tryComplete;
    addWatcher(id, onDone);
    long timer = vertx.setTimer(waitMs, t -> {
      removeWatcher(id, onDone);
      Task now = tasks.get(id);
      promise.tryComplete(now != null ? now : task);
    });
    return promise.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  public List<Task> list(TaskFilter filter, long afterSeq, int limit) {
    // The page is the `limit` matching tasks with the lowest sequence numbers after the cursor.
    PriorityQueue<Task> page = new PriorityQueue<>(limit + 1, (a, b) -> Long.compare(seqOf(b), seqOf(a)));
    for (Task task : tasks.values()) {
      if (seqOf(task) > afterSeq && filter.matches(task)) {
        page.add(task);
        if (page.size() > limit) {
          page.poll();
        }
      }
    }
    List<Task> out = new ArrayList<>(page);
    out.sort((a, b) -> Long.compare(seqOf(a), seqOf(b)));
    return out;
  }

  public static long seqOf(Task task) {
    String id = task.id();
    return Long.parseLong(id, id.lastIndexOf('-') + 1, id.length(), 10);
  }

  public LoopStats stats() {
    return new LoopStats(index, link.node().nodeId() + "/" + index, tasks.size(), unfinished, created, finished,
        timers.size(), events.size(), lateness.snapshot(), lateness.maxMicros());
  }

  // ---------------------------------------------------------------- changes from outside

  public Task cancel(String id) {
    Task task = get(id);
    if (task.isFinished()) {
      throw Problem.conflict("task " + id + " already finished as " + task.state().wire());
    }
    return interrupt(task.cancel("cancelled by request", clock.millis()));
  }

  /** Cancellation passed on by a parent: a finished or vanished task ignores it. */
  public void cancelQuietly(String id, String why) {
    Task task = tasks.get(id);
    if (task != null && !task.isFinished()) {
      interrupt(task.cancel(why, clock.millis()));
    }
  }

  public Task complete(String id, Object result) {
    Task task = external(id, "complete");
    return end(task.succeed(result, clock.millis()));
  }

  public Task fail(String id, TaskError error) {
    Task task = external(id, "fail");
    return end(task.fail(error, clock.millis()));
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
    forget(task);
    return task;
  }

  // ---------------------------------------------------------------- ending a task

  /** Records a task's final state and tells everyone who watches it. Returns the final record. */
  private Task end(Task done) {
    Task after = done.closingOpenAttempt();
    Runnable abort = inFlight.remove(after.id());
    if (abort != null) {
      abort.run();
    }
    tasks.put(after.id(), after);
    changed(after);
    metrics.finished(after.type(), after.state());
    unfinished--;
    finished++;
    finishedOrder.addLast(after);
    composites.remove(after.id());
    if (after.spec() instanceof EventSpec ev && after.state() != TaskState.SUCCEEDED) {
      link.tell(node.homeOf(ev.event()), new LoopCommand.EventUnwatch(ev.event(), index, after.id()));
    }
    List<Consumer<Task>> listeners = watchers.remove(after.id());
    if (listeners != null) {
      for (Consumer<Task> listener : listeners) {
        listener.accept(after);
      }
    }
    announce(after);
    return after;
  }

  /**
   * Publishes the finish on {@code taskloop.v1.task.done} and runs its done hooks. The codec builds JSON only for a consumer that is there to read it.
   */
  private void announce(Task task) {
    TaskCodec.Notice notice = new TaskCodec.Notice(task, node.nodeId());
    vertx.eventBus().publish(Addresses.TASK_DONE, notice, doneOptions);
    OnDone hook = task.spec().common().onDone();
    if (hook != null) {
      outbound.done(hook, TaskJson.task(task));
    }
  }

  /**
   * Logs a state change for live streams, and publishes it to this node's streams when any is
   * open (a plain counter check otherwise: streams cost nothing when nobody watches).
   */
  private void changed(Task task) {
    if (replicator != null) {
      replicator.changed(task);
    }
    ChangeLog.Change change = changes.append(task);
    if (node.streamsOpen() > 0) {
      vertx.eventBus().publish(streamAddress, change, streamOptions);
    }
  }

  ChangeLog.Since changesSince(long after) {
    return changes.since(after);
  }

  // ---------------------------------------------------------------- adoption

  /**
   * Takes over a task whose node left, from its replicated record: absolute deadlines and
   * sleeps are re-armed, waiting tasks wait again, composites watch their children again, and
   * an outbound attempt that was in flight is retried if its policy allows, else the task
   * fails with OwnerLost. {@code handedOver} (a graceful leave) re-runs that attempt instead.
   */
  public Task adopt(JsonObject record, boolean handedOver) {
    Task existing = tasks.get(record.getString("id"));
    if (existing != null) {
      return existing;
    }
    Task task = TaskJson.fromJson(record, node.decoder()).ownedBy(self);
    node.forceReserve(1);
    tasks.put(task.id(), task);
    changed(task);
    if (task.isFinished()) {
      finishedOrder.addLast(task);
      return task;
    }
    created++;
    unfinished++;
    long now = clock.millis();
    if (task.deadline() != 0) {
      schedule(task.deadline(), task);
    }
    switch (task.type()) {
      case SLEEP -> schedule(task.startedAt() + ((SleepSpec) task.spec()).delayMs(), task);
      case EVENT -> watchEvent(task, ((EventSpec) task.spec()).event());
      case GATHER, WAIT, WAIT_FOR, SHIELD -> watchChildren(task);
      case HTTP, EVENTBUS -> resumeOutbound(task, handedOver, now);
      case EXTERNAL -> { }
    }
    return tasks.get(task.id());
  }

  private void resumeOutbound(Task task, boolean handedOver, long now) {
    int last = task.attempt();
    boolean inFlight = last > 0 && task.attempts().get(task.attempts().size() - 1).finishedAt() == 0;
    if (!inFlight) {
      attempt(task.id(), last + 1);
      return;
    }
    if (handedOver) {
      // The leaving node stopped the attempt on purpose: run it again under the same number.
      List<Attempt> kept = task.attempts().subList(0, task.attempts().size() - 1);
      Task rewound = new Task(task.id(), task.owner(), task.spec(), task.state(), null, null, task.createdAt(),
          task.startedAt(), 0, task.deadline(), task.parent(), task.children(), null, List.copyOf(kept), task.version() + 1);
      tasks.put(task.id(), rewound);
      attempt(task.id(), last);
      return;
    }
    TaskError lost = new TaskError("OwnerLost", "the node running attempt " + last + " left the cluster", null);
    Task failed = task.endAttempt(now, lost);
    RetryPolicy retry = retryOf(task.spec());
    if (last < retry.maxAttempts()) {
      tasks.put(task.id(), failed);
      attempt(task.id(), last + 1);
    } else {
      end(failed.fail(lost, now));
    }
  }

  /**
   * A node left: answers awaited from it fail now, and every child on another loop is watched
   * again. A child's id names the node that created it, not the one that holds it now (after an
   * adoption), so any remote child may have lived on the departed node; an extra watch is
   * harmless, since a parent takes each child's end once.
   */
  void onNodeDeparted(String departed) {
    link.nodeDeparted(departed);
    for (Map.Entry<String, Composite> e : composites.entrySet()) {
      for (String child : e.getValue().unfinishedChildren()) {
        if (!tasks.containsKey(child)) {
          watchRemote(e.getKey(), child, WATCH_TRIES);
        }
      }
    }
  }

  /**
   * After a network partition heals: each side may have run the other's tasks (it saw the other
   * side as departed and adopted them). The merged cluster map names one owner per task; every
   * unfinished task this loop holds that the map gives to another node is dropped here, quietly
   * (its owner is the one that answers for it from now on). Answers how many were dropped.
   */
  Future<Integer> reconcile() {
    if (node.hazelcast() == null) {
      return Future.succeededFuture(0);
    }
    List<String> mine = new ArrayList<>();
    for (Task t : tasks.values()) {
      if (!t.isFinished()) {
        mine.add(t.id());
      }
    }
    IMap<String, HazelcastJsonValue> map = node.hazelcast().getMap(ClusterSetup.TASKS_MAP);
    return vertx.executeBlocking(() -> map.getAll(new java.util.HashSet<>(mine))).map(records -> {
      int dropped = 0;
      for (Map.Entry<String, HazelcastJsonValue> e : records.entrySet()) {
        JsonObject record = new JsonObject(e.getValue().getValue());
        Task held = tasks.get(e.getKey());
        boolean elsewhere = !node.nodeId().equals(record.getString("owner"));
        if (held != null && !held.isFinished() && elsewhere) {
          drop(held);
          dropped++;
        }
      }
      return dropped;
    });
  }

  /** Forgets a task another node owns, without ending it: that node's copy carries on. */
  private void drop(Task task) {
    Runnable abort = inFlight.remove(task.id());
    if (abort != null) {
      abort.run();
    }
    composites.remove(task.id());
    watchers.remove(task.id());
    tasks.remove(task.id());
    unfinished--;
    node.release(1);
  }

  /**
   * A graceful leave: stops this loop's work (timers, in-flight attempts, retries) and writes
   * every record as it stands, so another node can take the tasks over with nothing lost and
   * no attempt counted against its policy. The loop then answers 503 for its tasks.
   */
  Future<Integer> freeze() {
    frozen = true;
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    armedFor = Long.MIN_VALUE; // nothing re-arms
    for (Runnable abort : new ArrayList<>(inFlight.values())) {
      abort.run();
    }
    inFlight.clear();
    int handed = unfinished;
    if (replicator == null) {
      return Future.succeededFuture(handed);
    }
    replicator.stop();
    return Future.fromCompletionStage(replicator.flushed(), vertx.getOrCreateContext()).map(v -> handed);
  }

  // ---------------------------------------------------------------- outbound work

  /** Runs attempt {@code number} of an http or eventbus task, then succeeds, retries or fails it. */
  private void attempt(String id, int number) {
    Task task = tasks.get(id);
    if (task == null || task.isFinished()) {
      return;
    }
    Task started = task.beginAttempt(number, clock.millis());
    tasks.put(id, started);
    changed(started);
    Future<Object> work = started.spec() instanceof HttpSpec http
        ? outbound.http(http, abort -> inFlight.put(id, abort))
        : outbound.eventbus((EventBusSpec) started.spec());
    work.onComplete(ar -> {
      Task now = tasks.get(id);
      if (frozen || now == null || now.isFinished() || now.attempt() != number) {
        return; // cancelled or timed out meanwhile; the abort already ran
      }
      inFlight.remove(id);
      long at = clock.millis();
      if (ar.succeeded()) {
        end(now.endAttempt(at, null).succeed(ar.result(), at));
        return;
      }
      Outbound.Failure failure = ar.cause() instanceof Outbound.Failure f ? f
          : new Outbound.Failure(new TaskError("ConnectionError", String.valueOf(ar.cause().getMessage()), null), 0);
      Task failed = now.endAttempt(at, failure.error);
      RetryPolicy retry = retryOf(failed.spec());
      if (number < retry.maxAttempts() && retry.retries(failure.error, failure.status)) {
        tasks.put(id, failed);
        changed(failed);
        long timer = vertx.setTimer(Math.max(1, retry.backoffBefore(number + 1)), t -> {
          inFlight.remove(id);
          attempt(id, number + 1);
        });
        inFlight.put(id, () -> vertx.cancelTimer(timer));
      } else {
        end(failed.fail(failure.error, at));
      }
    });
  }

  private static RetryPolicy retryOf(TaskSpec spec) {
    return spec instanceof HttpSpec h ? h.retry() : ((EventBusSpec) spec).retry();
  }

  /**
   * Ends a task that was itself cancelled or timed out, and passes the cancellation on where
   * asyncio does: a gather or wait_for cancels its unfinished children; wait and shield do not.
   * (A gather that ends cancelled because a child was cancelled goes through {@link #end}.)
   */
  private Task interrupt(Task after) {
    Composite composite = composites.get(after.id());
    end(after);
    if (composite != null && composite.passesCancellation()) {
      String why = "parent " + after.id() + " ended " + after.state().wire();
      for (String child : composite.unfinishedChildren()) {
        cancelChild(child, why);
      }
    }
    return after;
  }

  private void cancelChild(String childId, String why) {
    link.tellTask(childId, new LoopCommand.CancelChild(childId, why));
  }

  private void forget(Task task) {
    if (tasks.remove(task.id()) != null) {
      node.release(1);
      if (replicator != null) {
        replicator.removed(task.id());
      }
      String key = keyOfTask.remove(task.id());
      if (key != null) {
        byKey.remove(key);
      }
    }
  }

  // ---------------------------------------------------------------- composites

  private void watchChildren(Task parent) {
    Composite composite = new Composite(parent);
    composites.put(parent.id(), composite);
    if (composite.distinctChildren().isEmpty()) {
      // gather() of nothing is [] at once, as in asyncio (wait of nothing is refused at decode).
      end(parent.succeed(new JsonArray(), clock.millis()));
      return;
    }
    for (String childId : composite.distinctChildren()) {
      Owner owner = node.ownerOf(childId);
      if (owner == null) {
        onChildDone(parent.id(), vanished(childId));
      } else if (node.isHere(owner) && owner.loop() == index) {
        Task child = tasks.get(childId);
        if (child == null) {
          onChildDone(parent.id(), vanished(childId));
        } else if (child.isFinished()) {
          onChildDone(parent.id(), child);
        } else {
          String parentId = parent.id();
          addWatcher(childId, done -> onChildDone(parentId, done));
        }
      } else {
        watchRemote(parent.id(), childId, WATCH_TRIES);
      }
    }
  }

  /**
   * Asks a child's owner to tell this loop when the child finishes. A child whose node is
   * being replaced (503 while its record is adopted) is asked again; one that no longer exists
   * fails its slot with a LookupError.
   */
  private void watchRemote(String parentId, String childId, int triesLeft) {
    link.askTask(childId, new LoopCommand.Watch(childId, self, parentId))
        .onSuccess(child -> {
          if (child.isFinished()) {
            onChildDone(parentId, child);
          }
        })
        .onFailure(err -> {
          boolean retry = err instanceof Problem p && p.status() == 503 && triesLeft > 1;
          if (retry) {
            vertx.setTimer(WATCH_RETRY_MS, t -> watchRemote(parentId, childId, triesLeft - 1));
          } else {
            onChildDone(parentId, vanished(childId));
          }
        });
  }

  /** The owner's side of {@link LoopCommand.Watch}: remember to tell the parent's loop. */
  Task watchForRemote(String childId, Owner parentLoop, String parentId) {
    Task child = tasks.get(childId);
    if (child == null) {
      return vanished(childId);
    }
    if (!child.isFinished()) {
      addWatcher(childId, done -> link.tell(parentLoop, new LoopCommand.ChildDone(parentId, done)));
    }
    return child;
  }

  /** A child the parent named is gone (deleted or evicted before it could be watched). */
  private Task vanished(String childId) {
    long now = clock.millis();
    return Task.create(childId, new Owner("", -1), new ExternalSpec(Common.NONE), null, List.of(), now).start(now)
        .fail(new TaskError("LookupError", "task " + childId + " no longer exists", null), now);
  }

  public void onChildDone(String parentId, Task child) {
    Composite composite = composites.get(parentId);
    Task parent = tasks.get(parentId);
    if (composite == null || parent == null || parent.isFinished()) {
      return;
    }
    if (!composite.record(child)) {
      return; // told twice (a child watched again after a node left): its end counts once
    }
    long now = clock.millis();
    switch (parent.type()) {
      case GATHER -> gatherStep(parent, composite, child, now);
      case WAIT -> {
        ReturnWhen when = ((WaitSpec) parent.spec()).returnWhen();
        boolean ready = composite.allDone()
            || when == ReturnWhen.FIRST_COMPLETED
            || (when == ReturnWhen.FIRST_EXCEPTION && raised(child));
        if (ready) {
          end(parent.succeed(composite.partition(), now));
        }
      }
      case WAIT_FOR, SHIELD -> end(parent.mirror(child, now));
      default -> LOG.warn("task {} of type {} got a child result", parentId, parent.type());
    }
  }

  private void gatherStep(Task parent, Composite composite, Task child, long now) {
    boolean returnExceptions = ((GatherSpec) parent.spec()).returnExceptions();
    if (!returnExceptions && child.state() == TaskState.CANCELLED) {
      end(parent.cancel("child " + child.id() + " was cancelled", now));
    } else if (!returnExceptions && raised(child)) {
      end(parent.fail(child.error(), now));
    } else if (composite.allDone()) {
      JsonArray results = new JsonArray();
      List<Integer> errorSlots = new ArrayList<>();
      List<Task> done = composite.inOrder();
      for (int i = 0; i < done.size(); i++) {
        Task c = done.get(i);
        if (c.state() == TaskState.SUCCEEDED) {
          results.add(c.result());
        } else {
          results.add(c.error().toJson());
          errorSlots.add(i);
        }
      }
      end(returnExceptions ? parent.succeed(results, List.copyOf(errorSlots), now) : parent.succeed(results, now));
    }
  }

  /** asyncio's "finished by raising": failed or timed out; cancellation is not an exception here. */
  private static boolean raised(Task task) {
    return task.state() == TaskState.FAILED || task.state() == TaskState.TIMED_OUT;
  }

  // ---------------------------------------------------------------- events

  private void watchEvent(Task task, String event) {
    link.ask(node.homeOf(event), new LoopCommand.EventWatch(event, index, task.id()))
        .onSuccess(view -> {
          if (view.set()) {
            onEventFired(task.id(), view.payload());
          }
        })
        .onFailure(err -> LOG.warn("event task {} could not watch event {}: {}", task.id(), event, err.getMessage()));
  }

  public void onEventFired(String taskId, Object payload) {
    Task task = tasks.get(taskId);
    if (task != null && !task.isFinished()) {
      end(task.succeed(payload, clock.millis()));
    }
  }

  // ---------------------------------------------------------------- watchers

  private void addWatcher(String id, Consumer<Task> watcher) {
    watchers.computeIfAbsent(id, k -> new ArrayList<>(2)).add(watcher);
  }

  private void removeWatcher(String id, Consumer<Task> watcher) {
    List<Consumer<Task>> list = watchers.get(id);
    if (list != null && list.remove(watcher) && list.isEmpty()) {
      watchers.remove(id);
    }
  }

  // ---------------------------------------------------------------- time

  private void schedule(long at, Task task) {
    timers.add(at, task);
    long now = clock.millis();
    if (at <= now) {
      if (!drainQueued) {
        drainQueued = true;
        vertx.runOnContext(v -> {
          drainQueued = false;
          runDue();
        });
      }
    } else if (at < armedFor) {
      arm(at, now);
    }
  }

  private void arm(long at, long now) {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
    armedFor = at;
    timerId = vertx.setTimer(Math.max(1, at - now), id -> {
      timerId = -1;
      armedFor = Long.MAX_VALUE;
      runDue();
    });
  }

  /** Runs every timer that is due by the clock, then arms one Vert.x timer for the next. */
  private void runDue() {
    if (frozen) {
      return;
    }
    Instant instant = clock.instant();
    long now = instant.toEpochMilli();
    long nowMicros = instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
    while (timers.peekDue() <= now) {
      long due = timers.peekDue();
      Task queued = timers.poll();
      Task task = tasks.get(queued.id());
      if (task == null || task.isFinished()) {
        continue;
      }
      lateness.record(nowMicros - due * 1_000);
      metrics.lateness(nowMicros - due * 1_000);
      if (task.deadline() != 0 && task.deadline() <= now) {
        onDeadline(task, now);
      } else if (task.spec() instanceof SleepSpec sleep && task.startedAt() + sleep.delayMs() <= now) {
        end(task.succeed(sleep.result(), now));
      }
    }
    if (!timers.isEmpty() && timers.peekDue() < armedFor) {
      arm(timers.peekDue(), now);
    }
  }

  /** {@code timeout_ms} ran out: asyncio's {@code timeout()} everywhere but on {@code wait}. */
  private void onDeadline(Task task, long now) {
    if (task.type() == TaskType.WAIT) {
      Composite composite = composites.get(task.id());
      end(task.succeed(composite.partition(), now));
    } else {
      interrupt(task.timeOut(now));
    }
  }

  /** The clock moved (a settable clock in tests): run what is due and evict what expired. */
  public void tick() {
    runDue();
    sweep();
  }

  /**
   * At the tasks-held cap: evicts this loop's oldest finished tasks early, those finished at
   * least {@code min_retention_ms} ago, to make room for {@code needed} (and a little more, so
   * the next creates need not do it again). Unfinished tasks are never evicted.
   */
  private boolean shedFinished(int needed) {
    long cutoff = clock.millis() - node.config().minRetentionMs();
    int shed = 0;
    while (shed < needed + SHED_BATCH && !finishedOrder.isEmpty() && finishedOrder.peekFirst().finishedAt() <= cutoff) {
      Task done = finishedOrder.pollFirst();
      if (tasks.get(done.id()) == done) {
        forget(done);
        shed++;
      }
    }
    return shed >= needed;
  }

  /** Evicts finished tasks past their retention, and idle events. */
  private void sweep() {
    long cutoff = clock.millis() - node.config().retentionMs();
    while (!finishedOrder.isEmpty() && finishedOrder.peekFirst().finishedAt() <= cutoff) {
      Task done = finishedOrder.pollFirst();
      if (tasks.get(done.id()) == done) {
        forget(done);
      }
    }
    events.sweep(node.config().retentionMs());
  }
}
