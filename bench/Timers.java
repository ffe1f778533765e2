import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Timer benchmarks for taskloop, stdlib only. Run against a FRESH server (the lateness histogram
 * and the heap are cumulative since start; on a node that fired timers before, (d) reports its
 * recent lateness instead, the last 10-20 s):
 *
 * <pre>
 * java bench/Timers.java lateness URL [tasks=100000] [batch=1000] [min_ms=2000] [max_ms=5000]
 *     (d) creates `tasks` sleeps, delay uniform in [min_ms, max_ms], through POST /v1/gather
 *         batches of `batch` inline children with `Prefer: wait=0` (answered 202 at once), so
 *         all of them are pending together; waits until they all fired, then prints
 *         GET /v1/cluster's nodes[0].timer_lateness.
 *
 * java bench/Timers.java memory URL PID [tasks=1000000] [delay_ms=600000] [concurrency=64]
 *     (e) heap bytes per pending sleep: `jcmd PID GC.run` + `GC.heap_info` (and GC.class_histogram)
 *         before and after `tasks` plain POST /v1/tasks {"type":"sleep","delay_ms":delay_ms},
 *         created with at most `concurrency` requests in flight (HTTP/1.1 pipelined over a few
 *         sockets); prints (after - before) / tasks.
 * </pre>
 *
 * Every request goes to URL, which must be a 127.0.0.1 address; every loop is bounded.
 */
public class Timers {

  static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      usage();
    }
    String base = args[1].replaceAll("/+$", "");
    URI check = URI.create(base);
    if (!"127.0.0.1".equals(check.getHost()) && !"localhost".equals(check.getHost())) {
      System.err.println("refusing a non-loopback target: " + base);
      System.exit(2);
    }
    switch (args[0]) {
      case "lateness" -> lateness(base, intArg(args, 2, 100_000), intArg(args, 3, 1_000),
          intArg(args, 4, 2_000), intArg(args, 5, 5_000));
      case "memory" -> {
        if (args.length < 3) {
          usage();
        }
        memory(base, Long.parseLong(args[2]), intArg(args, 3, 1_000_000), intArg(args, 4, 600_000),
            intArg(args, 5, 64));
      }
      default -> usage();
    }
  }

  static void usage() {
    System.err.println("usage: java bench/Timers.java lateness URL [tasks] [batch] [min_ms] [max_ms]\n"
        + "       java bench/Timers.java memory URL PID [tasks] [delay_ms] [concurrency]");
    System.exit(2);
  }

  static int intArg(String[] args, int i, int fallback) {
    return args.length > i ? Integer.parseInt(args[i]) : fallback;
  }

  // ------------------------------------------------------------------ (d) lateness

  static void lateness(String base, int tasks, int batch, int minMs, int maxMs) throws Exception {
    String before = get(base + "/v1/cluster");
    System.out.println("cluster before: " + before);
    boolean fresh = num(before, "\"count\"") == 0;
    if (!fresh) {
      System.out.println("NOTE: timer_lateness.count is not 0 (not a fresh server): the result is the node's"
          + " timer_lateness_recent (its last 10-20 s), which holds this run's fires alone only if the run"
          + " before ended more than 20 s before they began");
    }
    java.util.Random random = new java.util.Random(42);
    List<String> bodies = new ArrayList<>();
    for (int made = 0; made < tasks; made += batch) {
      int n = Math.min(batch, tasks - made);
      StringBuilder sb = new StringBuilder(n * 34 + 16).append("{\"tasks\":[");
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append("{\"type\":\"sleep\",\"delay_ms\":").append(minMs + random.nextInt(maxMs - minMs + 1)).append('}');
      }
      bodies.add(sb.append("]}").toString());
    }
    // All batches at once, at most 8 in flight: the client should not be the slow part.
    Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    Semaphore inFlight = new Semaphore(8);
    List<CompletableFuture<?>> sent = new ArrayList<>();
    long t0 = System.nanoTime();
    for (String body : bodies) {
      inFlight.acquire();
      HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v1/gather"))
          .timeout(Duration.ofSeconds(30))
          .header("Content-Type", "application/json")
          .header("Prefer", "wait=0")
          .POST(HttpRequest.BodyPublishers.ofString(body))
          .build();
      sent.add(CLIENT.sendAsync(request, HttpResponse.BodyHandlers.discarding())
          .whenComplete((r, err) -> {
            inFlight.release();
            statuses.computeIfAbsent(err != null ? -1 : r.statusCode(), k -> new LongAdder()).increment();
          }));
    }
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
    double createdMs = (System.nanoTime() - t0) / 1e6;
    String afterCreate = get(base + "/v1/cluster");
    long queued = sumAll(afterCreate, "\"timers_queued\"");
    System.out.printf("created %d sleeps (delay %d..%d ms) in %d gathers of <= %d in %.0f ms; statuses %s%n",
        tasks, minMs, maxMs, bodies.size(), batch, createdMs, snapshot(statuses));
    System.out.printf("timers queued right after creation: %d (all %d pending at once: %s)%n", queued, tasks,
        queued >= tasks ? "yes" : "NO");
    if (createdMs >= minMs) {
      System.out.println("WARNING: creation took longer than the shortest delay; not all sleeps were pending at once");
    }
    // Wait (bounded) until every sleep fired and was recorded.
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMs + 30_000L);
    String cluster = afterCreate;
    while (System.nanoTime() < deadline) {
      Thread.sleep(500);
      cluster = get(base + "/v1/cluster");
      if (sumAll(cluster, "\"unfinished\"") == 0 && num(cluster, "\"count\"") >= tasks) {
        break;
      }
    }
    System.out.println("cluster after: " + cluster);
    Matcher m = Pattern.compile("\"timer_lateness" + (fresh ? "" : "_recent") + "\":(\\{[^}]*\\})").matcher(cluster);
    String lateness = m.find() ? m.group(1) : "{}";
    System.out.printf("RESULT lateness tasks=%d count=%d p50_ms=%s p99_ms=%s max_ms=%s all_pending_at_once=%s non202=%d%n",
        tasks, (long) num(lateness, "\"count\""), fmt(num(lateness, "\"p50_ms\"")), fmt(num(lateness, "\"p99_ms\"")),
        fmt(num(lateness, "\"max_ms\"")), queued >= tasks && createdMs < minMs,
        statuses.entrySet().stream().filter(e -> e.getKey() != 202).mapToLong(e -> e.getValue().sum()).sum());
  }

  // ------------------------------------------------------------------ (e) memory

  static void memory(String base, long pid, int tasks, int delayMs, int concurrency) throws Exception {
    // Touch the create path once, so lazily built server state is in the "before" heap; the
    // warm-up task is pending (same delay) in both snapshots, so it cancels out.
    String body = "{\"type\":\"sleep\",\"delay_ms\":" + delayMs + "}";
    HttpResponse<Void> first = CLIENT.send(post(base, body), HttpResponse.BodyHandlers.discarding());
    System.out.println("warm-up create: " + first.statusCode());
    long before = usedAfterFullGc(pid);
    Map<String, long[]> histBefore = histogram(pid);
    System.out.printf("heap used after full GC, before: %d bytes%n", before);

    URI uri = URI.create(base);
    int connections = Math.max(1, Math.min(8, concurrency / 16));
    int window = Math.max(1, concurrency / connections);
    long t0 = System.nanoTime();
    Map<Integer, Long> statuses = pipelinedCreates(uri.getHost(), uri.getPort(), body, tasks, connections, window);
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf("created %d sleeps (delay %d ms) in %.1f s (%.0f creates/s; %d connections x %d pipelined"
        + " = %d in flight); statuses %s%n", tasks, delayMs, secs, tasks / secs, connections, window,
        connections * window, statuses);
    String cluster = get(base + "/v1/cluster");
    System.out.println("cluster: " + cluster);
    long created = statuses.getOrDefault(201, 0L);
    long after = usedAfterFullGc(pid);
    Map<String, long[]> histAfter = histogram(pid);
    System.out.printf("heap used after full GC, after: %d bytes%n", after);
    long histTotalBefore = histBefore.getOrDefault("Total", new long[2])[1];
    long histTotalAfter = histAfter.getOrDefault("Total", new long[2])[1];
    System.out.println("class histogram, growth per created task (top 15 by bytes):");
    List<Map.Entry<String, long[]>> grown = new ArrayList<>();
    for (Map.Entry<String, long[]> e : histAfter.entrySet()) {
      if (e.getKey().equals("Total")) {
        continue;
      }
      long[] b = histBefore.getOrDefault(e.getKey(), new long[2]);
      grown.add(Map.entry(e.getKey(), new long[] {e.getValue()[0] - b[0], e.getValue()[1] - b[1]}));
    }
    grown.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
    for (Map.Entry<String, long[]> e : grown.subList(0, Math.min(15, grown.size()))) {
      System.out.printf("  %-60s %+10d instances %+12d bytes  %7.1f B/task%n", e.getKey(), e.getValue()[0],
          e.getValue()[1], e.getValue()[1] / (double) Math.max(1, created));
    }
    System.out.printf("RESULT memory tasks=%d created_201=%d heap_before=%d heap_after=%d bytes_per_task=%.1f "
            + "histogram_bytes_per_task=%.1f create_rate=%.0f%n",
        tasks, created, before, after, (after - before) / (double) Math.max(1, created),
        (histTotalAfter - histTotalBefore) / (double) Math.max(1, created), tasks / secs);
  }

  /**
   * Plain creates at the server's pace: java.net.http.HttpClient managed only ~4,000 creates/s
   * here (it shares the 2 cores with the server), which makes 1,000,000 creates take minutes.
   * This sends HTTP/1.1 requests pipelined in windows of `window` over `connections` kept-alive
   * sockets and reads the answers back in order; returns status -> count (-1: I/O error).
   */
  static Map<Integer, Long> pipelinedCreates(String host, int port, String body, int total, int connections,
      int window) throws Exception {
    byte[] one = ("POST /v1/tasks HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] burst = new byte[one.length * window];
    for (int i = 0; i < window; i++) {
      System.arraycopy(one, 0, burst, i * one.length, one.length);
    }
    Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    AtomicLong left = new AtomicLong(total);
    AtomicLong done = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      Thread t = new Thread(() -> {
        try (java.net.Socket socket = new java.net.Socket(host, port)) {
          socket.setTcpNoDelay(true);
          socket.setSoTimeout(30_000);
          java.io.OutputStream out = socket.getOutputStream();
          java.io.BufferedInputStream in = new java.io.BufferedInputStream(socket.getInputStream(), 1 << 16);
          while (true) {
            long n = Math.min(window, left.getAndAdd(-window));
            if (n <= 0) {
              break;
            }
            out.write(burst, 0, (int) n * one.length);
            out.flush();
            for (int i = 0; i < n; i++) {
              statuses.computeIfAbsent(readResponse(in), k -> new LongAdder()).increment();
            }
            done.addAndGet(n);
          }
        } catch (IOException e) {
          System.err.println("pipelined connection failed: " + e);
          statuses.computeIfAbsent(-1, k -> new LongAdder()).increment();
        }
      }, "creator-" + c);
      t.start();
      threads.add(t);
    }
    long t0 = System.nanoTime();
    for (Thread t : threads) {
      while (t.isAlive()) {
        t.join(10_000);
        if (t.isAlive()) {
          System.out.printf("  %d answered, %.0f creates/s so far%n", done.get(),
              done.get() / ((System.nanoTime() - t0) / 1e9));
        }
      }
    }
    return snapshot(statuses);
  }

  /** Reads one HTTP/1.1 response (status line, headers, content-length body); returns the status. */
  static int readResponse(java.io.InputStream in) throws IOException {
    String status = readLine(in);
    if (status == null) {
      throw new IOException("connection closed");
    }
    int code = Integer.parseInt(status.substring(9, 12));
    int length = 0;
    for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
      if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.skipNBytes(length);
    return code;
  }

  static String readLine(java.io.InputStream in) throws IOException {
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

  static HttpRequest post(String base, String body) {
    return HttpRequest.newBuilder(URI.create(base + "/v1/tasks"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  /** Runs two full GCs through jcmd, then reads "used" from GC.heap_info, in bytes. */
  static long usedAfterFullGc(long pid) throws Exception {
    jcmd(pid, "GC.run");
    jcmd(pid, "GC.run");
    String info = jcmd(pid, "GC.heap_info");
    System.out.print(info.lines().filter(l -> l.contains("used")).findFirst().map(l -> "  heap_info: " + l.trim() + "\n").orElse(""));
    Matcher m = Pattern.compile("used (\\d+)([KMG])").matcher(info);
    if (!m.find()) {
      throw new IllegalStateException("no 'used' in GC.heap_info:\n" + info);
    }
    long v = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "K" -> v << 10;
      case "M" -> v << 20;
      default -> v << 30;
    };
  }

  /** GC.class_histogram (itself a full GC): class name -> {instances, bytes}, plus "Total". */
  static Map<String, long[]> histogram(long pid) throws Exception {
    Map<String, long[]> out = new TreeMap<>();
    Pattern row = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
    Pattern total = Pattern.compile("^Total\\s+(\\d+)\\s+(\\d+)");
    for (String line : jcmd(pid, "GC.class_histogram").split("\n")) {
      Matcher m = row.matcher(line);
      if (m.find()) {
        out.put(m.group(3), new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))});
        continue;
      }
      Matcher t = total.matcher(line.trim());
      if (t.find()) {
        out.put("Total", new long[] {Long.parseLong(t.group(1)), Long.parseLong(t.group(2))});
      }
    }
    return out;
  }

  static String jcmd(long pid, String command) throws Exception {
    Process p = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("jcmd " + pid + " " + command + " failed:\n" + out);
    }
    return out;
  }

  // ------------------------------------------------------------------ helpers

  static String get(String url) throws IOException, InterruptedException {
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("GET " + url + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }

  /** The first number after `key:` in a JSON text (enough for the flat fields read here). */
  static double num(String json, String key) {
    Matcher m = Pattern.compile(Pattern.quote(key) + ":\\s*(-?[0-9.]+(?:[eE][-+]?\\d+)?)").matcher(json);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  /** The sum of every number after `key:` (per-loop fields). */
  static long sumAll(String json, String key) {
    Matcher m = Pattern.compile(Pattern.quote(key) + ":\\s*(\\d+)").matcher(json);
    long sum = 0;
    while (m.find()) {
      sum += Long.parseLong(m.group(1));
    }
    return sum;
  }

  static String fmt(double v) {
    return String.format("%.2f", v);
  }

  static Map<Integer, Long> snapshot(Map<Integer, LongAdder> statuses) {
    Map<Integer, Long> out = new TreeMap<>();
    statuses.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
