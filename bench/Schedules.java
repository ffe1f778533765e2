import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Schedules against one fresh taskloop node on 127.0.0.1: how late ticks fire, and what a node
 * holding many schedules costs. One scenario per run (bench/schedules.sh starts a fresh node for each):
 *
 *   java -cp JAR bench/Schedules.java SCENARIO http://127.0.0.1:PORT NODE_PID OUT_DIR
 *
 * cron1k      1,000 schedules "* * * * * *" (every one fires at each whole second), WARMUP_TICKS
 *             ticks of warm-up (30: a fresh JVM is still compiling the firing path for its first
 *             20-odd bursts), then 30 ticks measured; then all deleted, every fired task read back.
 *             The lateness of every tick, warm-up included, is reported beside the measured one.
 * every1k     1,000 schedules every_ms 1000, start_at spread 1 ms apart over one second; same.
 * delayed100k 20,000 plain sleep-0 creates to warm the JVMs up, then 100,000 sleep-0 tasks with
 *             start_at spread evenly over 10 s starting 30 s after their creates begin (all creates
 *             done before it); lateness = started_at - start_at.
 * held100k    heap after a full GC before and after 100,000 schedules (every_ms 60000, start_at
 *             spread over 60 s, first ticks LEAD_S after the creates begin), then the ticks run
 *             until every schedule had its first; every fire read back and checked.
 *
 * Lateness of a fire = created_at - schedule.tick, both the node's own clock (ms precision).
 * Every request is bounded (10 s), every wait is bounded, at most 64 requests are in flight.
 * Knobs (system properties): -Dlead.s=60 -Dheld.n=100000 (held100k), -Ddelayed.lead.s=30
 * -Ddelayed.warmup=20000 (delayed100k), -Dwarmup.ticks=30 (cron1k, every1k), -Dconc=64.
 */
public class Schedules {

  static final int CONC = Integer.getInteger("conc", 64);
  static final int WARMUP_TICKS = Integer.getInteger("warmup.ticks", 30);
  static Vertx vertx;
  static HttpClient client;
  static long nodePid;
  static Path out;
  static long clkTck = 100;
  static int port;

  record Resp(int status, Buffer body) {}

  /** Outcome of a bulk of requests: counts by status, transport failures, a few refusal bodies. */
  static final class Bulk {
    final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
    final AtomicLong failures = new AtomicLong();
    final List<String> samples = java.util.Collections.synchronizedList(new ArrayList<>());
    long startedMs;
    long endedMs;
    int n;

    long count(int status) {
      AtomicLong c = statuses.get(status);
      return c == null ? 0 : c.get();
    }

    String summary() {
      return "n=" + n + " statuses=" + new TreeMap<>(statuses) + " transport_failures=" + failures.get() + " took_ms="
          + (endedMs - startedMs) + String.format(" rate_per_s=%.0f", n * 1000.0 / Math.max(1, endedMs - startedMs))
          + (samples.isEmpty() ? "" : " first_refusals=" + samples);
    }
  }

  public static void main(String[] args) throws Exception {
    String scenario = args[0];
    URI base = URI.create(args[1]);
    port = base.getPort();
    nodePid = Long.parseLong(args[2]);
    out = Path.of(args[3]);
    Files.createDirectories(out);
    try {
      clkTck = Long.parseLong(run("getconf", "CLK_TCK").trim());
    } catch (Exception e) {
      clkTck = 100;
    }
    vertx = Vertx.vertx();
    client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(base.getHost()).setDefaultPort(base.getPort())
        .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(CONC));
    try {
      switch (scenario) {
        case "cron1k" -> ticks(false);
        case "every1k" -> ticks(true);
        case "delayed100k" -> delayed();
        case "held100k" -> held();
        default -> throw new IllegalArgumentException("scenario: cron1k | every1k | delayed100k | held100k");
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------- scenario 1: 1,000 schedules every second

  static void ticks(boolean spread) throws Exception {
    int n = 1_000;
    String prefix = spread ? "e-" : "b-";
    long now = System.currentTimeMillis();
    long s0 = (now / 1000) * 1000 + 8_000; // every1k: the first ticks, after the creates (a cold node: ~300/s)
    long[] anchor = new long[n];
    long[] created = new long[n];
    String[] ids = new String[n];
    for (int i = 0; i < n; i++) {
      ids[i] = prefix + String.format("%04d", i);
      anchor[i] = spread ? s0 + i : 0;
    }
    Cpu cpu0 = Cpu.now();
    Bulk creates = bulk(n, i -> {
      JsonObject body = new JsonObject().put("id", ids[i]).put("task", new JsonObject().put("type", "sleep").put("delay_ms", 0))
          .put("overlap", "allow");
      if (spread) {
        body.put("every_ms", 1000).put("start_at", Instant.ofEpochMilli(anchor[i]).toString());
      } else {
        body.put("cron", "* * * * * *");
      }
      return send(HttpMethod.POST, "/v1/schedules", body.toBuffer());
    }, (i, r) -> {
      if (r.status() == 201) {
        created[i] = millis(r.body().toJsonObject().getString("created_at"));
      }
    }, 60_000);
    System.out.println("creates: " + creates.summary());
    // A first scrape during the warm-up: the node's first /metrics loads classes, and the burst
    // after it ran slower (21 ms against 3-8 ms) in each run that scraped first at the window.
    Metrics.read();
    long maxCreated = Arrays.stream(created).max().orElse(0);
    long w0;
    if (spread) {
      // 2 ticks of warm-up after the first tick every schedule covers (the creates of a cold node
      // can outlast the 8 s lead when the machine is busy; then the window moves on with them).
      long k0 = Math.max(WARMUP_TICKS, (maxCreated - s0 + 999) / 1000 + WARMUP_TICKS);
      w0 = s0 + k0 * 1000;
      System.out.printf("every_ms 1000, start_at %s + i ms (i = 0..999); last create at %s (%s the first tick)%n",
          Instant.ofEpochMilli(s0), Instant.ofEpochMilli(maxCreated), maxCreated < s0 ? "before" : "NOT before");
    } else {
      w0 = (maxCreated / 1000) * 1000 + 1000 + WARMUP_TICKS * 1000L; // first tick every schedule covers, plus the warm-up
    }
    long w1 = w0 + 30_000;
    System.out.printf("measured ticks: [%s, %s) (30 ticks of each schedule; the %d ticks before %s, the first that"
        + " every schedule covers, are warm-up and excluded)%n", Instant.ofEpochMilli(w0), Instant.ofEpochMilli(w1),
        WARMUP_TICKS, Instant.ofEpochMilli(w0));
    // The node's metrics are read half a second before the first measured tick, not at it: a
    // scrape at the instant 1,000 schedules fire would be measured as their lateness.
    sleepUntil(w0 - 500, WARMUP_TICKS * 1000L + 60_000);
    Cpu cpu1 = Cpu.now();
    Metrics m1 = Metrics.read();
    sleepUntil(w1 + 1_500, 40_000);
    Cpu cpu2 = Cpu.now();
    Metrics m2 = Metrics.read();
    JsonObject cluster = get("/v1/cluster");
    System.out.println("cpu during the 30 measured ticks: " + cpu1.until(cpu2));
    System.out.println("node metrics over the measured ticks: " + m1.delta(m2));
    System.out.println("node timer_lateness (/v1/cluster, since start): " + cluster.getJsonArray("nodes").getJsonObject(0)
        .getJsonObject("timer_lateness"));
    long deleteStart = System.currentTimeMillis();
    Bulk deletes = bulk(n, i -> send(HttpMethod.DELETE, "/v1/schedules/" + ids[i], null), (i, r) -> {}, 60_000);
    System.out.println("deletes: " + deletes.summary());
    Metrics m3 = Metrics.read();
    System.out.println("after deletes: taskloop_schedules_held=" + m3.get("taskloop_schedules_held") + " ticks " + m3.ticks());
    // Every fired task is read back: n a tick for the warm-up, the measured ticks and the
    // seconds around them, in pages of 1,000 (with a long warm-up a fixed 200 pages cut it short).
    int pages = (int) Math.min(2_000, (long) n * (WARMUP_TICKS + 90) / 1000 + 10);
    List<Fire> fires = readFires(Long.MAX_VALUE, pages);
    writeFires(fires, out.resolve(spread ? "every1k-fires.csv" : "cron1k-fires.csv"));
    check(fires, ids, created, anchor, spread ? 1000 : 0, w0, w1, Math.min(w1, deleteStart - 1_000), "measured");
    if (!spread) {
      perTick(fires, w0, w1);
    }
    System.out.println("cpu over the whole scenario (creates, ticks, deletes, read): " + cpu0.until(Cpu.now()));
  }

  /** For the cron burst: how long the node took to fire all schedules of one tick (the latest fire of each tick). */
  static void perTick(List<Fire> fires, long w0, long w1) {
    Map<Long, long[]> byTick = new TreeMap<>();
    for (Fire f : fires) {
      if (f.tick >= w0 && f.tick < w1) {
        long[] a = byTick.computeIfAbsent(f.tick, k -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE, 0});
        a[0] = Math.min(a[0], f.created - f.tick);
        a[1] = Math.max(a[1], f.created - f.tick);
        a[2]++;
      }
    }
    long[] latest = byTick.values().stream().mapToLong(a -> a[1]).toArray();
    long[] earliest = byTick.values().stream().mapToLong(a -> a[0]).toArray();
    System.out.println("per measured tick (" + byTick.size() + " ticks): latest fire of the tick " + stats(latest)
        + "; earliest fire " + stats(earliest));
    StringBuilder sb = new StringBuilder("per tick: tick=fires:earliest..latest ms ");
    byTick.forEach((t, a) -> sb.append(Instant.ofEpochMilli(t).toString().substring(11)).append('=').append(a[2]).append(':')
        .append(a[0]).append("..").append(a[1]).append(' '));
    System.out.println(sb);
  }

  // ---------------------------------------------------------------- scenario 2: 100,000 delayed tasks

  static void delayed() throws Exception {
    int n = 100_000;
    // A fresh JVM (node and this client) creates at ~1,300/s in its first seconds: 20,000 plain
    // sleep-0 creates first (no start_at; left out of the figures below), then the measured run.
    int warmN = Integer.getInteger("delayed.warmup", 20_000);
    if (warmN > 0) {
      Buffer warmBody = new JsonObject().put("type", "sleep").put("delay_ms", 0).toBuffer();
      Bulk warm = bulk(warmN, i -> send(HttpMethod.POST, "/v1/tasks", warmBody), (i, r) -> {}, 60_000);
      System.out.println("warm-up creates (sleep 0, no start_at): " + warm.summary());
      Thread.sleep(2_000);
    }
    long runStart = System.currentTimeMillis();
    long t0 = runStart + Long.getLong("delayed.lead.s", 30) * 1000;
    long window = 10_000;
    long[] startAt = new long[n];
    for (int i = 0; i < n; i++) {
      startAt[i] = t0 + (i * window) / n; // 10 per ms
    }
    System.out.printf("start_at from %s to %s (10 s, 10 tasks per ms), measured creates from %s%n", Instant.ofEpochMilli(t0),
        Instant.ofEpochMilli(startAt[n - 1]), Instant.ofEpochMilli(runStart));
    Cpu cpu0 = Cpu.now();
    Bulk creates = bulk(n, i -> send(HttpMethod.POST, "/v1/tasks", new JsonObject().put("type", "sleep").put("delay_ms", 0)
        .put("start_at", Instant.ofEpochMilli(startAt[i]).toString()).toBuffer()), (i, r) -> {}, 60_000);
    Cpu cpu1 = Cpu.now();
    System.out.println("creates: " + creates.summary());
    System.out.printf("creates finished %d ms before the window began (%s)%n", t0 - creates.endedMs,
        creates.endedMs < t0 ? "ok" : "NOT before the window");
    System.out.println("cpu during creates: " + cpu0.until(cpu1));
    JsonObject c0 = get("/v1/cluster");
    System.out.println("after creates: " + loops(c0));
    sleepUntil(t0, 30_000);
    Cpu cpu2 = Cpu.now();
    Metrics m2 = Metrics.read();
    sleepUntil(t0 + window + 1_000, 20_000);
    // Then until nothing is unfinished (bounded: 30 s).
    long deadline = System.currentTimeMillis() + 30_000;
    JsonObject c1 = get("/v1/cluster");
    while (unfinished(c1) > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(500);
      c1 = get("/v1/cluster");
    }
    Cpu cpu3 = Cpu.now();
    Metrics m3 = Metrics.read();
    System.out.println("after the window: " + loops(c1) + "; unfinished=" + unfinished(c1));
    System.out.println("cpu during the window: " + cpu2.until(cpu3));
    System.out.println("node metrics over the window: " + m2.delta(m3));
    System.out.println("node timer_lateness (/v1/cluster, since start): " + c1.getJsonArray("nodes").getJsonObject(0)
        .getJsonObject("timer_lateness"));
    List<JsonObject> tasks = readTasks("", Long.MAX_VALUE, 200);
    tasks.removeIf(t -> t.getString("start_at") == null); // the warm-up's
    long[] late = new long[tasks.size()];
    Map<String, Integer> states = new TreeMap<>();
    int k = 0;
    int noStart = 0;
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("delayed100k-tasks.csv")))) {
      w.println("id,start_at,created_at,started_at,finished_at,state");
      for (JsonObject t : tasks) {
        states.merge(t.getString("state"), 1, Integer::sum);
        Long sa = millisOrNull(t.getString("start_at"));
        Long st = millisOrNull(t.getString("started_at"));
        w.println(t.getString("id") + "," + sa + "," + millisOrNull(t.getString("created_at")) + "," + st + ","
            + millisOrNull(t.getString("finished_at")) + "," + t.getString("state"));
        if (sa == null || st == null) {
          noStart++;
          continue;
        }
        late[k++] = st - sa;
      }
    }
    late = Arrays.copyOf(late, k);
    System.out.println("read back: " + tasks.size() + " tasks, states " + states + ", without start_at/started_at "
        + noStart);
    System.out.println("RESULT scenario=delayed100k tasks=" + tasks.size() + " created_201=" + creates.count(201)
        + " create_ms=" + (creates.endedMs - creates.startedMs) + " creates_done_before_window_ms=" + (t0 - creates.endedMs)
        + " lateness_ms " + stats(late));
    System.out.println("lateness over 5 ms: " + Arrays.stream(late).filter(v -> v > 5).count() + ", over 10 ms: "
        + Arrays.stream(late).filter(v -> v > 10).count() + ", over 50 ms: " + Arrays.stream(late).filter(v -> v > 50).count());
  }

  static long unfinished(JsonObject cluster) {
    long u = 0;
    for (Object l : cluster.getJsonArray("nodes").getJsonObject(0).getJsonArray("loops")) {
      u += ((JsonObject) l).getLong("unfinished");
    }
    return u;
  }

  static String loops(JsonObject cluster) {
    JsonObject node = cluster.getJsonArray("nodes").getJsonObject(0);
    StringBuilder sb = new StringBuilder("tasks_held=" + node.getLong("tasks_held"));
    for (Object l : node.getJsonArray("loops")) {
      JsonObject loop = (JsonObject) l;
      sb.append(" loop").append(loop.getInteger("index")).append("{unfinished=").append(loop.getLong("unfinished"))
          .append(" timers_queued=").append(loop.getLong("timers_queued")).append('}');
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------- scenario 3: 100,000 schedules held

  static void held() throws Exception {
    int n = Integer.getInteger("held.n", 100_000);
    long every = 60_000;
    long lead = Long.getLong("lead.s", 60) * 1000;
    // One schedule made and deleted first, so the classes and structures of the path are loaded.
    long warmAt = System.currentTimeMillis() + 3_600_000;
    Resp warm = send(HttpMethod.POST, "/v1/schedules", new JsonObject().put("id", "warm-up").put("every_ms", every)
        .put("start_at", Instant.ofEpochMilli(warmAt).toString())
        .put("task", new JsonObject().put("type", "sleep").put("delay_ms", 0)).toBuffer())
        .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    Resp warmDel = send(HttpMethod.DELETE, "/v1/schedules/warm-up", null).toCompletionStage().toCompletableFuture()
        .get(20, TimeUnit.SECONDS);
    System.out.println("warm-up schedule: create " + warm.status() + ", delete " + warmDel.status());
    Thread.sleep(1_000);
    Heap h0 = Heap.measure("before");
    System.out.println("heap after full GC, before: " + h0);
    long createStart = System.currentTimeMillis();
    long s0 = ((createStart + lead) / 1000) * 1000;
    long[] anchor = new long[n];
    long[] created = new long[n];
    String[] ids = new String[n];
    for (int i = 0; i < n; i++) {
      ids[i] = String.format("h-%06d", i);
      anchor[i] = s0 + (i * every) / n; // 0.6 ms apart over 60 s
    }
    System.out.printf("every_ms 60000, start_at %s + i*0.6 ms (i = 0..99,999): first ticks from %s to %s%n",
        Instant.ofEpochMilli(s0), Instant.ofEpochMilli(anchor[0]), Instant.ofEpochMilli(anchor[n - 1]));
    Cpu cpu0 = Cpu.now();
    Bulk creates = bulk(n, i -> send(HttpMethod.POST, "/v1/schedules", new JsonObject().put("id", ids[i])
        .put("every_ms", every).put("start_at", Instant.ofEpochMilli(anchor[i]).toString())
        .put("task", new JsonObject().put("type", "sleep").put("delay_ms", 0)).put("overlap", "allow").toBuffer()),
        (i, r) -> {
          if (r.status() == 201) {
            created[i] = millis(r.body().toJsonObject().getString("created_at"));
          }
        }, 240_000);
    Cpu cpu1 = Cpu.now();
    System.out.println("creates: " + creates.summary());
    System.out.println("cpu during creates: " + cpu0.until(cpu1));
    long maxCreated = Arrays.stream(created).max().orElse(0);
    System.out.printf("last create at %s: %d ms %s the first tick%n", Instant.ofEpochMilli(maxCreated),
        Math.abs(s0 - maxCreated), maxCreated < s0 ? "before" : "AFTER");
    Heap h1 = Heap.measure("after");
    Metrics mh = Metrics.read();
    System.out.println("heap after full GC, after: " + h1 + "; schedules_held=" + mh.get("taskloop_schedules_held")
        + " ticks " + mh.ticks() + " tasks_held=" + get("/v1/cluster").getJsonArray("nodes").getJsonObject(0)
        .getLong("tasks_held"));
    long held = (long) mh.get("taskloop_schedules_held");
    System.out.printf("bytes per schedule: GC.heap_info %.1f, jvm_memory_used_bytes{area=heap} %.1f (%d schedules held)%n",
        (h1.heapInfo - h0.heapInfo) / (double) held, (h1.metricSum - h0.metricSum) / (double) held, held);
    Heap.histogramDiff(h0, h1, held);
    // Run until every schedule's first tick (a schedule created after its start_at has its first
    // tick one period on) has passed, plus 5 s; bounded.
    long lastFirst = 0;
    for (int i = 0; i < n; i++) {
      if (created[i] != 0) {
        lastFirst = Math.max(lastFirst, nextTick(anchor[i], every, created[i]));
      }
    }
    long runStart = System.currentTimeMillis();
    long until = Math.min(lastFirst + 5_000, runStart + 150_000);
    System.out.printf("running until %s (%d s)%n", Instant.ofEpochMilli(until), (until - runStart) / 1000);
    Cpu cpu2 = Cpu.now();
    Metrics m2 = Metrics.read();
    sleepUntil(until, 160_000);
    Cpu cpu3 = Cpu.now();
    Metrics m3 = Metrics.read();
    System.out.println("cpu while the ticks ran: " + cpu2.until(cpu3));
    System.out.println("node metrics while the ticks ran: " + m2.delta(m3));
    long readStart = System.currentTimeMillis();
    List<Fire> fires = readFires(readStart, 400);
    System.out.println("read took " + (System.currentTimeMillis() - readStart) + " ms");
    writeFires(fires, out.resolve("held100k-fires.csv"));
    check(fires, ids, created, anchor, every, 0, Long.MAX_VALUE, readStart - 1_000, "all");
    Heap h2 = Heap.measure("end");
    long tasksHeld = (long) Metrics.read().sum("taskloop_tasks_held{");
    // Once (run 20261202T200309Z) GET /v1/cluster got no answer here within 30 s: asked again, on
    // the pool's connection and on a new client, to tell a stuck node from a stuck connection.
    for (String how : new String[] {"pool", "new client"}) {
      long t = System.currentTimeMillis();
      HttpClient c = how.equals("pool") ? client : vertx.createHttpClient(new HttpClientOptions()
          .setDefaultHost("127.0.0.1").setDefaultPort(port));
      try {
        Resp r = c.request(new RequestOptions().setMethod(HttpMethod.GET).setURI("/v1/cluster").setTimeout(10_000))
            .compose(req -> req.send().compose(resp -> resp.body().map(bd -> new Resp(resp.statusCode(), bd))))
            .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        System.out.println("GET /v1/cluster (" + how + "): " + r.status() + " in " + (System.currentTimeMillis() - t) + " ms");
      } catch (Exception e) {
        System.out.println("GET /v1/cluster (" + how + "): FAILED after " + (System.currentTimeMillis() - t) + " ms: " + e);
      }
    }
    System.out.printf("heap after full GC at the end (%d schedules + %d fired tasks held in retention): %s; %.1f B per"
        + " fired task held (growth since 'after' / tasks held)%n", held, tasksHeld, h2, (h2.heapInfo - h1.heapInfo)
        / (double) tasksHeld);
    System.out.print("per fired task held: ");
    Heap.histogramDiff(h1, h2, tasksHeld);
    System.out.println("RESULT scenario=held100k schedules=" + held + " create_ms=" + (creates.endedMs - creates.startedMs)
        + String.format(" creates_per_s=%.0f", n * 1000.0 / Math.max(1, creates.endedMs - creates.startedMs))
        + " heap_before=" + h0.heapInfo + " heap_after=" + h1.heapInfo
        + String.format(" bytes_per_schedule=%.1f", (h1.heapInfo - h0.heapInfo) / (double) held));
  }

  static long nextTick(long anchor, long every, long after) {
    if (after < anchor) {
      return anchor;
    }
    return anchor + ((after - anchor) / every + 1) * every;
  }

  // ---------------------------------------------------------------- fired tasks: read back and checked

  record Fire(String schedule, long tick, long created, long started, String state, boolean manual) {}

  static List<Fire> readFires(long stopAfterCreated, int maxPages) throws Exception {
    List<JsonObject> tasks = readTasks("&label=schedule", stopAfterCreated, maxPages);
    List<Fire> fires = new ArrayList<>(tasks.size());
    for (JsonObject t : tasks) {
      JsonObject s = t.getJsonObject("schedule");
      if (s == null) {
        continue;
      }
      Long started = millisOrNull(t.getString("started_at"));
      fires.add(new Fire(s.getString("id"), millis(s.getString("tick")), millis(t.getString("created_at")),
          started == null ? -1 : started, t.getString("state"), s.getBoolean("manual", false)));
    }
    return fires;
  }

  /** Every task of the list (query appended), page by page, until the end or the first created after stopAfterCreated. */
  static List<JsonObject> readTasks(String query, long stopAfterCreated, int maxPages) throws Exception {
    List<JsonObject> all = new ArrayList<>();
    String cursor = null;
    long t = System.currentTimeMillis();
    int pages = 0;
    boolean stopped = false;
    while (pages < maxPages) {
      String uri = "/v1/tasks?limit=1000" + query + (cursor == null ? "" : "&cursor="
          + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
      JsonObject page = get(uri);
      pages++;
      JsonArray items = page.getJsonArray("items");
      for (Object o : items) {
        JsonObject item = (JsonObject) o;
        if (millis(item.getString("created_at")) > stopAfterCreated) {
          stopped = true;
          continue;
        }
        all.add(item);
      }
      cursor = page.getString("next_cursor");
      if (cursor == null || stopped) {
        break;
      }
    }
    System.out.printf("listed %d tasks in %d pages of /v1/tasks?limit=1000%s in %d ms%s%n", all.size(), pages, query,
        System.currentTimeMillis() - t, cursor != null && !stopped ? " (STOPPED at the page bound, more left)" : "");
    return all;
  }

  /**
   * Exactly once: every (schedule, tick) at most one task; every tick a schedule covered (after it
   * was created, on its cadence, up to cutoff) present; lateness of the ticks in [w0, w1).
   */
  static void check(List<Fire> fires, String[] ids, long[] created, long[] anchor, long every, long w0, long w1,
      long cutoff, String label) {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      index.put(ids[i], i);
    }
    Map<String, Map<Long, Integer>> per = new HashMap<>();
    long unknown = 0;
    long manual = 0;
    long offCadence = 0;
    long beforeCreated = 0;
    Map<String, Integer> states = new TreeMap<>();
    for (Fire f : fires) {
      states.merge(f.state, 1, Integer::sum);
      Integer i = index.get(f.schedule);
      if (i == null) {
        unknown++;
        continue;
      }
      if (f.manual) {
        manual++;
      }
      per.computeIfAbsent(f.schedule, k -> new HashMap<>()).merge(f.tick, 1, Integer::sum);
      boolean onCadence = every == 0 ? f.tick % 1000 == 0 : f.tick >= anchor[i] && (f.tick - anchor[i]) % every == 0;
      if (!onCadence) {
        offCadence++;
      }
      if (created[i] != 0 && f.tick <= created[i]) {
        beforeCreated++;
      }
    }
    long pairs = 0;
    long doubled = 0;
    Map<Integer, Long> tasksPerPair = new TreeMap<>();
    for (Map<Long, Integer> m : per.values()) {
      for (int c : m.values()) {
        pairs++;
        tasksPerPair.merge(c, 1L, Long::sum);
        if (c > 1) {
          doubled++;
        }
      }
    }
    long expected = 0;
    long missing = 0;
    long schedulesWithNone = 0;
    long notCreated = 0;
    List<String> missingSamples = new ArrayList<>();
    for (int i = 0; i < ids.length; i++) {
      if (created[i] == 0) {
        notCreated++;
        continue;
      }
      Map<Long, Integer> m = per.getOrDefault(ids[i], Map.of());
      if (m.isEmpty()) {
        schedulesWithNone++;
      }
      long step = every == 0 ? 1000 : every;
      long t = every == 0 ? (created[i] / 1000) * 1000 + 1000 : nextTick(anchor[i], every, created[i]);
      for (; t <= cutoff; t += step) {
        expected++;
        if (!m.containsKey(t)) {
          missing++;
          if (missingSamples.size() < 5) {
            missingSamples.add(ids[i] + "@" + Instant.ofEpochMilli(t));
          }
        }
      }
    }
    System.out.printf("exactly-once check (ticks after each schedule's created_at up to %s): fired tasks %d,"
        + " distinct (schedule,tick) %d, tasks per (schedule,tick) %s, doubled %d; expected (schedule,tick) %d,"
        + " missing %d%s; schedules with no fire %d; schedules not created %d; off-cadence ticks %d; ticks at or before"
        + " created_at %d; manual %d; other schedules %d; states %s%n", Instant.ofEpochMilli(cutoff), fires.size(), pairs,
        tasksPerPair, doubled, expected, missing, missingSamples.isEmpty() ? "" : " e.g. " + missingSamples,
        schedulesWithNone, notCreated, offCadence, beforeCreated, manual, unknown, states);
    long[] late = fires.stream().filter(f -> f.tick >= w0 && f.tick < w1 && f.tick <= cutoff).mapToLong(f -> f.created - f.tick)
        .toArray();
    long[] lateStart = fires.stream().filter(f -> f.tick >= w0 && f.tick < w1 && f.tick <= cutoff && f.started >= 0)
        .mapToLong(f -> f.started - f.tick).toArray();
    long[] all = fires.stream().filter(f -> f.tick <= cutoff).mapToLong(f -> f.created - f.tick).toArray();
    System.out.println("RESULT lateness (" + label + " ticks) created_at-tick ms " + stats(late) + " | started_at-tick ms "
        + stats(lateStart) + " | over 5 ms " + Arrays.stream(late).filter(v -> v > 5).count() + ", over 10 ms "
        + Arrays.stream(late).filter(v -> v > 10).count());
    if (w0 != 0) {
      System.out.println("lateness including warm-up ticks, created_at-tick ms " + stats(all));
    }
    System.out.println("RESULT check fired=" + fires.size() + " pairs=" + pairs + " doubled=" + doubled + " expected="
        + expected + " missing=" + missing + " schedules_without_fire=" + schedulesWithNone);
  }

  static void writeFires(List<Fire> fires, Path file) throws Exception {
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file))) {
      w.println("schedule,tick,created_at,started_at,state");
      for (Fire f : fires) {
        w.println(f.schedule + "," + f.tick + "," + f.created + "," + f.started + "," + f.state);
      }
    }
  }

  // ---------------------------------------------------------------- HTTP

  static Future<Resp> send(HttpMethod method, String uri, Buffer body) {
    RequestOptions o = new RequestOptions().setMethod(method).setURI(uri).setTimeout(10_000);
    if (body != null) {
      o.putHeader("Content-Type", "application/json");
    }
    // The body is asked for on the event loop as the response comes, not from the caller's
    // thread afterwards, which may be too late to see its first chunks.
    return client.request(o).compose(req -> (body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> new Resp(resp.statusCode(), b))));
  }

  static JsonObject get(String uri) throws Exception {
    Resp r = getRetried(uri);
    if (r.status() != 200) {
      throw new IllegalStateException("GET " + uri + " answered " + r.status() + ": " + r.body());
    }
    return r.body().toJsonObject();
  }

  /**
   * A GET, sent again once if its connection failed or it got no answer within 30 s, as an HTTP
   * client does for an idempotent request: the node closes a keep-alive connection idle for its
   * http_read_timeout_ms (30 s), and a request sent on it just then met a reset. Each retry is
   * printed, so a node that did not answer still shows in the output.
   */
  static Resp getRetried(String uri) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return send(HttpMethod.GET, uri, null).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
        String why = e instanceof java.util.concurrent.TimeoutException ? "no answer within 30 s" : String.valueOf(e.getCause());
        if (attempt == 2) {
          throw new IllegalStateException("GET " + uri + ": " + why + ", twice", e);
        }
        System.out.println("RETRY GET " + uri + " once: " + why);
      }
    }
  }

  interface OnResp {
    void accept(int i, Resp r);
  }

  /** n requests, at most CONC in flight; waits at most timeoutMs for all of them. */
  static Bulk bulk(int n, IntFunction<Future<Resp>> op, OnResp onResp, long timeoutMs) throws Exception {
    Bulk b = new Bulk();
    b.n = n;
    AtomicInteger next = new AtomicInteger();
    AtomicInteger remaining = new AtomicInteger(n);
    CompletableFuture<Void> done = new CompletableFuture<>();
    b.startedMs = System.currentTimeMillis();
    Runnable[] worker = new Runnable[1];
    worker[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= n) {
        return;
      }
      op.apply(i).onComplete(ar -> {
        if (ar.failed()) {
          b.failures.incrementAndGet();
          if (b.samples.size() < 3) {
            b.samples.add("failure: " + ar.cause());
          }
        } else {
          Resp r = ar.result();
          b.statuses.computeIfAbsent(r.status(), k -> new AtomicLong()).incrementAndGet();
          if (r.status() >= 300 && b.samples.size() < 3) {
            b.samples.add(r.status() + " " + r.body().toString().replace('\n', ' '));
          }
          try {
            onResp.accept(i, r);
          } catch (RuntimeException e) {
            b.failures.incrementAndGet();
          }
        }
        if (remaining.decrementAndGet() == 0) {
          done.complete(null);
        }
        worker[0].run();
      });
    };
    for (int k = 0; k < Math.min(CONC, n); k++) {
      worker[0].run();
    }
    // Progress every 5 s for long bulks, so a rate that changes as the node fills shows.
    long[] last = {0, System.currentTimeMillis()};
    long progress = n < 20_000 ? -1 : vertx.setPeriodic(5_000, id -> {
      long answered = n - remaining.get();
      long t = System.currentTimeMillis();
      System.out.printf("  %6.1f s: %d answered, %.0f/s over the last %.1f s%n", (t - b.startedMs) / 1000.0, answered,
          (answered - last[0]) * 1000.0 / Math.max(1, t - last[1]), (t - last[1]) / 1000.0);
      last[0] = answered;
      last[1] = t;
    });
    try {
      done.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      System.out.println("BULK NOT DONE after " + timeoutMs + " ms: " + (n - remaining.get()) + " of " + n + " answered");
    }
    if (progress >= 0) {
      vertx.cancelTimer(progress);
    }
    b.endedMs = System.currentTimeMillis();
    return b;
  }

  // ---------------------------------------------------------------- node metrics, heap, CPU

  static final class Metrics {
    final Map<String, Double> values = new TreeMap<>();

    static Metrics read() throws Exception {
      Resp r = getRetried("/metrics");
      Metrics m = new Metrics();
      for (String line : r.body().toString().split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        int sp = line.lastIndexOf(' ');
        try {
          m.values.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
        } catch (NumberFormatException e) {
          // not a sample
        }
      }
      return m;
    }

    double get(String key) {
      return values.getOrDefault(key, 0.0);
    }

    double sum(String prefix) {
      return values.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToDouble(Map.Entry::getValue).sum();
    }

    double max(String prefix) {
      return values.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToDouble(Map.Entry::getValue).max()
          .orElse(0);
    }

    String ticks() {
      return String.format("{fired=%.0f, skipped=%.0f, missed=%.0f}", get("taskloop_schedule_ticks_total{outcome=\"fired\"}"),
          get("taskloop_schedule_ticks_total{outcome=\"skipped\"}"), get("taskloop_schedule_ticks_total{outcome=\"missed\"}"));
    }

    /** What moved between this sample and a later one. */
    String delta(Metrics later) {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format("ticks fired +%.0f skipped +%.0f missed +%.0f",
          later.get("taskloop_schedule_ticks_total{outcome=\"fired\"}") - get("taskloop_schedule_ticks_total{outcome=\"fired\"}"),
          later.get("taskloop_schedule_ticks_total{outcome=\"skipped\"}") - get("taskloop_schedule_ticks_total{outcome=\"skipped\"}"),
          later.get("taskloop_schedule_ticks_total{outcome=\"missed\"}") - get("taskloop_schedule_ticks_total{outcome=\"missed\"}")));
      sb.append(String.format("; GC pauses +%.0f, +%.3f s in all {",
          later.sum("jvm_gc_pause_seconds_count") - sum("jvm_gc_pause_seconds_count"),
          later.sum("jvm_gc_pause_seconds_sum") - sum("jvm_gc_pause_seconds_sum")));
      for (Map.Entry<String, Double> e : later.values.entrySet()) {
        if (e.getKey().startsWith("jvm_gc_pause_seconds_count")) {
          double c = e.getValue() - get(e.getKey());
          if (c > 0) {
            String sumKey = e.getKey().replace("_count", "_sum");
            sb.append(e.getKey().substring("jvm_gc_pause_seconds_count".length()).replace("\"", "")).append(String.format(
                ": +%.0f, %.3f s; ", c, later.get(sumKey) - get(sumKey)));
          }
        }
      }
      sb.append(String.format("} (the registry's max over its last minutes: %.3f s)", later.max("jvm_gc_pause_seconds_max")));
      sb.append(String.format("; timer_lateness_seconds count +%.0f sum +%.3f s max %.4f s",
          later.get("taskloop_timer_lateness_seconds_count") - get("taskloop_timer_lateness_seconds_count"),
          later.get("taskloop_timer_lateness_seconds_sum") - get("taskloop_timer_lateness_seconds_sum"),
          later.get("taskloop_timer_lateness_seconds_max")));
      sb.append("; lateness buckets +{");
      for (String le : new String[] {"5.0E-4", "0.001", "0.002", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "1.0",
          "+Inf"}) {
        String k = "taskloop_timer_lateness_seconds_bucket{le=\"" + le + "\"}";
        sb.append(le).append('=').append(String.format("%.0f", later.get(k) - get(k))).append(' ');
      }
      sb.append('}');
      sb.append(String.format("; journal commits +%.0f, mean %.2f ms; refused +%.0f failures +%.0f",
          later.get("taskloop_journal_commit_seconds_count") - get("taskloop_journal_commit_seconds_count"),
          1000 * (later.get("taskloop_journal_commit_seconds_sum") - get("taskloop_journal_commit_seconds_sum"))
              / Math.max(1, later.get("taskloop_journal_commit_seconds_count") - get("taskloop_journal_commit_seconds_count")),
          later.sum("taskloop_journal_refused_total") - sum("taskloop_journal_refused_total"),
          later.sum("taskloop_journal_failures_total") - sum("taskloop_journal_failures_total")));
      return sb.toString();
    }
  }

  static final class Heap {
    String label;
    long heapInfo;
    long metricSum;
    Map<String, long[]> histogram = new HashMap<>();

    static Heap measure(String label) throws Exception {
      Heap h = new Heap();
      h.label = label;
      run("jcmd", Long.toString(nodePid), "GC.run");
      run("jcmd", Long.toString(nodePid), "GC.run");
      String info = run("jcmd", Long.toString(nodePid), "GC.heap_info");
      Files.writeString(out.resolve("heap_info-" + label + ".txt"), info);
      Matcher m = Pattern.compile("used (\\d+)([KMG])").matcher(info);
      h.heapInfo = m.find() ? Long.parseLong(m.group(1)) * switch (m.group(2)) {
        case "K" -> 1024L;
        case "M" -> 1024L * 1024;
        default -> 1024L * 1024 * 1024;
      } : -1;
      h.metricSum = (long) Metrics.read().sum("jvm_memory_used_bytes{area=\"heap\"");
      String histo = run("jcmd", Long.toString(nodePid), "GC.class_histogram");
      Files.writeString(out.resolve("class_histogram-" + label + ".txt"), histo);
      Matcher line = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)", Pattern.MULTILINE).matcher(histo);
      while (line.find()) {
        h.histogram.put(line.group(3), new long[] {Long.parseLong(line.group(1)), Long.parseLong(line.group(2))});
      }
      return h;
    }

    static void histogramDiff(Heap a, Heap b, long per) {
      List<Map.Entry<String, long[]>> grown = new ArrayList<>();
      long total = 0;
      for (Map.Entry<String, long[]> e : b.histogram.entrySet()) {
        long[] before = a.histogram.getOrDefault(e.getKey(), new long[2]);
        long[] d = {e.getValue()[0] - before[0], e.getValue()[1] - before[1]};
        total += d[1];
        grown.add(Map.entry(e.getKey(), d));
      }
      grown.sort((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]));
      StringBuilder sb = new StringBuilder(String.format("class histogram growth: %.1f B per item in all; top:", total
          / (double) per));
      for (int i = 0; i < Math.min(14, grown.size()); i++) {
        long[] d = grown.get(i).getValue();
        sb.append(String.format("%n  %-60s %8.2f instances %8.1f B per item", grown.get(i).getKey(), d[0] / (double) per,
            d[1] / (double) per));
      }
      System.out.println(sb);
    }

    @Override
    public String toString() {
      return String.format("GC.heap_info used %d bytes (%.1f MB); jvm_memory_used_bytes{area=heap} sum %d", heapInfo,
          heapInfo / 1048576.0, metricSum);
    }
  }

  /** CPU jiffies of the node, this client and the whole machine, at one instant. */
  record Cpu(long at, long node, long self, long machine) {
    static Cpu now() throws Exception {
      return new Cpu(System.nanoTime(), jiffies(nodePid), jiffies(ProcessHandle.current().pid()), machineJiffies());
    }

    String until(Cpu later) {
      double cap = (later.at - at) / 1e9 * clkTck * Runtime.getRuntime().availableProcessors();
      double n = later.node - node;
      double s = later.self - self;
      double m = later.machine - machine;
      return String.format("over %.1f s, share of the %d cores: node %.1f%% (%.0f%% of one core), this client %.1f%%,"
          + " other processes %.1f%%", (later.at - at) / 1e9, Runtime.getRuntime().availableProcessors(), 100 * n / cap,
          100 * n / cap * Runtime.getRuntime().availableProcessors(), 100 * s / cap, 100 * (m - n - s) / cap);
    }

    static long jiffies(long pid) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
      } catch (Exception e) {
        return 0;
      }
    }

    static long machineJiffies() throws Exception {
      for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
        if (line.startsWith("cpu ")) {
          String[] f = line.trim().split("\\s+");
          return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
              + Long.parseLong(f[7]); // user nice system irq softirq
        }
      }
      return 0;
    }
  }

  // ---------------------------------------------------------------- small things

  static String stats(long[] v) {
    if (v.length == 0) {
      return "n=0";
    }
    long[] s = v.clone();
    Arrays.sort(s);
    return String.format("n=%d p50=%d p90=%d p99=%d p99.9=%d max=%d min=%d mean=%.2f", s.length, pct(s, 0.50), pct(s, 0.90),
        pct(s, 0.99), pct(s, 0.999), s[s.length - 1], s[0], Arrays.stream(s).average().orElse(0));
  }

  /** Nearest rank. */
  static long pct(long[] sorted, double p) {
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  static long millis(String rfc3339) {
    return Instant.parse(rfc3339).toEpochMilli();
  }

  static Long millisOrNull(String rfc3339) {
    return rfc3339 == null ? null : millis(rfc3339);
  }

  static void sleepUntil(long epochMs, long boundMs) throws InterruptedException {
    long wait = Math.min(boundMs, epochMs - System.currentTimeMillis());
    if (wait > 0) {
      Thread.sleep(wait);
    }
  }

  static String run(String... cmd) throws Exception {
    String[] bounded = new String[cmd.length + 2];
    bounded[0] = "timeout";
    bounded[1] = "60";
    System.arraycopy(cmd, 0, bounded, 2, cmd.length);
    Process p = new ProcessBuilder(bounded).redirectErrorStream(true).start();
    StringBuilder sb = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
      String line;
      while ((line = r.readLine()) != null) {
        sb.append(line).append('\n');
      }
    }
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroy();
    }
    return sb.toString();
  }
}
