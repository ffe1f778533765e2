import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A soak at a fixed rate: create-and-await (a sleep 0 task, Prefer: wait=5) at RATE per second
 * for DURATION_S seconds against a taskloop node on 127.0.0.1, and every SAMPLE_S seconds what
 * the node keeps: the store's size (the SQLite file with its WAL, or the PostgreSQL tasks table
 * with its indexes and TOAST), the tasks held in memory, and every 5 minutes the heap after a
 * full GC (jcmd). With retention passing, all three should level off and stay flat.
 *
 *   java -cp target/taskloop.jar bench/Soak.java http://127.0.0.1:PORT RATE DURATION_S SAMPLE_S PID STORE
 *
 * STORE is the SQLite data_dir, or a jdbc:postgresql://... URL (user and password in it as
 * ?user=&password=). Bounded: it stops by itself after DURATION_S; at most 1,024 requests are in flight.
 */
public class Soak {

  public static void main(String[] args) throws Exception {
    URI base = URI.create(args[0]);
    int rate = Integer.parseInt(args[1]);
    long durationS = Long.parseLong(args[2]);
    long sampleS = Long.parseLong(args[3]);
    long pid = Long.parseLong(args[4]);
    String store = args[5];
    Vertx vertx = Vertx.vertx();
    // Vert.x core's client: the jar carries it (the web client is a test dependency only).
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(base.getHost())
        .setDefaultPort(base.getPort()).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(256));
    AtomicInteger inFlight = new AtomicInteger();
    AtomicLong ok = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLong skipped = new AtomicLong();
    Buffer body = new JsonObject().put("type", "sleep").put("delay_ms", 0).toBuffer();
    // Every 10 ms, a hundredth of the rate (the remainder carried), so the load is even.
    double perTick = rate / 100.0;
    double[] carry = {0};
    long ticker = vertx.setPeriodic(10, t -> {
      carry[0] += perTick;
      int n = (int) carry[0];
      carry[0] -= n;
      for (int i = 0; i < n; i++) {
        if (inFlight.get() >= 1_024) {
          skipped.incrementAndGet();
          continue;
        }
        inFlight.incrementAndGet();
        RequestOptions post = new RequestOptions().setMethod(HttpMethod.POST).setURI("/v1/tasks").setTimeout(10_000)
            .putHeader("Content-Type", "application/json").putHeader("Prefer", "wait=5");
        client.request(post).compose(req -> req.send(body)).compose(resp -> resp.body().map(b -> resp.statusCode()))
            .onComplete(ar -> {
              inFlight.decrementAndGet();
              if (ar.failed()) {
                failed.incrementAndGet();
              } else if (ar.result() == 201) {
                ok.incrementAndGet();
              } else if (ar.result() == 429 || ar.result() == 503) {
                refused.incrementAndGet();
              } else {
                failed.incrementAndGet();
              }
            });
      }
    });
    long started = System.nanoTime();
    long lastOk = 0;
    long minStore = Long.MAX_VALUE;
    long maxStore = 0;
    long lastStore = 0;
    long maxHeld = 0;
    long firstHeap = -1;
    long lastHeap = -1;
    long maxHeap = 0;
    long nextHeap = 0;
    System.out.printf("%8s %10s %10s %8s %8s %14s %10s %14s%n", "t_s", "ok/s", "ok", "refused", "failed", "store_bytes",
        "held", "heap_after_gc");
    while (true) {
      TimeUnit.SECONDS.sleep(sampleS);
      long t = (System.nanoTime() - started) / 1_000_000_000L;
      long now = ok.get();
      long size = storeBytes(store);
      long held = held(client);
      String heapText = "";
      if (t >= nextHeap) {
        long heap = heapAfterGc(pid);
        heapText = Long.toString(heap);
        if (firstHeap < 0 && t >= 300) {
          firstHeap = heap; // after the first retention period, when the store has filled
        }
        lastHeap = heap;
        maxHeap = Math.max(maxHeap, heap);
        nextHeap = t + 300;
      }
      if (t >= 300) {
        minStore = Math.min(minStore, size);
        maxStore = Math.max(maxStore, size);
      }
      lastStore = size;
      maxHeld = Math.max(maxHeld, held);
      System.out.printf("%8d %10.0f %10d %8d %8d %14d %10d %14s%n", t, (now - lastOk) / (double) sampleS, now,
          refused.get(), failed.get(), size, held, heapText);
      lastOk = now;
      if (t >= durationS) {
        break;
      }
    }
    vertx.cancelTimer(ticker);
    System.out.printf("RESULT rate=%d duration_s=%d ok=%d refused=%d failed=%d skipped=%d store_bytes_after_5min_min=%d"
        + " store_bytes_after_5min_max=%d store_bytes_last=%d held_max=%d heap_after_gc_at_5min=%d heap_after_gc_last=%d"
        + " heap_after_gc_max=%d%n", rate, durationS, ok.get(), refused.get(), failed.get(), skipped.get(), minStore, maxStore,
        lastStore, maxHeld, firstHeap, lastHeap, maxHeap);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static long storeBytes(String store) throws Exception {
    if (store.startsWith("jdbc:")) {
      try (Connection c = DriverManager.getConnection(store);
          ResultSet rs = c.createStatement().executeQuery("SELECT pg_total_relation_size('tasks')"
              + " + pg_total_relation_size('idempotency_keys')")) {
        rs.next();
        return rs.getLong(1);
      }
    }
    long size = 0;
    for (String name : new String[] {"taskloop.db", "taskloop.db-wal", "taskloop.db-shm"}) {
      Path p = Path.of(store, name);
      if (Files.exists(p)) {
        size += Files.size(p);
      }
    }
    return size;
  }

  private static long held(HttpClient client) throws Exception {
    JsonObject cluster = client.request(HttpMethod.GET, "/v1/cluster")
        .compose(req -> req.send().compose(resp -> resp.body())).map(Buffer::toJsonObject)
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return cluster.getJsonArray("nodes").getJsonObject(0).getLong("tasks_held");
  }

  /** The heap in use right after a full GC of the server (jcmd GC.run, then GC.heap_info). */
  private static long heapAfterGc(long pid) throws Exception {
    run("jcmd", Long.toString(pid), "GC.run");
    String info = run("jcmd", Long.toString(pid), "GC.heap_info");
    // G1: " garbage-first heap   total 1234K, used 567K"; ZGC: " ZHeap           used 12M, capacity ..."
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)([KMG])").matcher(info);
    if (!m.find()) {
      return -1;
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "K" -> n * 1024;
      case "M" -> n * 1024 * 1024;
      default -> n * 1024 * 1024 * 1024;
    };
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
      String line;
      while ((line = r.readLine()) != null) {
        out.append(line).append('\n');
      }
    }
    p.waitFor(30, TimeUnit.SECONDS);
    return out.toString();
  }
}
