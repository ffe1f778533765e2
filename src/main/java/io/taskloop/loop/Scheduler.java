package io.taskloop.loop;

import io.taskloop.schedule.EveryCadence;
import io.taskloop.schedule.Overlap;
import io.taskloop.schedule.Schedule;
import io.taskloop.schedule.ScheduleSpec;
import io.taskloop.task.Owner;
import io.taskloop.task.Problem;
import io.taskloop.task.ScheduleRef;
import io.taskloop.task.Tenancy;
import io.taskloop.task.Task;
import io.taskloop.task.TaskState;
import io.taskloop.task.TaskSpec;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loop's schedules (those whose id hashes to it, on the node that owns them): one heap of
 * next fires with one armed Vert.x timer, as for sleeps, so nothing scans every schedule on a
 * tick. A due tick fires a create on the loop its key hashes to, keyed by (schedule, tick):
 * whichever node fires a tick, however often, the cluster's keys name one task for it, and the
 * journal writes the fire record in that task's own commit. Ticks of one schedule are handled
 * one after another; the overlap policy decides what a tick does while the previous run is
 * unfinished, and ticks older than the catch-up window are recorded as missed.
 */
public final class Scheduler {

  private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);
  /** How soon a tick whose create was refused (429, 503) is tried again. */
  private static final long RETRY_MS = 1_000;
  /** A buffered tick waits for the running task in long polls of this length. */
  private static final long WATCH_MS = 60_000;
  private static final long STATE_BOUND_MS = 5_000;
  /** Missed ticks of a cron beyond the catch-up window are counted one by one up to this many per gap. */
  private static final int MISSED_COUNTED = 100_000;
  /** ... and this many per turn of the loop. */
  private static final int MISSED_PER_TURN = 500;
  /**
   * A tick is prepared this long before it is due: its task's spec decoded and the previous
   * run's end looked up, so that when many schedules share a tick the burst does only the
   * creates (a schedule further off is armed first for this long before its tick).
   */
  static final long PREPARE_LEAD_MS = 2_000;

  private final Vertx vertx;
  private final NodeContext node;
  private final LoopLink link;
  private final Clock clock;
  private final Journal journal;
  /** This loop's schedules in id order, for the list's pages. */
  private final NavigableMap<String, Schedule> held = new TreeMap<>();
  /**
   * The same schedules by id, for the lookups of every tick: a TreeMap's descent of string
   * comparisons was a tenth of a cron burst's time.
   */
  private final Map<String, Schedule> byId = new HashMap<>();
  /** Ids being created: a second create of one is a 409 even before the first is durable. */
  private final Set<String> creating = new HashSet<>();
  /** Schedules whose tick is being handled: the next waits for it. */
  private final Set<String> busy = new HashSet<>();
  /** The fired task's spec for a schedule's next tick, decoded ahead of it (see {@link #PREPARE_LEAD_MS}). */
  private final Map<String, Prepared> prepared = new HashMap<>();
  private final Set<String> watching = new HashSet<>();
  private final TimerQueue<Schedule> queue = new TimerQueue<>();
  /** The one Vert.x timer, for the earliest entry of the heap. */
  private final ArmedTimer timer;
  private boolean frozen;

  Scheduler(Vertx vertx, NodeContext node, LoopLink link) {
    this.vertx = vertx;
    this.node = node;
    this.link = link;
    this.clock = node.clock();
    this.journal = node.journal();
    this.timer = new ArmedTimer(vertx, clock, this::runDue);
  }

  /** What a call answers: the HTTP status it stands for and the body. */
  static JsonObject answer(int status, Object body) {
    return new JsonObject().put("status", status).put("body", body);
  }

  // ---------------------------------------------------------------- clients' calls

  /** A call reaches the schedule's home loop on this node (a list goes to the loop it names). */
  Future<JsonObject> route(LoopCommand.ScheduleCall call) {
    if (call.op().equals("list")) {
      return Future.succeededFuture(answer(200, list(call.body().getString("tenant", ""), call.id(),
          call.body().getInteger("limit"))));
    }
    int home = node.homeOf(call.id());
    if (home != link.self()) {
      return link.ask(home, call);
    }
    return call(call.op(), call.id(), call.body());
  }

  /** Runs a client's call for schedule {@code id} on its home loop, which this is. */
  private Future<JsonObject> call(String op, String id, JsonObject body) {
    if (frozen) {
      return Future.failedFuture(Problem.unavailable("this node is leaving the cluster; its schedules move to the others: retry"));
    }
    String owner = node.scheduleOwners().ownerOf(id);
    if (owner != null && !owner.equals(node.nodeId())) {
      // The node that sent this sees the cluster otherwise: one of the two views is behind. This
      // one looks again now, and the sender asks again (ScheduleCalls) before its client sees this.
      node.scheduleOwners().refresh();
      return Future.failedFuture(Problem.moving("schedule " + Tenancy.unqualified(id) + " is moving between nodes; retry",
          new Owner(owner, 0)));
    }
    if (owner != null && !op.equals("create") && !byId.containsKey(id)) {
      // Owned here but not held: it may be on its way (a rebalance or a hand-over still running).
      // The cluster's record says; answering 404, or a PUT's 409, would be wrong.
      return node.scheduleOwners().record(id).otherwiseEmpty().compose(record -> {
        if (record != null && !byId.containsKey(id)) {
          install(record, 0);
        }
        return run(op, id, body);
      });
    }
    return run(op, id, body);
  }

  private Future<JsonObject> run(String op, String id, JsonObject body) {
    return switch (op) {
      case "create" -> create(id, body);
      case "put" -> byId.containsKey(id) ? replace(byId.get(id), body) : create(id, body);
      case "get" -> get(id);
      case "delete" -> delete(id);
      case "pause" -> pause(id, true);
      case "resume" -> pause(id, false);
      case "trigger" -> trigger(id);
      default -> Future.failedFuture(Problem.internal("no schedule call " + op));
    };
  }

  private Schedule existing(String id) {
    Schedule s = byId.get(id);
    if (s == null) {
      throw Problem.notFound("Schedule", "no schedule with id '" + Tenancy.unqualified(id) + "'");
    }
    return s;
  }

  private Future<JsonObject> create(String id, JsonObject body) {
    if (byId.containsKey(id) || creating.contains(id)) {
      String shown = Tenancy.unqualified(id);
      return Future.failedFuture(Problem.conflict("schedule '" + shown + "' exists; PUT /v1/schedules/" + shown + " replaces it"));
    }
    long now = clock.millis();
    ScheduleSpec spec = ScheduleSpec.decode(body, id, now, node.decoder());
    if (!node.reserveSchedule()) {
      return Future.failedFuture(Problem.tooManyTasks("this node holds its limit of " + node.config().maxSchedules()
          + " schedules (max_schedules)", 1));
    }
    // Versions count from the creating instant (x1000), so a schedule made again after a delete
    // is newer than the old one's tombstone wherever that still lies.
    Schedule s = new Schedule(spec, now, now * 1_000);
    String text = s.recordText();
    JsonObject record = new JsonObject(text);
    creating.add(id);
    return node.scheduleOwners().claim(id, record)
        .compose(v -> journal.schedule(id, s.version(), false, text, true)
            .onFailure(err -> node.scheduleOwners().unclaim(id, s.version())))
        .transform(ar -> {
          creating.remove(id);
          if (ar.failed()) {
            node.releaseSchedule();
            return Future.failedFuture(ar.cause());
          }
          hold(id, s);
          node.metrics().schedules(1);
          advance(s);
          return Future.succeededFuture(answer(201, view(s)));
        });
  }

  private Future<JsonObject> replace(Schedule s, JsonObject body) {
    long now = clock.millis();
    ScheduleSpec spec = ScheduleSpec.decode(body, s.id(), s.createdAt(), node.decoder());
    return change(s, () -> s.replace(spec, now)).map(v -> answer(200, view(s)));
  }

  private Future<JsonObject> pause(String id, boolean paused) {
    Schedule s = existing(id);
    return change(s, () -> s.pause(paused, clock.millis())).map(v -> answer(200, view(s)));
  }

  private Future<JsonObject> delete(String id) {
    Schedule s = existing(id);
    return change(s, () -> s.delete(clock.millis())).map(v -> {
      forget(id);
      return answer(204, null);
    });
  }

  /**
   * A client's change: made, committed (a 503 if the commit fails, and the schedule is as it
   * was), shared with the cluster, then the schedule carries on under its new definition.
   */
  private Future<Void> change(Schedule s, Runnable change) {
    String before = s.recordText();
    change.run();
    String record = s.recordText();
    return journal.schedule(s.id(), s.version(), s.deleted(), record, true).transform(ar -> {
      if (ar.failed()) {
        if (holds(s)) {
          Schedule restored = Schedule.fromRecord(new JsonObject(before), 0, node.decoder());
          hold(s.id(), restored);
          advance(restored);
        }
        return Future.failedFuture(ar.cause());
      }
      node.scheduleOwners().share(s.id(), s.version(), record);
      s.armedAt(Long.MIN_VALUE); // the next fire may have moved: arm it afresh
      advance(s);
      return Future.succeededFuture();
    });
  }

  private Future<JsonObject> get(String id) {
    Schedule s = existing(id);
    // Runs still unfinished when last seen are asked once, so the answer shows their states now.
    List<Future<Task>> asked = new ArrayList<>();
    for (Schedule.Run run : s.runs()) {
      if (run.taskId() != null && !finished(run.state())) {
        asked.add(link.askTask(run.taskId(), new LoopCommand.Get(run.taskId()), STATE_BOUND_MS)
            .onSuccess(t -> s.noteState(t.id(), t.state().wire())));
      }
    }
    return Future.join(asked).transform(ar -> Future.succeededFuture(answer(200, view(s))));
  }

  /** The schedule as a client reads it: with its next fires from now and the node that owns it. */
  private JsonObject view(Schedule s) {
    return s.toJson(clock.millis()).put("owner", node.nodeId());
  }

  private static boolean finished(String state) {
    return state != null && TaskState.fromWire(state).isFinished();
  }

  private Future<JsonObject> trigger(String id) {
    Schedule s = existing(id);
    return fire(s, clock.millis(), true).map(run -> answer(200, run));
  }

  /** This loop's schedules of {@code tenant} after id {@code after} (null: from the first), as clients read them. */
  JsonArray list(String tenant, String after, int limit) {
    long now = clock.millis();
    JsonArray out = new JsonArray();
    String from = after != null ? after : Tenancy.qualified(tenant, "");
    for (Schedule s : held.tailMap(from, after == null).values()) {
      if (out.size() == limit) {
        break;
      }
      if (Tenancy.holds(tenant, s.id())) {
        out.add(s.toJson(now).put("owner", node.nodeId()));
      } else if (!tenant.isEmpty()) {
        break; // a tenant's ids sort together, after its prefix
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- taking schedules up and handing them on

  /**
   * Takes up a schedule from its record (at start, or when this node becomes its owner): it
   * carries on after its cursor, and ticks it missed meanwhile fire if they are inside its
   * catch-up window. A record no newer than the one held changes nothing.
   */
  void install(JsonObject record, long firedUpTo) {
    Schedule s;
    try {
      s = Schedule.fromRecord(record, firedUpTo, node.decoder());
    } catch (Problem p) {
      LOG.error("schedule {} cannot be taken up: its stored definition is refused now ({})", record.getString("id"),
          p.getMessage());
      return;
    }
    Schedule had = byId.get(s.id());
    if (s.deleted() || had != null && had.version() >= s.version()) {
      return;
    }
    if (had == null) {
      node.forceReserveSchedule();
      node.metrics().schedules(1);
    }
    hold(s.id(), s);
    s.armedAt(Long.MIN_VALUE);
    advance(s);
  }

  /** Another node owns the schedule now: it leaves this loop (its record stays with the cluster). */
  void uninstall(String id) {
    if (byId.containsKey(id)) {
      forget(id);
    }
  }

  private void forget(String id) {
    unhold(id);
    prepared.remove(id);
    busy.remove(id);
    node.releaseSchedule();
    node.metrics().schedules(-1);
  }

  private void hold(String id, Schedule s) {
    held.put(id, s);
    byId.put(id, s);
  }

  private void unhold(String id) {
    held.remove(id);
    byId.remove(id);
  }

  /** Whether {@code s} is the schedule this loop holds under its id (one replaced or forgotten is not). */
  private boolean holds(Schedule s) {
    return byId.get(s.id()) == s;
  }

  /** The ids of this loop's schedules (a cluster's rebalance compares them with who owns what). */
  List<String> ids() {
    return new ArrayList<>(held.keySet());
  }

  /** A graceful leave: nothing fires here any more; the records are with the cluster already. */
  void freeze() {
    frozen = true;
    stop();
  }

  void stop() {
    timer.freeze();
  }

  // ---------------------------------------------------------------- ticks

  /** Handles the schedule's next tick if it is due, else arms it; ticks of one schedule go one at a time. */
  private void advance(Schedule s) {
    String id = s.id();
    if (frozen || !holds(s) || busy.contains(id)) {
      return;
    }
    long now = clock.millis();
    long tick = s.next();
    if (tick == Long.MAX_VALUE) {
      s.armedAt(Long.MIN_VALUE);
      prepared.remove(id);
      return;
    }
    if (tick > now) {
      if (tick - now > PREPARE_LEAD_MS) {
        arm(s, tick - PREPARE_LEAD_MS); // back here then, to prepare the tick
      } else {
        prepare(s, tick);
        arm(s, tick);
      }
      return;
    }
    long windowStart = now - s.spec().catchupWindowMs();
    if (tick < windowStart) {
      skipMissed(s, tick, windowStart, 0);
      return;
    }
    busy.add(id);
    long due = tick;
    fire(s, due, false).onComplete(ar -> {
      busy.remove(id);
      if (ar.failed()) {
        LOG.warn("schedule {}: tick {} did not fire ({}); trying again in {} ms", id, java.time.Instant.ofEpochMilli(due),
            ar.cause().getMessage(), RETRY_MS);
        arm(s, clock.millis() + RETRY_MS);
      } else {
        advance(s);
      }
    });
  }

  /**
   * Records the ticks from {@code tick} up to {@code windowStart} as missed: counted by
   * arithmetic for {@code every_ms}, one by one for cron, a bounded number per turn of the loop
   * (the rest in the next turns, the schedule busy meanwhile), and past {@link #MISSED_COUNTED}
   * in one gap skipped over uncounted, so no gap however long holds the loop.
   */
  private void skipMissed(Schedule s, long tick, long windowStart, long countedBefore) {
    String id = s.id();
    if (frozen || !holds(s)) {
      busy.remove(id);
      return;
    }
    long now = clock.millis();
    long count = 0;
    long last = tick;
    long next = tick;
    long cursor;
    if (s.spec().cadence() instanceof EveryCadence every) {
      long upTo = s.spec().endAt() != 0 ? Math.min(windowStart - 1, s.spec().endAt()) : windowStart - 1;
      count = (upTo - tick) / every.everyMs() + 1;
      last = tick + (count - 1) * every.everyMs();
      next = s.spec().nextAfter(last);
      cursor = last;
    } else {
      while (next < windowStart && count < MISSED_PER_TURN) {
        last = next;
        count++;
        next = s.spec().nextAfter(next);
      }
      cursor = last;
      if (next < windowStart && countedBefore + count >= MISSED_COUNTED) {
        cursor = windowStart - 1; // too many to count: the rest of the gap is passed over
        next = s.spec().nextAfter(cursor);
      }
    }
    s.missed(count, last, cursor, now);
    node.metrics().scheduleTicks("missed", count);
    long total = countedBefore + count;
    if (next < windowStart) {
      busy.add(id);
      long from = next;
      vertx.runOnContext(v -> skipMissed(s, from, windowStart, total));
      return;
    }
    busy.remove(id);
    LOG.info("schedule {}: {} ticks up to {} were older than its catch-up window of {} ms: recorded as missed{}", id,
        total, java.time.Instant.ofEpochMilli(last), s.spec().catchupWindowMs(),
        cursor != last ? " (more passed uncounted)" : "");
    persist(s);
    advance(s);
  }

  /**
   * What tick {@code tick} does, as the overlap policy says. A trigger's answer is the run
   * {@code {tick, outcome, task_id}} with outcome {@code fired} or {@code skipped}; a tick of
   * the cadence answers null (nothing reads it, and a burst made a thousand of them).
   * A trigger ({@code manual}) never moves the cursor, and never waits: while a run is unfinished
   * it is skipped under {@code skip} and {@code buffer_one}.
   */
  private Future<JsonObject> fire(Schedule s, long tick, boolean manual) {
    Overlap overlap = s.spec().overlap();
    String previous = s.latest();
    Future<Boolean> running = overlap == Overlap.ALLOW || previous == null ? Future.succeededFuture(false)
        : unfinished(s, previous);
    return running.compose(busyRun -> {
      long now = clock.millis();
      if (!busyRun) {
        return create(s, tick, manual);
      }
      switch (overlap) {
        case CANCEL_OTHER -> {
          return link.askTask(previous, new LoopCommand.Cancel(previous), STATE_BOUND_MS)
              .transform(ar -> create(s, tick, manual));
        }
        case BUFFER_ONE -> {
          if (!manual && s.buffered() == 0) {
            s.buffer(tick, now);
            persist(s);
            watch(s, previous);
            return Future.succeededFuture(null); // a trigger never buffers: no one reads this
          }
          return skip(s, tick, manual, now);
        }
        default -> {
          return skip(s, tick, manual, now);
        }
      }
    });
  }

  private Future<JsonObject> skip(Schedule s, long tick, boolean manual, long now) {
    if (!manual) {
      s.skipped(tick, now);
      persist(s);
    }
    node.metrics().scheduleTicks("skipped", 1);
    return Future.succeededFuture(manual ? run(tick, "skipped", null) : null);
  }

  private static JsonObject run(long tick, String outcome, String taskId) {
    return new JsonObject().put("tick", java.time.Instant.ofEpochMilli(tick).toString()).put("outcome", outcome)
        .put("task_id", taskId);
  }

  /** Whether the previous run's task is still unfinished; a task that cannot be asked counts as unfinished. */
  private Future<Boolean> unfinished(Schedule s, String taskId) {
    return link.askTask(taskId, new LoopCommand.Get(taskId), STATE_BOUND_MS).map(t -> {
      if (t.isFinished()) {
        s.runEnded(taskId, t.state().wire());
      } else {
        s.noteState(taskId, t.state().wire());
      }
      return !t.isFinished();
    }).recover(err -> {
      if (err instanceof Problem p && p.status() == 404) {
        s.runEnded(taskId, null);
        return Future.succeededFuture(false);
      }
      return Future.succeededFuture(true);
    });
  }

  /** The buffered tick fires once the run before it finishes. */
  private void watch(Schedule s, String taskId) {
    if (!watching.add(s.id())) {
      return;
    }
    link.askTask(taskId, new LoopCommand.Await(taskId, WATCH_MS), WATCH_MS + LoopLink.WAIT_SLACK_MS).onComplete(ar -> {
      watching.remove(s.id());
      if (!holds(s) || s.buffered() == 0) {
        return;
      }
      boolean gone = ar.failed() && ar.cause() instanceof Problem p && p.status() == 404;
      if (ar.succeeded() && ar.result().isFinished() || gone) {
        s.runEnded(taskId, gone ? null : ar.result().state().wire());
        long tick = s.buffered();
        busy.add(s.id());
        create(s, tick, false).onComplete(done -> {
          busy.remove(s.id());
          advance(s);
        });
      } else {
        watch(s, taskId);
      }
    });
  }

  /** A tick made ready before it is due: the task it fires, for this schedule as it was defined then. */
  private record Prepared(Schedule schedule, ScheduleSpec spec, long tick, TaskSpec task, String fingerprint) {
    /** Whether this is tick {@code tick} of schedule {@code s} as it is defined now. */
    boolean isFor(Schedule s, long tick) {
      return schedule == s && spec == s.spec() && this.tick == tick;
    }
  }

  /**
   * Gets tick {@code tick} ready: decodes the task it fires, and asks whether the previous run
   * ended (an ended run stays ended, so the tick need not ask again; one still running is
   * asked again at the tick). A spec that does not decode is left to the tick, which reports it.
   */
  private void prepare(Schedule s, long tick) {
    Prepared had = prepared.get(s.id());
    if (had == null || !had.isFor(s, tick)) {
      try {
        TaskSpec task = fired(s, tick, false);
        prepared.put(s.id(), new Prepared(s, s.spec(), tick, task, Admission.fingerprint(task)));
      } catch (Problem p) {
        prepared.remove(s.id());
      }
    }
    String previous = s.latest();
    if (previous != null && s.spec().overlap() != Overlap.ALLOW) {
      unfinished(s, previous);
    }
  }

  /** The schedule's task with its label and its tick. */
  private TaskSpec fired(Schedule s, long tick, boolean manual) {
    String id = s.id();
    JsonObject body = s.spec().task().copy();
    JsonObject labels = body.getJsonObject("labels", new JsonObject()).copy().put(ScheduleSpec.LABEL, Tenancy.unqualified(id));
    body.put("labels", labels).put("schedule", new ScheduleRef(Tenancy.unqualified(id), tick, manual).toJson())
        .put("tenant", Tenancy.tenantOf(id));
    return node.decoder().decodeStored(body);
  }

  /** The fired task, created under the key (schedule, tick). */
  private Future<JsonObject> create(Schedule s, long tick, boolean manual) {
    String id = s.id();
    Prepared ready = manual ? null : prepared.remove(id);
    TaskSpec spec;
    String fingerprint = null;
    if (ready != null && ready.isFor(s, tick)) {
      spec = ready.task();
      fingerprint = ready.fingerprint();
    } else {
      try {
        spec = fired(s, tick, manual);
      } catch (Problem p) {
        return Future.failedFuture(p);
      }
    }
    String key = NodeContext.tickKey(id, tick, manual);
    return link.ask(node.homeOf(key), new LoopCommand.Create(spec, key, 0, fingerprint)).transform(ar -> {
      long now = clock.millis();
      if (ar.failed()) {
        if (ar.cause() instanceof Problem p && p.status() == 422 && !manual) {
          // The key was used with an older definition: the tick fired before this definition.
          s.fired(tick, null, false, null, now);
          persist(s);
          return Future.succeededFuture(null); // never a trigger's (manual is excluded above)
        }
        return Future.failedFuture(ar.cause());
      }
      Task task = ar.result().task();
      if (holds(s)) {
        s.fired(tick, task.id(), manual, task.state().wire(), now);
        persist(s);
      }
      node.metrics().scheduleTicks("fired", 1);
      return Future.succeededFuture(manual ? run(tick, "fired", task.id()).put("replayed", ar.result().replayed()) : null);
    });
  }

  /** What a tick changed: written until it lands, and shared with the cluster. */
  private void persist(Schedule s) {
    String record = s.recordText();
    journal.schedule(s.id(), s.version(), s.deleted(), record, false);
    node.scheduleOwners().share(s.id(), s.version(), record);
  }

  // ---------------------------------------------------------------- the heap of next fires

  private void arm(Schedule s, long when) {
    if (s.armedAt() == when) {
      return;
    }
    s.armedAt(when);
    queue.add(when, s);
    timer.armBy(when);
  }

  /** Handles every schedule due by the clock (an entry whose schedule moved on is stale and dropped). */
  void runDue() {
    if (frozen) {
      return;
    }
    long now = clock.millis();
    List<Schedule> due = new ArrayList<>();
    while (!queue.isEmpty() && queue.peekDue() <= now) {
      long when = queue.peekDue();
      Schedule s = queue.poll();
      if (s.armedAt() == when && holds(s)) {
        s.armedAt(Long.MIN_VALUE);
        due.add(s);
      }
    }
    due.forEach(this::advance);
    if (!queue.isEmpty()) {
      timer.armBy(queue.peekDue());
    }
  }
}
