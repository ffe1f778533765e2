import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cluster benchmarks for taskloop, stdlib only (plain sockets: java.net.http is too slow here).
 *
 * <pre>
 * java bench/cluster/ClusterBench.java latency OWNER_URL OTHER_URL [n=3000] [warmup=500] [event_n=1500] [warmup_s=20]
 *     Sequential requests, one in flight per connection, over keep-alive connections. Tasks are
 *     created on OWNER through connection "own" (so they live on that connection's loop). Each
 *     operation is sent, in strict rotation, to:
 *       own   : OWNER, the very loop that owns the task (no hop),
 *       loop  : OWNER, another loop of the same node (one local event-bus hop),
 *       other : OTHER, another node (one clustered event-bus round trip, JSON on TCP).
 *     get      GET /v1/tasks/{id} (100 running externals, cycled), timed after `warmup` rounds
 *              and at least `warmup_s` seconds of the same rounds: the first minute of three
 *              fresh JVMs (and of this one) is JIT compilation on the same two cores, and a
 *              count of 500-20,000 rounds measured that, not the nodes in service (figures in
 *              BENCHMARKS.md, "Warm nodes, and one round trip fewer")
 *     complete POST /v1/tasks/{id}/complete on a fresh external each time
 *     event    PUT /v1/events/{fresh name} while an `event` task created on OWNER/own waits on
 *              it; targets own (same node as the waiter) and other. Besides the PUT's own
 *              latency it measures "seen": from sending the PUT until a long-poll
 *              GET /v1/tasks/{id}?wait=5, sent to the waiter's loop before the PUT, answers
 *              with the task succeeded (a separate connection read by its own thread). Each is
 *              followed by a PUT of a fresh name nobody waits on (event_put_nowaiter), for reference.
 *
 * java bench/cluster/ClusterBench.java adopt VICTIM_URL VICTIM_PID SURVIVOR_URL[,SURVIVOR_URL...]
 *         [tasks=10000] [settle_ms=1000] [bound_s=60] [--signal KILL|STOP] [--log FILE]...
 *     Creates `tasks` unfinished tasks on VICTIM (half `external`, half `sleep` of 10 min),
 *     waits settle_ms (records are replicated every 50 ms), sends SIGKILL (or SIGSTOP: a node
 *     that hangs with its sockets open) to VICTIM_PID, a taskloop JVM, then sweeps
 *     GET /v1/tasks/{id} through the survivors (id i through survivor i % S, two connections
 *     each, 32 pipelined), each connection going over its ids not yet answered 200 again and
 *     again, until all answered 200 or bound_s passed. Prints the statuses seen (with a
 *     timeline), the first 200, the last non-200 (a lower bound for "all readable") and the
 *     last first-200 (an upper bound), who adopted what, and the survivors' log lines about
 *     the departure with their times relative to the signal.
 * </pre>
 *
 * Every URL must be a 127.0.0.1 address; every loop here is bounded in count and time.
 */
public class ClusterBench {

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      usage();
    }
    switch (args[0]) {
      case "latency" -> latency(uri(args[1]), uri(args[2]), intArg(args, 3, 3000), intArg(args, 4, 500),
          intArg(args, 5, 1500), intArg(args, 6, 20));
      case "adopt" -> {
        List<String> positional = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        String signal = "KILL";
        for (int i = 1; i < args.length; i++) {
          if (args[i].equals("--log")) {
            logs.add(Path.of(args[++i]));
          } else if (args[i].equals("--signal")) {
            signal = args[++i].toUpperCase(java.util.Locale.ROOT);
          } else {
            positional.add(args[i]);
          }
        }
        if (positional.size() < 3 || !(signal.equals("KILL") || signal.equals("STOP"))) {
          usage();
        }
        String[] p = positional.toArray(String[]::new);
        List<URI> survivors = new ArrayList<>();
        for (String s : p[2].split(",")) {
          survivors.add(uri(s));
        }
        adopt(uri(p[0]), Long.parseLong(p[1]), survivors, intArg(p, 3, 10_000), intArg(p, 4, 1000), intArg(p, 5, 60),
            signal, logs);
      }
      default -> usage();
    }
  }

  static void usage() {
    System.err.println("usage: java bench/cluster/ClusterBench.java latency OWNER_URL OTHER_URL [n] [warmup] [event_n] [warmup_s]\n"
        + "       java bench/cluster/ClusterBench.java adopt VICTIM_URL VICTIM_PID SURVIVOR_URL[,SURVIVOR_URL...] [tasks]"
        + " [settle_ms] [bound_s] [--signal KILL|STOP] [--log FILE]...");
    System.exit(2);
  }

  static URI uri(String s) {
    URI u = URI.create(s.replaceAll("/+$", ""));
    if (!"127.0.0.1".equals(u.getHost())) {
      System.err.println("refusing a non-loopback target: " + s);
      System.exit(2);
    }
    return u;
  }

  static int intArg(String[] args, int i, int fallback) {
    return args.length > i ? Integer.parseInt(args[i]) : fallback;
  }

  // ================================================================== (1) latency

  static void latency(URI owner, URI other, int n, int warmup, int eventN, int warmupS) throws Exception {
    String ownerNode = nodeId(owner);
    String otherNode = nodeId(other);
    Conn own = new Conn(owner, "own");
    int ownLoop = own.loop();
    Conn loop = null;
    Conn obs = null;
    List<Conn> spare = new ArrayList<>();
    // Vert.x gives each new connection to the next loop in turn: open a few until we hold one on
    // another loop of OWNER, and one more on own's loop for the long-poll observer.
    for (int i = 0; i < 16 && (loop == null || obs == null); i++) {
      Conn c = new Conn(owner, "probe" + i);
      if (c.loop() != ownLoop && loop == null) {
        loop = c;
      } else if (c.loop() == ownLoop && obs == null) {
        obs = c;
      } else {
        spare.add(c);
      }
    }
    for (Conn c : spare) {
      c.close();
    }
    if (loop == null || obs == null) {
      throw new IllegalStateException("could not get connections on two loops of " + owner);
    }
    Conn oth = new Conn(other, "other");
    System.out.printf("owner node %s (connection 'own' on loop %d, 'loop' on loop %d); other node %s (loop %d)%n",
        ownerNode, ownLoop, loop.loop(), otherNode, oth.loop());
    Conn[] targets = {own, loop, oth};
    String[] names = {"own", "loop", "other"};

    // ---- GET
    List<String> readIds = createMany(own, "{\"type\":\"external\"}", 100);
    check(readIds, ownerNode + "-" + ownLoop + "-");
    long[][] get = new long[3][n];
    int[] bad = new int[3];
    long warmUntil = System.nanoTime() + warmupS * 1_000_000_000L;
    int rounds = 0;
    for (; rounds < warmup || System.nanoTime() - warmUntil < 0; rounds++) {
      String path = "/v1/tasks/" + readIds.get(rounds % readIds.size());
      for (int t = 0; t < 3; t++) {
        targets[t].call("GET", path, null, null);
      }
    }
    System.out.printf("get: %d warm-up rounds (at least %d and %d s)%n", rounds, warmup, warmupS);
    for (int i = 0; i < n; i++) {
      String path = "/v1/tasks/" + readIds.get(Math.floorMod(i, readIds.size()));
      for (int t = 0; t < 3; t++) {
        long t0 = System.nanoTime();
        Resp r = targets[t].call("GET", path, null, null);
        get[t][i] = System.nanoTime() - t0;
        bad[t] += r.status == 200 ? 0 : 1;
      }
    }
    for (int t = 0; t < 3; t++) {
      report("get", names[t], get[t], bad[t]);
    }

    // ---- complete, each on a fresh external
    int per = n + warmup;
    List<String> fresh = createMany(own, "{\"type\":\"external\"}", 3 * per);
    check(fresh, ownerNode + "-" + ownLoop + "-");
    long[][] complete = new long[3][n];
    bad = new int[3];
    int next = 0;
    for (int i = -warmup; i < n; i++) {
      for (int t = 0; t < 3; t++) {
        String path = "/v1/tasks/" + fresh.get(next++) + "/complete";
        long t0 = System.nanoTime();
        Resp r = targets[t].call("POST", path, "{\"result\":1}", null);
        long dt = System.nanoTime() - t0;
        if (i >= 0) {
          complete[t][i] = dt;
          bad[t] += r.status == 200 && r.body.contains("\"state\":\"succeeded\"") ? 0 : 1;
        }
      }
    }
    for (int t = 0; t < 3; t++) {
      report("complete", names[t], complete[t], bad[t]);
    }

    // ---- event set, with an event task waiting on OWNER (own's loop)
    Observer observer = new Observer(obs);
    int ew = Math.min(warmup, 300);
    Conn[] evTargets = {own, oth};
    String[] evNames = {"same_node", "other_node"};
    long[][] put = new long[2][eventN];
    long[][] seen = new long[2][eventN];
    long[][] bare = new long[2][eventN];
    int[] bareBad = new int[2];
    int[] putBad = new int[2];
    int[] seenBad = new int[2];
    String tag = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    for (int i = -ew; i < eventN; i++) {
      for (int t = 0; t < 2; t++) {
        String name = "cb." + tag + "." + t + "." + (i + ew);
        Resp created = own.call("POST", "/v1/tasks", "{\"type\":\"event\",\"event\":\"" + name + "\"}", null);
        String id = idOf(created.body);
        observer.expect("GET", "/v1/tasks/" + id + "?wait=5");
        // The long poll is on the task's own loop, so it is registered as soon as it is read;
        // 1 ms is ample for that on an idle connection.
        LockSupport.parkNanos(1_000_000);
        long t0 = System.nanoTime();
        Resp r = evTargets[t].call("PUT", "/v1/events/" + name, "{\"payload\":" + i + "}", null);
        long t1 = System.nanoTime();
        Observer.Seen s = observer.await();
        if (i >= 0) {
          put[t][i] = t1 - t0;
          seen[t][i] = s.at - t0;
          putBad[t] += r.status == 200 ? 0 : 1;
          seenBad[t] += s.status == 200 && s.body.contains("\"state\":\"succeeded\"") ? 0 : 1;
        }
        // The same PUT of a fresh name that nobody waits on, for reference.
        long b0 = System.nanoTime();
        Resp b = evTargets[t].call("PUT", "/v1/events/" + name + ".nowaiter", "{\"payload\":" + i + "}", null);
        if (i >= 0) {
          bare[t][i] = System.nanoTime() - b0;
          bareBad[t] += b.status == 200 ? 0 : 1;
        }
      }
    }
    observer.stop();
    for (int t = 0; t < 2; t++) {
      report("event_put", evNames[t], put[t], putBad[t]);
    }
    for (int t = 0; t < 2; t++) {
      report("event_seen", evNames[t], seen[t], seenBad[t]);
    }
    for (int t = 0; t < 2; t++) {
      report("event_put_nowaiter", evNames[t], bare[t], bareBad[t]);
    }
    for (Conn c : new Conn[] {own, loop, obs, oth}) {
      c.close();
    }
  }

  /** A connection whose responses are read by its own thread, timestamped on arrival. */
  static final class Observer {
    record Seen(int status, String body, long at) {
    }

    private final Conn conn;
    private final BlockingQueue<Boolean> go = new ArrayBlockingQueue<>(1);
    private final BlockingQueue<Seen> seen = new ArrayBlockingQueue<>(1);
    private final Thread thread;

    Observer(Conn conn) {
      this.conn = conn;
      this.thread = new Thread(() -> {
        try {
          while (go.take()) {
            Resp r = conn.read();
            seen.put(new Seen(r.status, r.body, System.nanoTime()));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (IOException e) {
          try {
            seen.put(new Seen(-1, e.toString(), System.nanoTime()));
          } catch (InterruptedException ignored) {
            Thread.currentThread().interrupt();
          }
        }
      }, "observer");
      thread.setDaemon(true);
      thread.start();
    }

    void expect(String method, String path) throws Exception {
      conn.send(method, path, null, null);
      go.put(true);
    }

    Seen await() throws Exception {
      Seen s = seen.poll(30, TimeUnit.SECONDS);
      if (s == null) {
        throw new IllegalStateException("long poll did not answer in 30 s");
      }
      return s;
    }

    void stop() throws Exception {
      go.put(false);
      thread.join(5_000);
    }
  }

  static void report(String op, String target, long[] nanos, int bad) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    double mean = Arrays.stream(s).average().orElse(0) / 1e6;
    System.out.printf("RESULT latency op=%s target=%s n=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f bad=%d%n",
        op, target, s.length, pct(s, 50), pct(s, 90), pct(s, 99), s[s.length - 1] / 1e6, mean, bad);
  }

  static double pct(long[] sorted, double p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }

  static void check(List<String> ids, String prefix) {
    for (String id : ids) {
      if (!id.startsWith(prefix)) {
        throw new IllegalStateException("task " + id + " is not on " + prefix + "*: connection moved loops?");
      }
    }
  }

  // ================================================================== (3) adoption

  static void adopt(URI victim, long victimPid, List<URI> survivors, int tasks, int settleMs, int boundS, String signal,
      List<Path> logs) throws Exception {
    String victimNode = nodeId(victim);
    List<String> survivorNodes = new ArrayList<>();
    for (URI s : survivors) {
      survivorNodes.add(nodeId(s));
    }
    ProcessHandle handle = ProcessHandle.of(victimPid).orElseThrow(() -> new IllegalStateException("no process " + victimPid));
    String command = handle.info().commandLine().orElse("");
    if (!command.contains("java") || !command.contains("taskloop")) {
      throw new IllegalStateException("pid " + victimPid + " is not a taskloop JVM: " + command);
    }
    System.out.printf("victim node %s (pid %d, %s); survivors asked: %s %s; signal SIG%s%n", victimNode, victimPid, victim,
        survivorNodes, survivors, signal);

    // Load the victim: half externals, half sleeps of 10 minutes, over 4 pipelined connections.
    long c0 = System.nanoTime();
    List<String> ids = new ArrayList<>(tasks);
    List<Thread> creators = new ArrayList<>();
    List<List<String>> parts = new ArrayList<>();
    int conns = 4;
    for (int c = 0; c < conns; c++) {
      int count = tasks / conns + (c < tasks % conns ? 1 : 0);
      String body = c % 2 == 0 ? "{\"type\":\"external\"}" : "{\"type\":\"sleep\",\"delay_ms\":600000}";
      List<String> part = new ArrayList<>();
      parts.add(part);
      Thread t = new Thread(() -> {
        try (Conn conn = new Conn(victim, "load")) {
          part.addAll(createMany(conn, body, count));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      t.start();
      creators.add(t);
    }
    for (Thread t : creators) {
      t.join(120_000);
    }
    parts.forEach(ids::addAll);
    if (ids.size() != tasks) {
      throw new IllegalStateException("created " + ids.size() + " of " + tasks + " tasks");
    }
    System.out.printf("created %d unfinished tasks on %s in %.0f ms (half external, half sleep 600000 ms)%n",
        ids.size(), victimNode, (System.nanoTime() - c0) / 1e6);
    System.out.println("victim before the signal: " + clusterSummary(victim));

    Thread.sleep(settleMs);
    // A sample is readable through the survivors before the kill (cross-node reads).
    int sampled = 0;
    int sampleOk = 0;
    for (URI s : survivors) {
      try (Conn conn = new Conn(s, "pre")) {
        for (int i = 0; i < 50; i++) {
          sampled++;
          sampleOk += conn.call("GET", "/v1/tasks/" + ids.get(i * (ids.size() / 50)), null, null).status == 200 ? 1 : 0;
        }
      }
    }
    System.out.printf("before the signal: %d of %d sampled ids answered 200 through the survivors%n", sampleOk, sampled);

    long killEpoch = System.currentTimeMillis();
    long t0 = System.nanoTime();
    double goneMs = -1;
    if (signal.equals("KILL")) {
      if (!handle.destroyForcibly()) {
        throw new IllegalStateException("could not SIGKILL " + victimPid);
      }
      // ProcessHandle.onExit polls slowly for a process that is not our child: watch /proc instead
      // (a killed child of the shell that started it stays a zombie, state Z, until reaped).
      Path stat = Path.of("/proc/" + victimPid + "/stat");
      long goneBy = t0 + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < goneBy && alive(stat)) {
        LockSupport.parkNanos(200_000);
      }
      goneMs = (System.nanoTime() - t0) / 1e6;
      System.out.printf("SIGKILL sent to pid %d at epoch %d ms; process gone after %.1f ms%n", victimPid, killEpoch, goneMs);
    } else {
      Process kill = new ProcessBuilder("kill", "-STOP", Long.toString(victimPid)).inheritIO().start();
      if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -STOP " + victimPid + " failed");
      }
      System.out.printf("SIGSTOP sent to pid %d at epoch %d ms (its sockets stay open; it answers nothing)%n", victimPid,
          killEpoch);
    }

    // Sweep: id i is asked through survivor i % S, by one of two connections per survivor; each
    // connection goes over its own ids again and again (32 pipelined) until all answered 200.
    long deadline = t0 + TimeUnit.SECONDS.toNanos(boundS);
    int workersPer = 2;
    int nWorkers = survivors.size() * workersPer;
    long[] okAt = new long[ids.size()];
    long[] lastBadAt = new long[ids.size()];
    Arrays.fill(okAt, -1);
    Arrays.fill(lastBadAt, -1);
    Map<Integer, Long> statuses = new TreeMap<>();
    Map<String, Integer> shapes = new LinkedHashMap<>();
    Map<Long, Map<Integer, Integer>> timeline = new TreeMap<>();
    long[] slowest = {0, 0}; // longest wait for an answer (us), and when it was sent (us after the signal)
    int[] passes = new int[nWorkers];
    Thread[] workers = new Thread[nWorkers];
    for (int w = 0; w < nWorkers; w++) {
      int ww = w;
      URI target = survivors.get(w % survivors.size());
      List<Integer> mine = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        if (i % survivors.size() == w % survivors.size() && (i / survivors.size()) % workersPer == w / survivors.size()) {
          mine.add(i);
        }
      }
      workers[w] = new Thread(() -> {
        List<Integer> left = mine;
        Conn conn = null;
        long[] sentAt = new long[32];
        while (!left.isEmpty() && System.nanoTime() < deadline) {
          passes[ww]++;
          List<Integer> again = new ArrayList<>();
          int at = 0;
          boolean anyOk = false;
          while (at < left.size()) {
            int end = Math.min(left.size(), at + 32);
            int got = at;
            try {
              if (conn == null) {
                conn = new Conn(target, "sweep" + ww);
                conn.socket.setSoTimeout(30_000);
              }
              for (int k = at; k < end; k++) {
                sentAt[k - at] = System.nanoTime();
                conn.send("GET", "/v1/tasks/" + ids.get(left.get(k)), null, null);
              }
              for (; got < end; got++) {
                Resp r = conn.read();
                long now = System.nanoTime();
                int idx = left.get(got);
                long us = (now - t0) / 1000;
                synchronized (statuses) {
                  statuses.merge(r.status, 1L, Long::sum);
                  timeline.computeIfAbsent(us / 250_000, k -> new TreeMap<>()).merge(r.status, 1, Integer::sum);
                  long waited = (now - sentAt[got - at]) / 1000;
                  if (waited > slowest[0]) {
                    slowest[0] = waited;
                    slowest[1] = (sentAt[got - at] - t0) / 1000;
                  }
                  if (r.status != 200) {
                    String shape = r.status + " " + r.body.replaceAll("[a-z0-9]{6}-\\d+-\\d+", "<id>")
                        .replaceAll("[a-z0-9]{6}/\\d", "<node>/<loop>").replaceAll("\\d{2,}", "N");
                    shapes.merge(shape.length() > 300 ? shape.substring(0, 300) : shape, 1, Integer::sum);
                  }
                }
                if (r.status == 200) {
                  okAt[idx] = us;
                  anyOk = true;
                } else {
                  lastBadAt[idx] = us;
                  again.add(idx);
                }
              }
            } catch (IOException e) {
              synchronized (statuses) {
                statuses.merge(-1, 1L, Long::sum);
                shapes.merge("-1 " + e, 1, Integer::sum);
              }
              try {
                conn.close();
              } catch (Exception ignored) {
                // a broken socket
              }
              conn = null;
              for (int k = got; k < end; k++) {
                again.add(left.get(k));
              }
            }
            at = end;
          }
          left = again;
          if (!left.isEmpty()) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(anyOk ? 10 : 50));
          }
        }
        if (conn != null) {
          try {
            conn.close();
          } catch (IOException ignored) {
            // closing
          }
        }
      }, "sweep" + w);
      workers[w].start();
    }
    for (Thread w : workers) {
      w.join(TimeUnit.SECONDS.toMillis(boundS + 40L));
    }
    long readable = Arrays.stream(okAt).filter(x -> x >= 0).count();
    long[] ok = Arrays.stream(okAt).filter(x -> x >= 0).sorted().toArray();
    long lastBad = Arrays.stream(lastBadAt).max().orElse(-1);
    System.out.println("answers by status over the sweep: " + statuses + " (-1: connection error); passes per connection: "
        + Arrays.toString(passes));
    System.out.printf("longest wait for one answer: %.0f ms (request sent +%.0f ms after the signal)%n", slowest[0] / 1e3,
        slowest[1] / 1e3);
    System.out.println("non-200 answers, by shape (ids and numbers elided):");
    shapes.forEach((k, v) -> System.out.printf("  %6d x %s%n", v, k));
    System.out.println("timeline, answers per 250 ms after the signal (by arrival), status=count:");
    timeline.forEach((k, v) -> System.out.printf("  +%5d ms  %s%n", k * 250, v));

    // Who holds the tasks now, and in what state (asked through the first survivor).
    Map<String, Integer> byOwner = new TreeMap<>();
    Map<String, Integer> byState = new TreeMap<>();
    Pattern nodeP = Pattern.compile("\"loop\":\\{\"node\":\"([^\"]+)\"");
    Pattern stateP = Pattern.compile("\"state\":\"([^\"]+)\"");
    try (Conn s = new Conn(survivors.get(0), "after")) {
      for (int start = 0; start < ids.size(); start += 64) {
        int end = Math.min(ids.size(), start + 64);
        for (int k = start; k < end; k++) {
          s.send("GET", "/v1/tasks/" + ids.get(k), null, null);
        }
        for (int k = start; k < end; k++) {
          Resp r = s.read();
          Matcher m = nodeP.matcher(r.body);
          Matcher st = stateP.matcher(r.body);
          byOwner.merge(r.status != 200 ? "status " + r.status : m.find() ? m.group(1) : "?", 1, Integer::sum);
          byState.merge(r.status != 200 ? "status " + r.status : st.find() ? st.group(1) : "?", 1, Integer::sum);
        }
      }
      // An adopted external can still be completed through a survivor.
      Resp done = s.call("POST", "/v1/tasks/" + ids.get(0) + "/complete", "{\"result\":\"after-adoption\"}", null);
      System.out.printf("complete of adopted external %s through %s: %d %s%n", ids.get(0), survivorNodes.get(0),
          done.status, done.body.contains("\"state\":\"succeeded\"") ? "succeeded" : done.body);
    }
    System.out.println("after the sweep, owners (node in the task's loop field): " + byOwner + "; states: " + byState);

    // The survivors' own account, relative to the signal.
    List<String> logLines = new ArrayList<>();
    for (Path log : logs) {
      for (String line : Files.readAllLines(log)) {
        if (line.contains("left the cluster") || line.contains("adopted ") || line.contains("uspect") || line.contains("cluster member")
            || line.contains("Removing connection") || line.contains("heartbeat") || line.contains("Members {")) {
          Double rel = relativeMs(line, killEpoch);
          if (rel != null && rel > -1000) {
            logLines.add(String.format("  %s  %+6.0f ms: %s", log.getFileName(), rel,
                line.length() > 240 ? line.substring(0, 240) : line));
          }
        }
      }
    }
    System.out.println("survivors' log lines around the signal (the log's ms clock minus the signal's):");
    logLines.forEach(System.out::println);
    long adoptedSum = 0;
    double detected = -1;
    double adoptedBy = -1;
    Pattern adoptedP = Pattern.compile("\\+?(-?\\d+) ms: .*adopted (\\d+) of node (\\S+)'s (\\d+) tasks in (\\d+) ms");
    Pattern leftP = Pattern.compile("\\+?(-?\\d+) ms: .*node (\\S+) left the cluster without handing over");
    List<String> adoptions = new ArrayList<>();
    for (String l : logLines) {
      Matcher m = adoptedP.matcher(l);
      if (m.find() && m.group(3).equals(victimNode)) {
        adoptedSum += Long.parseLong(m.group(2));
        adoptions.add(m.group(2) + " of " + m.group(4) + " in " + m.group(5) + " ms, logged at +" + m.group(1) + " ms");
        adoptedBy = Math.max(adoptedBy, Double.parseDouble(m.group(1)));
      }
      Matcher d = leftP.matcher(l);
      if (d.find() && d.group(2).equals(victimNode)) {
        double at = Double.parseDouble(d.group(1));
        detected = detected < 0 ? at : Math.min(detected, at);
      }
    }

    System.out.printf("RESULT adopt signal=%s tasks=%d readable=%d process_gone_ms=%.1f departure_logged_ms=%.0f"
            + " adoption_logged_done_ms=%.0f first_200_ms=%.0f median_200_ms=%.0f last_non200_ms=%.0f all_200_ms=%.0f"
            + " adopted_logged=%d adoptions=\"%s\" owners=\"%s\" states=\"%s\"%n",
        signal, ids.size(), readable, goneMs, detected, adoptedBy, ok.length > 0 ? ok[0] / 1e3 : -1,
        ok.length > 0 ? ok[ok.length / 2] / 1e3 : -1, lastBad / 1e3, readable == ids.size() ? ok[ok.length - 1] / 1e3 : -1,
        adoptedSum, String.join("; ", adoptions), byOwner, byState);
  }

  static boolean alive(Path stat) {
    try {
      String s = Files.readString(stat);
      int close = s.lastIndexOf(')');
      return close > 0 && s.length() > close + 2 && s.charAt(close + 2) != 'Z' && s.charAt(close + 2) != 'X';
    } catch (IOException e) {
      return false;
    }
  }

  static Double relativeMs(String line, long killEpoch) {
    if (line.length() < 12 || line.charAt(2) != ':' || line.charAt(8) != '.') {
      return null;
    }
    try {
      LocalTime time = LocalTime.parse(line.substring(0, 12));
      ZoneId zone = ZoneId.systemDefault();
      LocalDate day = java.time.Instant.ofEpochMilli(killEpoch).atZone(zone).toLocalDate();
      long epoch = time.atDate(day).atZone(zone).toInstant().toEpochMilli();
      return (double) (epoch - killEpoch);
    } catch (RuntimeException e) {
      return null;
    }
  }

  // ================================================================== HTTP over plain sockets

  record Resp(int status, Map<String, String> headers, String body) {
  }

  /** One keep-alive HTTP/1.1 connection; requests may be pipelined (send n, then read n). */
  static final class Conn implements AutoCloseable {
    final Socket socket;
    final InputStream in;
    final OutputStream out;
    final String hostHeader;
    final String name;
    private int loop = -1;

    Conn(URI base, String name) throws IOException {
      this.name = name;
      socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
      socket.setSoTimeout(30_000);
      in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
      out = socket.getOutputStream();
      hostHeader = base.getHost() + ":" + base.getPort();
    }

    /** The loop serving this connection, from Taskloop-Served-By. */
    int loop() throws IOException {
      if (loop < 0) {
        Resp r = call("GET", "/v1/cluster", null, null);
        String servedBy = r.headers.get("taskloop-served-by");
        loop = Integer.parseInt(servedBy.substring(servedBy.indexOf('/') + 1));
      }
      return loop;
    }

    void send(String method, String path, String body, String extraHeaders) throws IOException {
      byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      StringBuilder sb = new StringBuilder(160).append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ")
          .append(hostHeader).append("\r\n");
      if (body != null) {
        sb.append("Content-Type: application/json\r\nContent-Length: ").append(b.length).append("\r\n");
      }
      if (extraHeaders != null) {
        sb.append(extraHeaders);
      }
      sb.append("\r\n");
      byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
      byte[] all = Arrays.copyOf(head, head.length + b.length);
      System.arraycopy(b, 0, all, head.length, b.length);
      out.write(all);
      out.flush();
    }

    Resp call(String method, String path, String body, String extraHeaders) throws IOException {
      send(method, path, body, extraHeaders);
      return read();
    }

    Resp read() throws IOException {
      String status = readLine(in);
      if (status == null) {
        throw new IOException("connection closed");
      }
      int code = Integer.parseInt(status.substring(9, 12));
      Map<String, String> headers = new HashMap<>();
      int length = 0;
      for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          String k = line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
          String v = line.substring(colon + 1).trim();
          headers.put(k, v);
          if (k.equals("content-length")) {
            length = Integer.parseInt(v);
          } else if (k.equals("transfer-encoding")) {
            throw new IOException("chunked responses are not handled here");
          }
        }
      }
      byte[] body = in.readNBytes(length);
      return new Resp(code, headers, new String(body, StandardCharsets.UTF_8));
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder(64);
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        int len = sb.length();
        return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
      }
      sb.append((char) b);
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  /** Creates `count` tasks with `body` over one connection, 64 pipelined at a time; their ids, in order. */
  static List<String> createMany(Conn conn, String body, int count) throws IOException {
    List<String> ids = new ArrayList<>(count);
    for (int start = 0; start < count; start += 64) {
      int end = Math.min(count, start + 64);
      for (int k = start; k < end; k++) {
        conn.send("POST", "/v1/tasks", body, null);
      }
      for (int k = start; k < end; k++) {
        Resp r = conn.read();
        if (r.status != 201) {
          throw new IOException("create answered " + r.status + ": " + r.body);
        }
        ids.add(idOf(r.body));
      }
    }
    return ids;
  }

  static String idOf(String json) {
    Matcher m = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(json);
    if (!m.find()) {
      throw new IllegalStateException("no id in " + json);
    }
    return m.group(1);
  }

  static String nodeId(URI base) throws IOException {
    try (Conn c = new Conn(base, "id")) {
      Resp r = c.call("GET", "/v1/cluster", null, null);
      Matcher m = Pattern.compile("\"node\":\"([^\"]+)\"").matcher(r.body);
      if (r.status != 200 || !m.find()) {
        throw new IOException("GET /v1/cluster on " + base + " answered " + r.status + ": " + r.body);
      }
      return m.group(1);
    }
  }

  static String clusterSummary(URI base) throws IOException {
    try (Conn c = new Conn(base, "summary")) {
      Resp r = c.call("GET", "/v1/cluster", null, null);
      String self = r.body;
      int next = self.indexOf("\"self\":false");
      if (next > 0) {
        self = self.substring(0, next);
      }
      long unfinished = 0;
      Matcher m = Pattern.compile("\"unfinished\":(\\d+)").matcher(self);
      while (m.find()) {
        unfinished += Long.parseLong(m.group(1));
      }
      Matcher held = Pattern.compile("\"tasks_held\":(\\d+)").matcher(self);
      return "tasks_held " + (held.find() ? held.group(1) : "?") + ", unfinished " + unfinished;
    }
  }
}
