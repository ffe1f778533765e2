package io.taskloop.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.taskloop.task.TaskState;
import io.taskloop.task.TaskType;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A node's meters, served at {@code GET /metrics} in Prometheus format. Counters are resolved
 * once per type and state, so counting on a loop is one increment, no lookup.
 *
 * <ul>
 *   <li>{@code taskloop_tasks_accepted_total{type}}, {@code taskloop_tasks_finished_total{type,state}}
 *   <li>{@code taskloop_tasks_held{loop}}, {@code taskloop_tasks_unfinished{loop}}
 *   <li>{@code taskloop_timer_lateness_seconds} (histogram): how late each timer ran
 *   <li>{@code taskloop_forwards_total{scope="loop"|"node"}}: requests passed to another loop or node
 *   <li>{@code taskloop_adopted_tasks_total}: tasks taken over from departed nodes
 *   <li>{@code taskloop_schedules_held}: schedules this node owns; {@code taskloop_schedule_ticks_total{outcome}}:
 *       ticks fired, skipped (overlap) and missed (beyond the catch-up window)
 *   <li>{@code taskloop_http_requests_seconds{method,code}}: requests answered (count, total and max
 *       time), {@code taskloop_http_connections}: connections open on the node
 *   <li>with the node's Vert.x metrics: {@code vertx_eventbus_*}, {@code jvm_*} (Vert.x's own HTTP server
 *       meters are off: they looked up and registered five meters per request, 10% of a
 *       create-and-await's CPU; the one timer above is resolved once per method and code)
 * </ul>
 */
public final class Metrics {

  private final PrometheusMeterRegistry registry;
  private final Counter[] created = new Counter[TaskType.values().length];
  private final Counter[][] finished = new Counter[TaskType.values().length][TaskState.values().length];
  private final io.micrometer.core.instrument.Timer lateness;
  private final Counter loopForwards;
  private final Counter nodeForwards;
  private final Counter adopted;
  private final io.micrometer.core.instrument.Timer journalCommits;
  private final DistributionSummary journalBatch;
  private final Counter journalFailures;
  private final Counter journalRefused;
  private final java.util.concurrent.atomic.AtomicLong schedulesHeld = new java.util.concurrent.atomic.AtomicLong();
  private final Counter ticksFired;
  private final Counter ticksSkipped;
  private final Counter ticksMissed;

  public Metrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
    for (TaskType type : TaskType.values()) {
      created[type.ordinal()] = Counter.builder("taskloop.tasks.accepted").tag("type", type.wire())
          .description("Tasks accepted (created), by type").register(registry);
      for (TaskState state : TaskState.values()) {
        if (state.isFinished()) {
          finished[type.ordinal()][state.ordinal()] = Counter.builder("taskloop.tasks.finished")
              .tag("type", type.wire()).tag("state", state.wire())
              .description("Tasks finished, by type and final state").register(registry);
        }
      }
    }
    // A timer, not a summary in seconds: a summary's histogram counts whole numbers, so every
    // lateness under a second fell in the 1 s bucket.
    lateness = io.micrometer.core.instrument.Timer.builder("taskloop.timer.lateness")
        .description("How long after its due time each timer ran")
        .serviceLevelObjectives(java.time.Duration.ofNanos(500_000), java.time.Duration.ofMillis(1),
            java.time.Duration.ofMillis(2), java.time.Duration.ofMillis(5), java.time.Duration.ofMillis(10),
            java.time.Duration.ofMillis(25), java.time.Duration.ofMillis(50), java.time.Duration.ofMillis(100),
            java.time.Duration.ofMillis(250), java.time.Duration.ofSeconds(1))
        .register(registry);
    loopForwards = Counter.builder("taskloop.forwards").tag("scope", "loop")
        .description("Requests passed to the loop that owns the task").register(registry);
    nodeForwards = Counter.builder("taskloop.forwards").tag("scope", "node")
        .description("Requests passed to the loop that owns the task").register(registry);
    adopted = Counter.builder("taskloop.adopted.tasks").description("Tasks taken over from departed nodes")
        .register(registry);
    journalCommits = io.micrometer.core.instrument.Timer.builder("taskloop.journal.commit")
        .description("How long each journal commit took, from taking its batch to the store's answer")
        .serviceLevelObjectives(java.time.Duration.ofNanos(250_000), java.time.Duration.ofNanos(500_000),
            java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(2), java.time.Duration.ofMillis(5),
            java.time.Duration.ofMillis(10), java.time.Duration.ofMillis(25), java.time.Duration.ofMillis(100))
        .register(registry);
    journalBatch = DistributionSummary.builder("taskloop.journal.batch").baseUnit("changes")
        .description("Changes written by each journal commit")
        .serviceLevelObjectives(1, 2, 5, 10, 50, 100, 500, 1000, 5000)
        .register(registry);
    journalFailures = Counter.builder("taskloop.journal.failures").description("Journal commits that failed")
        .register(registry);
    journalRefused = Counter.builder("taskloop.journal.refused")
        .description("Changes refused (503) because journal_queue_max changes were waiting").register(registry);
    Gauge.builder("taskloop.schedules.held", schedulesHeld, java.util.concurrent.atomic.AtomicLong::get)
        .description("Schedules this node owns").register(registry);
    ticksFired = tickCounter("fired");
    ticksSkipped = tickCounter("skipped");
    ticksMissed = tickCounter("missed");
  }

  private Counter tickCounter(String outcome) {
    return Counter.builder("taskloop.schedule.ticks").tag("outcome", outcome)
        .description("Schedule ticks: fired, skipped (overlap) or missed (beyond the catch-up window)").register(registry);
  }

  /** Schedules this node owns went up or down by {@code delta}. */
  public void schedules(int delta) {
    schedulesHeld.addAndGet(delta);
  }

  /** {@code n} ticks ended as {@code outcome}: fired, skipped or missed. */
  public void scheduleTicks(String outcome, long n) {
    (switch (outcome) {
      case "fired" -> ticksFired;
      case "skipped" -> ticksSkipped;
      default -> ticksMissed;
    }).increment(n);
  }

  /**
   * Vert.x's own meters as a node runs them: the event bus's and the JVM's. Its HTTP server
   * meters are off, as taskloop times its requests itself (see {@link #httpRequests}).
   */
  public static MicrometerMetricsOptions vertxMetrics() {
    return new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
        .setDisabledMetricsCategories(Set.of(MetricsDomain.HTTP_SERVER.toCategory()));
  }

  /** A registry of its own, for a node started without one (tests, embedded use). */
  public static Metrics standalone() {
    return new Metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public void created(TaskType type) {
    created[type.ordinal()].increment();
  }

  public void finished(TaskType type, TaskState state) {
    finished[type.ordinal()][state.ordinal()].increment();
  }

  public void lateness(long micros) {
    lateness.record(Math.max(0, micros), java.util.concurrent.TimeUnit.MICROSECONDS);
  }

  public void forwarded(boolean toAnotherNode) {
    (toAnotherNode ? nodeForwards : loopForwards).increment();
  }

  public void adopted(int n) {
    adopted.increment(n);
  }

  /** Tasks this node took over from departed nodes since it started. */
  public long adoptedSoFar() {
    return (long) adopted.count();
  }

  /** One journal commit: how long it took, how many changes it wrote, whether it held. */
  public void journalCommit(long nanos, int changes, boolean ok) {
    journalCommits.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    journalBatch.record(changes);
    if (!ok) {
      journalFailures.increment();
    }
  }

  public void journalRefused() {
    journalRefused.increment();
  }

  /** The changes waiting for a journal commit, read when Prometheus scrapes. */
  public void journalGauges(Supplier<Number> waiting) {
    Gauge.builder("taskloop.journal.waiting", waiting).description("Changes waiting for a journal commit").register(registry);
  }

  /**
   * The timer of requests answered with {@code code} to {@code method}; callers keep what
   * they get (Micrometer hands every caller the same meter for the same tags).
   */
  public io.micrometer.core.instrument.Timer httpRequests(String method, int code) {
    return io.micrometer.core.instrument.Timer.builder("taskloop.http.requests").tag("method", method)
        .tag("code", Integer.toString(code)).description("HTTP requests answered, by method and status code")
        .register(registry);
  }

  /** The node's open HTTP connections, read when Prometheus scrapes. */
  public void httpConnections(Supplier<Number> open) {
    Gauge.builder("taskloop.http.connections", open).description("HTTP connections open on this node").register(registry);
  }

  /** A loop's gauges, read when Prometheus scrapes (a plain read of the loop's counters). */
  public void loopGauges(int loop, Supplier<Number> held, Supplier<Number> unfinished) {
    MeterRegistry r = registry;
    Gauge.builder("taskloop.tasks.held", held).tag("loop", Integer.toString(loop))
        .description("Tasks held in memory by a loop, finished ones included").register(r);
    Gauge.builder("taskloop.tasks.unfinished", unfinished).tag("loop", Integer.toString(loop))
        .description("Tasks of a loop that have not finished").register(r);
  }
}
