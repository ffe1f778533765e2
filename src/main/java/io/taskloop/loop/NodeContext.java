package io.taskloop.loop;

import io.taskloop.task.Owner;
import io.taskloop.config.Config;
import io.taskloop.metrics.Metrics;
import io.taskloop.task.Problem;
import io.taskloop.task.OutboundGuard;
import io.taskloop.task.SpecDecoder;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every loop of a node shares, all of it immutable except {@link #held}: the node-wide
 * count of tasks held in memory, which enforces {@code max_tasks} with one lock-free counter.
 */
public final class NodeContext {

  private final String nodeId;
  private final Config config;
  private final Clock clock;
  private final SpecDecoder decoder;
  private final AtomicLong held = new AtomicLong();
  private final AtomicInteger streams = new AtomicInteger();
  /** Nodes that left the cluster: their tasks are found through the replicated records. */
  private final Set<String> departed = ConcurrentHashMap.newKeySet();
  private final Directory directory;
  private final Metrics metrics;
  private final AtomicLong schedules = new AtomicLong();
  /** Tasks each named tenant holds here (tenant_max_tasks), and its creates in the current second. */
  private final Map<String, AtomicLong> heldBy = new ConcurrentHashMap<>();
  private final Map<String, Window> createsBy = new ConcurrentHashMap<>();
  private volatile Journal journal = Journal.MEMORY;
  private volatile ScheduleOwners scheduleOwners = ScheduleOwners.ALONE;
  private volatile boolean leaving;

  /** {@code directory} is made for this context (a cluster's directory reads which nodes departed). */
  public NodeContext(String nodeId, Config config, Clock clock, Function<NodeContext, Directory> directory,
      Metrics metrics) {
    this.metrics = metrics;
    this.nodeId = nodeId;
    this.config = config;
    this.clock = clock;
    this.decoder = new SpecDecoder(config.maxChildren(), config.maxDepth(),
        config.auth().open() ? new OutboundGuard(config.httpAllow(), config.httpDeny())
            : OutboundGuard.protectingThisMachine(config.httpAllow(), config.httpDeny(), config.auth().httpAllowByTenant()));
    this.directory = directory.apply(this);
  }

  public String nodeId() {
    return nodeId;
  }

  public Config config() {
    return config;
  }

  public Clock clock() {
    return clock;
  }

  public SpecDecoder decoder() {
    return decoder;
  }

  public int loops() {
    return config.loops();
  }

  /** Claims room for {@code n} tasks; false (and nothing claimed) when that would pass the cap. */
  public boolean reserve(int n) {
    if (held.addAndGet(n) > config.maxTasks()) {
      held.addAndGet(-n);
      return false;
    }
    return true;
  }

  /** Claims room even past the cap: adopted tasks were accepted already and must not be lost. */
  public void forceReserve(int n) {
    held.addAndGet(n);
  }

  public void release(int n) {
    held.addAndGet(-n);
  }

  /**
   * Claims room for {@code n} tasks of {@code tenant} under {@code tenant_max_tasks}; false (and
   * nothing claimed) when that would pass it. The tenant with no name has no cap of its own.
   */
  public boolean reserveFor(String tenant, int n) {
    long cap = config.auth().tenantMaxTasks();
    if (tenant.isEmpty() || cap == 0) {
      return true;
    }
    AtomicLong count = heldBy.computeIfAbsent(tenant, t -> new AtomicLong());
    if (count.addAndGet(n) > cap) {
      count.addAndGet(-n);
      return false;
    }
    return true;
  }

  /** A tenant's task taken over (restart, adoption): it counts even past the tenant's cap. */
  public void forceReserveFor(String tenant, int n) {
    if (!tenant.isEmpty() && config.auth().tenantMaxTasks() > 0) {
      heldBy.computeIfAbsent(tenant, t -> new AtomicLong()).addAndGet(n);
    }
  }

  public void releaseFor(String tenant, int n) {
    if (!tenant.isEmpty() && config.auth().tenantMaxTasks() > 0) {
      heldBy.computeIfAbsent(tenant, t -> new AtomicLong()).addAndGet(-n);
    }
  }

  /** One create of {@code tenant}'s under {@code tenant_creates_per_second}; false when this second's are used up. */
  public boolean admitCreate(String tenant) {
    long rate = config.auth().tenantCreatesPerSecond();
    if (tenant.isEmpty() || rate == 0) {
      return true;
    }
    return createsBy.computeIfAbsent(tenant, t -> new Window()).admit(clock.millis() / 1_000, rate);
  }

  /** Creates counted in one second: a fixed window, reset by the first create of the next second. */
  private static final class Window {
    private long second = -1;
    private long count;

    synchronized boolean admit(long now, long rate) {
      if (now != second) {
        second = now;
        count = 0;
      }
      return ++count <= rate;
    }
  }

  public long held() {
    return held.get();
  }

  /** Claims room for one more schedule under {@code max_schedules}; false (nothing claimed) when full. */
  public boolean reserveSchedule() {
    if (schedules.incrementAndGet() > config.maxSchedules()) {
      schedules.decrementAndGet();
      return false;
    }
    return true;
  }

  /** A schedule this node takes over (restart, failover) counts even past the cap: it exists already. */
  public void forceReserveSchedule() {
    schedules.incrementAndGet();
  }

  public void releaseSchedule() {
    schedules.decrementAndGet();
  }

  /** Who owns which schedule ({@link ScheduleOwners#ALONE} on a node that runs alone). */
  public ScheduleOwners scheduleOwners() {
    return scheduleOwners;
  }

  /** Set once at start, before any loop runs. */
  public void ownSchedulesWith(ScheduleOwners owners) {
    this.scheduleOwners = owners;
  }

  public Metrics metrics() {
    return metrics;
  }

  /** Where this node's acknowledged changes are kept ({@link Journal#MEMORY}: nowhere). */
  public Journal journal() {
    return journal;
  }

  /** Set once at start, before any loop runs. */
  public void keepIn(Journal journal) {
    this.journal = journal;
  }

  /** Where tasks of departed nodes live now ({@link Directory#NONE} on a node that runs alone). */
  public Directory directory() {
    return directory;
  }

  public void departed(String node) {
    departed.add(node);
  }

  /** This node is leaving the cluster: it hands its tasks over and takes on no one else's. */
  public void leaving() {
    leaving = true;
  }

  public boolean isLeaving() {
    return leaving;
  }

  /** A node that left came back (under the same id, on its data_dir): route to it again. */
  public void back(String node) {
    departed.remove(node);
  }

  /** After a partition heals the nodes on the other side are back: route to them again. */
  public void clearDeparted() {
    departed.clear();
  }

  public boolean hasDeparted(String node) {
    return departed.contains(node);
  }

  /** Live streams open on this node; loops publish changes only while there is one. */
  public int streamsOpen() {
    return streams.get();
  }

  public void streamOpened() {
    streams.incrementAndGet();
  }

  public void streamClosed() {
    streams.decrementAndGet();
  }

  /**
   * The owner of a task, read from its id ({@code <node>-<loop>-<seq>}), or null when the id is
   * not one this cluster could have given out. Another node's loop is checked by that node.
   */
  public Owner ownerOf(String taskId) {
    int first = taskId.indexOf('-');
    int last = taskId.lastIndexOf('-');
    if (first <= 0 || last <= first || last == taskId.length() - 1) {
      return null;
    }
    try {
      int loop = Integer.parseInt(taskId, first + 1, last, 10);
      Long.parseLong(taskId, last + 1, taskId.length(), 10);
      boolean here = first == nodeId.length() && taskId.startsWith(nodeId);
      if (loop < 0) {
        return null;
      }
      // A node restarted with fewer loops holds the tasks of a loop it no longer has on loop % loops.
      return here ? new Owner(nodeId, loop % config.loops()) : new Owner(taskId.substring(0, first), loop);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The owner of a task id; an id this cluster could not have given out is an unknown task (404). */
  public Owner requireOwner(String taskId) {
    Owner owner = ownerOf(taskId);
    if (owner == null) {
      throw Problem.notFound("Task", "no task with id '" + taskId + "'");
    }
    return owner;
  }

  public boolean isHere(Owner owner) {
    return owner.node().equals(nodeId);
  }

  /**
   * The loop of this node that holds a task it takes over (adopted, or restored at start): the
   * loop its id names when the id is this node's (requests find it by id), else the loop its id
   * hashes to.
   */
  public int loopFor(String taskId) {
    Owner named = ownerOf(taskId);
    return named != null && isHere(named) ? named.loop() : homeOf(taskId);
  }

  /** The loop that keeps a named event or an idempotency key, or holds a schedule: {@link #homeOf(String, int)}. */
  public int homeOf(String name) {
    return homeOf(name, config.loops());
  }

  /**
   * A stable hash of the name over {@code loops} loops. A schedule's tick key
   * ({@code schedule:<id>:<tick>}, {@code schedule:<id>:manual:<tick>}) lives where the
   * schedule does, so a tick's create runs on the loop that fires it, in the same stretch.
   */
  public static int homeOf(String name, int loops) {
    String of = name;
    if (name.startsWith(SpecDecoder.SCHEDULE_KEYS)) {
      int tick = name.lastIndexOf(':');
      of = name.substring(SpecDecoder.SCHEDULE_KEYS.length(), Math.max(SpecDecoder.SCHEDULE_KEYS.length(), tick));
      if (of.endsWith(MANUAL)) {
        of = of.substring(0, of.length() - MANUAL.length());
      }
    }
    return Math.floorMod(of.hashCode(), loops);
  }

  private static final String MANUAL = ":manual";

  /** The idempotency key of a schedule's tick: whichever node fires it, it names one task. */
  public static String tickKey(String scheduleId, long tick, boolean manual) {
    return SpecDecoder.SCHEDULE_KEYS + scheduleId + (manual ? MANUAL : "") + ":" + tick;
  }
}
