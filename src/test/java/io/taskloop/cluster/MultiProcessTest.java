package io.taskloop.cluster;

import static io.taskloop.support.TestServer.composite;
import static io.taskloop.support.TestServer.event;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.ProcessCluster;
import io.taskloop.support.TestServer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three taskloop JVMs ({@link ProcessCluster}) under real time: one is SIGKILLed with more than
 * a thousand unfinished tasks of every kind and the survivors finish each one as it would have
 * finished; then all three are restarted one after the other (SIGTERM, graceful hand-over) and
 * nothing is lost either. Timings (kill to every task readable, hand-overs) are logged to the
 * test's output (target/surefire-reports/*-output.txt) for BENCHMARKS.md; the nodes' own logs
 * are in target/process-cluster/<test>/.
 */
class MultiProcessTest {

  private static final Logger LOG = LoggerFactory.getLogger(MultiProcessTest.class);

  /** Clients talking to the nodes at once: enough to create a thousand tasks in a second or two. */
  private static final int WORKERS = 8;
  /** The bound on every bulk step (create, read, finish): the cluster may be slow on a busy CI runner. */
  private static final long STEP_BOUND_S = 60;
  /** How late a timer may fire on a node that adopted it well before it was due. */
  private static final long LATENESS_MS = 3_000;
  /**
   * Task records are replicated by each loop every {@link Replicator#FLUSH_MS} ms, off the
   * request path; another process cannot look into the cluster map, so the test waits this long
   * (twenty flush intervals) after its last create before it kills the node.
   */
  private static final long REPLICATED_MS = 1_000;

  private ProcessCluster cluster;
  private ExecutorService workers;

  @BeforeEach
  void startWorkers() {
    workers = Executors.newFixedThreadPool(WORKERS);
  }

  @AfterEach
  void stopEverything() {
    workers.shutdownNow();
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void nodeKilledWithSigkillLosesNoTask() {
    long testStarted = System.nanoTime();
    cluster = ProcessCluster.start("sigkill", 3);
    TestServer victim = cluster.client(2);
    String victimId = cluster.nodeId(2);
    List<TestServer> survivors = List.of(cluster.client(0), cluster.client(1));
    Plan plan = new Plan("k" + cluster.clusterName.substring(cluster.clusterName.length() - 8), victim);

    // Work that waits on the outside: completed and set through the survivors after the kill.
    long createStarted = System.nanoTime();
    List<Callable<String>> waiting = new ArrayList<>();
    for (int k = 0; k < 300; k++) {
      waiting.add(() -> plan.external(victim));
    }
    for (int k = 0; k < 200; k++) {
      String name = plan.eventName(k % 20);
      waiting.add(() -> plan.event(victim, name));
    }
    for (int k = 0; k < 20; k++) {
      int n = k;
      waiting.add(() -> plan.add(victim, victim.create(sleep(50, "early-" + n)), "finished-before-kill",
          t -> succeeded(t, "early-" + n)));
    }
    all(waiting);
    // Children on the survivors, and victim children for gathers on the survivors.
    List<String> survivorChildren = all(repeat(100, k -> plan.external(survivors.get(k % 2))));
    List<String> victimChildren = all(repeat(20, k -> plan.external(victim)));
    List<String> survivorSlots = all(repeat(20, k -> plan.external(survivors.get(k % 2))));
    List<Callable<String>> composites = new ArrayList<>();
    for (int k = 0; k < 50; k++) {
      String a = survivorChildren.get(2 * k);
      String b = survivorChildren.get(2 * k + 1);
      composites.add(() -> plan.add(victim, victim.create(composite("gather", a, b)), "gather-of-survivor-children",
          t -> succeeded(t, new JsonArray().add(done(a)).add(done(b)))));
    }
    for (int k = 0; k < 20; k++) {
      String a = victimChildren.get(k);
      String b = survivorSlots.get(k);
      TestServer on = survivors.get(k % 2);
      composites.add(() -> plan.add(on, on.create(composite("gather", a, b)), "survivor-gather-of-victim-child",
          t -> succeeded(t, new JsonArray().add(done(a)).add(done(b)))));
    }
    all(composites);

    // Timed work, due from 3 s to 20 s after an anchor that leaves time to create it all and kill.
    long anchor = System.currentTimeMillis() + 6_000;
    List<Callable<String>> timed = new ArrayList<>();
    for (int k = 0; k < 150; k++) {
      long due = anchor + 3_000 + (k % 18) * 1_000L;
      String result = "slept-" + k;
      timed.add(() -> plan.sleeper(victim, due, result));
    }
    for (int k = 0; k < 100; k++) {
      long due = anchor + 3_000 + (k % 18) * 1_000L;
      timed.add(() -> plan.timedOut(victim, external(), due));
    }
    for (int k = 0; k < 50; k++) {
      long due = anchor + 3_000 + (k % 18) * 1_000L;
      String never = plan.neverSet(k);
      timed.add(() -> plan.timedOut(victim, event(never), due));
    }
    for (int k = 0; k < 50; k++) {
      long due = anchor + 3_000 + (k % 18) * 1_000L;
      String result = "inline-" + k;
      timed.add(() -> plan.inlineGather(victim, due, result));
    }
    for (int k = 0; k < 30; k++) {
      long due = anchor + 3_000 + (k % 18) * 1_000L;
      String never = plan.neverSet(100 + k);
      timed.add(() -> plan.waitForNeverSet(victim, never, due));
    }
    all(timed);
    // Last, timers meant to fall due between the kill and the adoption (the kill comes
    // REPLICATED_MS after this batch): fired on adoption, so late, but never early.
    List<Callable<String>> inGap = new ArrayList<>();
    for (int k = 0; k < 25; k++) {
      long after = REPLICATED_MS + 400 + (k % 10) * 150L;
      String result = "gap-" + k;
      inGap.add(() -> plan.sleeper(victim, System.currentTimeMillis() + after, result, "sleep-due-before-adoption"));
      inGap.add(() -> plan.timedOut(victim, external(), System.currentTimeMillis() + after, "timeout-due-before-adoption"));
    }
    all(inGap);
    long created = System.nanoTime();

    // Before the kill: the early sleeps are done, everything else on the victim is unfinished
    // (counted without the timers of the last batch, which may fall due just before the kill).
    int unfinishedOnVictim = 0;
    for (Planned p : plan.tasks.values()) {
      if (p.onVictim() && !p.kind().equals("finished-before-kill") && !p.kind().endsWith("-due-before-adoption")) {
        unfinishedOnVictim++;
      }
    }
    for (Planned p : plan.tasks.values()) {
      if (p.kind().equals("finished-before-kill")) {
        assertEquals("succeeded", victim.awaitDone(p.id()).getString("state"));
      }
    }
    LOG.info("created {} tasks ({} unfinished on the victim {}) in {} ms", plan.tasks.size(), unfinishedOnVictim,
        victimId, (created - createStarted) / 1_000_000);
    assertTrue(unfinishedOnVictim >= 1_000, "at least a thousand unfinished tasks on the victim: " + unfinishedOnVictim);

    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(REPLICATED_MS));
    long killedAt = System.currentTimeMillis();
    assertTrue(killedAt < anchor + 3_000, "creating the tasks took so long that some fell due before the kill");
    cluster.kill(2);

    // Through the survivors only: every task is readable again, none is a 404.
    Map<Integer, AtomicInteger> seen = awaitReadable(plan.tasks.keySet(), survivors);
    long readableAt = System.currentTimeMillis();
    LOG.info("BENCHMARK kill -> all {} tasks readable through the survivors: {} ms (answers while waiting: {})",
        plan.tasks.size(), readableAt - killedAt, seen);
    plan.adoptedBy = readableAt;

    plan.completeAndSet(survivors);
    Map<String, JsonObject> finals = awaitFinished(plan.tasks.keySet(), survivors);
    plan.verify(finals);
    int dueInGap = 0;
    for (Planned p : plan.tasks.values()) {
      if (p.kind().endsWith("-due-before-adoption")) {
        JsonObject t = finals.get(p.id());
        JsonObject spec = t.getJsonObject("spec");
        long due = millis(t, "created_at") + spec.getLong("delay_ms", spec.getLong("timeout_ms"));
        dueInGap += due > killedAt && due < readableAt ? 1 : 0;
      }
    }
    LOG.info("{} of the 50 timers meant to fall due between the kill and the adoption did", dueInGap);

    Map<String, Integer> adopters = new TreeMap<>();
    for (Planned p : plan.tasks.values()) {
      if (p.onVictim()) {
        adopters.merge(finals.get(p.id()).getJsonObject("loop").getString("node"), 1, Integer::sum);
      }
    }
    LOG.info("the victim's tasks were adopted by {}; latest timer {} ms after it was due", adopters, plan.maxLateness);
    assertEquals(Set.of(cluster.nodeId(0), cluster.nodeId(1)), adopters.keySet(), "both survivors adopt, nobody else");
    int unknown = seen.containsKey(404) ? seen.get(404).get() : 0;
    assertEquals(0, unknown, "answers 404 (unknown task) to reads of tasks that exist, after the kill");
    LOG.info("nodeKilledWithSigkillLosesNoTask took {} ms", (System.nanoTime() - testStarted) / 1_000_000);
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void rollingRestartLosesNoTask() {
    long testStarted = System.nanoTime();
    cluster = ProcessCluster.start("rolling", 3);
    Plan plan = new Plan("r" + cluster.clusterName.substring(cluster.clusterName.length() - 8), null);
    List<TestServer> nodes = List.of(cluster.client(0), cluster.client(1), cluster.client(2));

    List<Callable<String>> waiting = new ArrayList<>();
    for (int k = 0; k < 3 * 60; k++) {
      TestServer on = nodes.get(k % 3);
      waiting.add(() -> plan.external(on));
    }
    for (int k = 0; k < 3 * 40; k++) {
      TestServer on = nodes.get(k % 3);
      String name = plan.eventName(k % 8);
      waiting.add(() -> plan.event(on, name));
    }
    List<String> externals = all(waiting).subList(0, 3 * 60);
    List<Callable<String>> later = new ArrayList<>();
    long anchor = System.currentTimeMillis();
    for (int k = 0; k < 3 * 30; k++) {
      TestServer on = nodes.get(k % 3);
      long due = anchor + 20_000 + (k % 5) * 1_000L;
      String result = "slept-" + k;
      later.add(() -> plan.sleeper(on, due, result));
    }
    for (int k = 0; k < 3 * 10; k++) {
      TestServer on = nodes.get(k % 3);
      long due = anchor + 24_000 + (k % 10) * 100L;
      later.add(() -> plan.timedOut(on, external(), due));
    }
    for (int k = 0; k < 3 * 10; k++) {
      // externals.get(j) lives on node j % 3: each gather's children live on the two other nodes
      TestServer on = nodes.get(k % 3);
      String a = externals.get(3 * k + (k + 1) % 3);
      String b = externals.get(3 * k + (k + 2) % 3);
      later.add(() -> plan.add(on, on.create(composite("gather", a, b)), "gather-across-nodes",
          t -> succeeded(t, new JsonArray().add(done(a)).add(done(b)))));
    }
    all(later);
    LOG.info("created {} tasks over 3 nodes", plan.tasks.size());

    for (int i = 0; i < 3; i++) {
      long stepStarted = System.nanoTime();
      int code = cluster.terminate(i);
      assertEquals(143, code, "node " + i + " ends as a JVM does after SIGTERM");
      List<TestServer> alive = new ArrayList<>();
      for (int j = 0; j < 3; j++) {
        if (j != i) {
          alive.add(cluster.client(j));
        }
      }
      long exited = System.nanoTime();
      Map<Integer, AtomicInteger> seen = awaitReadable(plan.tasks.keySet(), alive);
      long read = System.nanoTime();
      assertEquals(Set.of(200), seen.keySet(), "every task is readable at once after a graceful hand-over");
      cluster.restart(i);
      LOG.info("BENCHMARK rolling step {}: SIGTERM to exit {} ms, all {} tasks read through the others in {} ms, "
              + "back and listed after {} ms in all", i, (exited - stepStarted) / 1_000_000, plan.tasks.size(),
          (read - exited) / 1_000_000, (System.nanoTime() - stepStarted) / 1_000_000);
    }
    String log = read(cluster.log(0)) + read(cluster.log(1)) + read(cluster.log(2));
    assertTrue(!log.contains("hand-over did not complete"), "every hand-over completed (see the node logs)");

    List<TestServer> restarted = List.of(cluster.client(0), cluster.client(1), cluster.client(2));
    Map<String, JsonObject> now = awaitFinished(plan.tasks.keySet(), restarted, 0);
    for (JsonObject t : now.values()) {
      assertTrue(!"failed".equals(t.getString("state")), () -> "no task failed across the restarts: " + t.encode());
    }
    plan.completeAndSet(restarted);
    plan.verify(awaitFinished(plan.tasks.keySet(), restarted));
    LOG.info("rollingRestartLosesNoTask took {} ms", (System.nanoTime() - testStarted) / 1_000_000);
  }

  // ---------------------------------------------------------------- the plan: tasks and their fates

  /** A task the test made, and the check its final state must pass. */
  private record Planned(String id, String kind, boolean onVictim, Consumer<JsonObject> check) {
  }

  /** The tasks made, the externals to complete and events to set, and what each must end as. */
  private final class Plan {

    final String prefix;
    /** The node that will be killed, if any. */
    final TestServer victim;
    final Map<String, Planned> tasks = new ConcurrentSkipListMap<>();
    final Set<String> toComplete = ConcurrentHashMap.newKeySet();
    final Set<String> toSet = ConcurrentHashMap.newKeySet();
    /** When the survivors had adopted everything: timers due after this must fire on time. */
    volatile long adoptedBy = Long.MAX_VALUE;
    volatile long maxLateness;

    Plan(String prefix, TestServer victim) {
      this.prefix = prefix;
      this.victim = victim;
    }

    String eventName(int k) {
      return prefix + "-ev-" + k;
    }

    String neverSet(int k) {
      return prefix + "-never-" + k;
    }

    String add(TestServer on, JsonObject created, String kind, Consumer<JsonObject> check) {
      String id = created.getString("id");
      tasks.put(id, new Planned(id, kind, on == victim, check));
      return id;
    }

    /** An external task, completed later with {@code "done-<id>"}. */
    String external(TestServer on) {
      String id = add(on, on.create(TestServer.external()), "external", t -> succeeded(t, done(t.getString("id"))));
      toComplete.add(id);
      return id;
    }

    /** A task waiting on a named event, set later with the payload {@code "payload-<name>"}. */
    String event(TestServer on, String name) {
      toSet.add(name);
      return add(on, on.create(TestServer.event(name)), "event", t -> succeeded(t, "payload-" + name));
    }

    /** A sleep that ends at {@code due}: it must succeed at that time, not before, and not much after. */
    String sleeper(TestServer on, long due, String result) {
      return sleeper(on, due, result, "sleep");
    }

    String sleeper(TestServer on, long due, String result, String kind) {
      long delay = due - System.currentTimeMillis();
      return add(on, on.create(sleep(delay, result)), kind, t -> {
        succeeded(t, result);
        onTime(t, millis(t, "created_at") + t.getJsonObject("spec").getLong("delay_ms"));
      });
    }

    /** A task nobody finishes, with a timeout that expires at {@code due}: it must end timed_out then. */
    String timedOut(TestServer on, JsonObject spec, long due) {
      return timedOut(on, spec, due, "timeout-" + spec.getString("type"));
    }

    String timedOut(TestServer on, JsonObject spec, long due, String kind) {
      long timeout = due - System.currentTimeMillis();
      return add(on, on.create(spec.copy().put("timeout_ms", timeout)), kind, t -> {
        assertEquals("timed_out", t.getString("state"), t::encode);
        assertEquals("TimeoutError", t.getJsonObject("error").getString("type"), t::encode);
        onTime(t, millis(t, "created_at") + t.getJsonObject("spec").getLong("timeout_ms"));
      });
    }

    /** A gather of an inline sleep (due at {@code due}) and an inline external: three tasks on one loop. */
    String inlineGather(TestServer on, long due, String result) {
      long delay = due - System.currentTimeMillis();
      JsonObject g = on.create(composite("gather", sleep(delay, result), TestServer.external()));
      JsonArray children = g.getJsonArray("children");
      String sleeper = children.getString(0);
      String ext = children.getString(1);
      add(on, new JsonObject().put("id", sleeper), "inline-sleep", t -> {
        succeeded(t, result);
        onTime(t, millis(t, "created_at") + t.getJsonObject("spec").getLong("delay_ms"));
      });
      add(on, new JsonObject().put("id", ext), "inline-external", t -> succeeded(t, done(ext)));
      toComplete.add(ext);
      return add(on, g, "inline-gather", t -> succeeded(t, new JsonArray().add(result).add(done(ext))));
    }

    /** wait_for over an inline event nobody sets: times out at {@code due} and cancels its child. */
    String waitForNeverSet(TestServer on, String name, long due) {
      long timeout = due - System.currentTimeMillis();
      JsonObject w = on.create(TestServer.single("wait_for", TestServer.event(name)).put("timeout_ms", timeout));
      String child = w.getJsonArray("children").getString(0);
      add(on, new JsonObject().put("id", child), "wait_for-child",
          t -> assertEquals("cancelled", t.getString("state"), t::encode));
      return add(on, w, "wait_for", t -> {
        assertEquals("timed_out", t.getString("state"), t::encode);
        onTime(t, millis(t, "created_at") + t.getJsonObject("spec").getLong("timeout_ms"));
      });
    }

    /** Never before its time; on time (within {@link #LATENESS_MS}) when it fell due after adoption. */
    void onTime(JsonObject t, long due) {
      long finished = millis(t, "finished_at");
      assertTrue(finished >= due, () -> "finished " + (due - finished) + " ms early: " + t.encode());
      if (due > adoptedBy + 1_000) {
        long late = finished - due;
        synchronized (this) {
          maxLateness = Math.max(maxLateness, late);
        }
        assertTrue(late <= LATENESS_MS, () -> "finished " + late + " ms after it was due: " + t.encode());
      }
    }

    /** Completes every external and sets every event, spreading the requests over {@code via}. */
    void completeAndSet(List<TestServer> via) {
      AtomicInteger turn = new AtomicInteger();
      List<Callable<String>> jobs = new ArrayList<>();
      for (String id : toComplete) {
        jobs.add(() -> {
          TestServer on = via.get(Math.floorMod(turn.getAndIncrement(), via.size()));
          on.post("/v1/tasks/" + id + "/complete", new JsonObject().put("result", done(id))).expect(200);
          return id;
        });
      }
      for (String name : toSet) {
        jobs.add(() -> {
          TestServer on = via.get(Math.floorMod(turn.getAndIncrement(), via.size()));
          on.put("/v1/events/" + name, new JsonObject().put("payload", "payload-" + name)).expect(200);
          return name;
        });
      }
      all(jobs);
    }

    /** Runs every task's check over its final state; reports every failure, grouped by kind. */
    void verify(Map<String, JsonObject> finals) {
      Map<String, List<String>> failures = new TreeMap<>();
      Map<String, Integer> kinds = new TreeMap<>();
      for (Planned p : tasks.values()) {
        kinds.merge(p.kind(), 1, Integer::sum);
        JsonObject t = finals.get(p.id());
        try {
          assertTrue(t != null, "no final state for " + p.id());
          if (t.getJsonObject("error") != null) {
            assertTrue(!"OwnerLost".equals(t.getJsonObject("error").getString("type")), () -> "OwnerLost: " + t.encode());
          }
          p.check().accept(t);
        } catch (AssertionError e) {
          failures.computeIfAbsent(p.kind(), k -> new ArrayList<>()).add(e.getMessage());
        }
      }
      LOG.info("checked {} tasks: {}", tasks.size(), kinds);
      if (!failures.isEmpty()) {
        StringBuilder sb = new StringBuilder("tasks that did not end as they should:");
        failures.forEach((kind, list) -> sb.append("\n  ").append(kind).append(": ").append(list.size())
            .append(" of ").append(kinds.get(kind)).append(", e.g. ").append(list.get(0)));
        throw new AssertionError(sb.toString());
      }
    }
  }

  // ---------------------------------------------------------------- reading many tasks at once

  /**
   * Reads every task through {@code via} (in turn) until each answers 200, within the step
   * bound; returns how many answers of each status were seen on the way (-1: no answer).
   */
  private Map<Integer, AtomicInteger> awaitReadable(Collection<String> ids, List<TestServer> via) {
    Map<Integer, AtomicInteger> seen = new ConcurrentSkipListMap<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STEP_BOUND_S);
    AtomicInteger turn = new AtomicInteger();
    List<Callable<String>> jobs = new ArrayList<>();
    for (String id : ids) {
      jobs.add(() -> {
        while (true) {
          int status;
          String body = "";
          try {
            TestServer.Resp r = via.get(Math.floorMod(turn.getAndIncrement(), via.size())).get("/v1/tasks/" + id);
            status = r.status();
            body = r.raw();
          } catch (Exception | AssertionError noAnswer) {
            status = -1;
          }
          seen.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
          if (status == 200) {
            return id;
          }
          if (status == 404) {
            LOG.warn("task {} read as unknown after the kill: {}", id, body);
          }
          if (System.nanoTime() > deadline) {
            throw new AssertionError("task " + id + " not readable within " + STEP_BOUND_S + " s; last answer "
                + status + " " + body);
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
      });
    }
    all(jobs);
    return seen;
  }

  private Map<String, JsonObject> awaitFinished(Collection<String> ids, List<TestServer> via) {
    return awaitFinished(ids, via, 10);
  }

  /**
   * Long-polls every task (Prefer: wait) through {@code via} until it finishes or the step
   * bound passes, and returns each as it last stood (the checks then say which did not finish);
   * with {@code waitS} 0, reads each once as it stands.
   */
  private Map<String, JsonObject> awaitFinished(Collection<String> ids, List<TestServer> via, int waitS) {
    Map<String, JsonObject> finals = new ConcurrentHashMap<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STEP_BOUND_S);
    AtomicInteger turn = new AtomicInteger();
    List<Callable<String>> jobs = new ArrayList<>();
    for (String id : ids) {
      jobs.add(() -> {
        while (true) {
          boolean last = waitS == 0 || System.nanoTime() > deadline; // past the bound: read as it stands
          TestServer on = via.get(Math.floorMod(turn.getAndIncrement(), via.size()));
          JsonObject t = on.send(HttpMethod.GET, "/v1/tasks/" + id, null,
              last ? Map.of() : Map.of("Prefer", "wait=" + waitS)).expect(200).json();
          if (last || TestServer.isFinished(t)) {
            finals.put(id, t);
            return id;
          }
        }
      });
    }
    all(jobs);
    return finals;
  }

  /** Runs the jobs on the workers and returns their results in order; the first failure fails the test. */
  private <T> List<T> all(List<Callable<T>> jobs) {
    List<Future<T>> futures = new ArrayList<>();
    for (Callable<T> job : jobs) {
      futures.add(workers.submit(job));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STEP_BOUND_S + 30);
    List<T> results = new ArrayList<>();
    try {
      for (Future<T> f : futures) {
        results.add(f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      }
    } catch (ExecutionException e) {
      futures.forEach(f -> f.cancel(true));
      if (e.getCause() instanceof AssertionError a) {
        throw a;
      }
      throw new AssertionError(e.getCause());
    } catch (TimeoutException e) {
      futures.forEach(f -> f.cancel(true));
      throw new AssertionError("a step did not end within " + (STEP_BOUND_S + 30) + " s");
    } catch (InterruptedException e) {
      futures.forEach(f -> f.cancel(true));
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return results;
  }

  private static List<Callable<String>> repeat(int n, java.util.function.IntFunction<String> job) {
    List<Callable<String>> jobs = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      int i = k;
      jobs.add(() -> job.apply(i));
    }
    return jobs;
  }

  // ---------------------------------------------------------------- small checks

  private static String done(String id) {
    return "done-" + id;
  }

  private static void succeeded(JsonObject t, Object result) {
    assertEquals("succeeded", t.getString("state"), t::encode);
    assertEquals(result, t.getValue("result"), t::encode);
  }

  private static long millis(JsonObject t, String field) {
    return Instant.parse(t.getString(field)).toEpochMilli();
  }

  private static String read(java.nio.file.Path log) {
    try {
      return Files.readString(log);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
