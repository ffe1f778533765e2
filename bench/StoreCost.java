import io.taskloop.store.Backend;
import io.taskloop.store.PostgresBackend;
import io.taskloop.store.SqliteBackend;
import io.taskloop.store.Write;
import io.taskloop.support.Postgres;
import io.taskloop.task.OutboundGuard;
import io.taskloop.task.Owner;
import io.taskloop.task.SpecDecoder;
import io.taskloop.task.Task;
import io.taskloop.task.TaskJson;
import io.taskloop.task.TaskSpec;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a commit of the journal costs through each store directly (no GroupCommit, no HTTP), one
 * commit at a time as GroupCommit makes them: commits/s and changes/s at batch sizes 1, 10,
 * 100 and 1000, each change a new sleep task's record (the journal's most common write). Then
 * the disk's own price of durability: a loop of FileChannel.force(true) after a small write, on
 * the disk that holds both stores.
 *
 *   mvn -q -B -DskipTests package && mvn -q -B test-compile
 *   java -cp target/taskloop.jar:target/test-classes bench/StoreCost.java [seconds-per-size]
 *
 * PostgreSQL: the one at $TASKLOOP_POSTGRES_URL (its database is written to), else a throwaway
 * server on 127.0.0.1 started by the tests' support (src/test/java/io/taskloop/support/Postgres.java,
 * PostgreSQL's default fsync and synchronous_commit). SQLite: a file in a new directory under /tmp
 * (WAL, synchronous=FULL, as a node runs it). Each size: a 0.3 s warm-up, then the given seconds
 * (default 1.5). The machine is shared: the load average is printed before and after.
 */
public class StoreCost {

  static final int[] SIZES = {1, 10, 100, 1000};
  static final SpecDecoder SPECS = new SpecDecoder(1000, 32, new OutboundGuard(List.of("*"), List.of()));
  static final TaskSpec SLEEP = SPECS.decode(new JsonObject().put("type", "sleep").put("delay_ms", 1000)
      .put("name", "nightly-report").put("labels", new JsonObject().put("team", "billing").put("env", "prod")));

  static long seq;

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 1.5;
    System.out.println("load average before: " + loadAverage());
    Task sample = born();
    System.out.println("record: a sleep task's JSON, " + TaskJson.task(sample).encode().length() + " bytes: "
        + TaskJson.task(sample).encode());
    System.out.printf("%-9s %6s %10s %12s %10s %10s%n", "store", "batch", "commits/s", "changes/s", "ms p50", "ms p99");

    Vertx vertx = Vertx.vertx();
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "taskloop-storecost-");
    Postgres server = null;
    try {
      Backend sqlite = SqliteBackend.open(dir);
      measure(sqlite, seconds);
      sqlite.close();

      String url = System.getenv("TASKLOOP_POSTGRES_URL");
      if (url == null || url.isBlank()) {
        server = Postgres.start();
        url = server.url(server.newDatabase());
      }
      Backend postgres = PostgresBackend.open(vertx, url).await(60, TimeUnit.SECONDS);
      measure(postgres, seconds);
      postgres.close();

      fsync(dir.resolve("fsync.bin"), seconds);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
      if (server != null) {
        server.close();
      }
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
    System.out.println("load average after: " + loadAverage());
  }

  static void measure(Backend store, double seconds) throws Exception {
    for (int size : SIZES) {
      run(store, size, 0.3);
      List<Long> nanos = run(store, size, seconds);
      long total = nanos.stream().mapToLong(Long::longValue).sum();
      double commitsPerS = nanos.size() / (total / 1e9);
      long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
      System.out.printf("%-9s %6d %10.0f %12.0f %10.2f %10.2f%n", store.name(), size, commitsPerS, commitsPerS * size,
          sorted[sorted.length / 2] / 1e6, sorted[(int) Math.min(sorted.length - 1, sorted.length * 0.99)] / 1e6);
      System.out.printf("RESULT store=%s batch=%d commits_per_s=%.0f changes_per_s=%.0f%n", store.name(), size, commitsPerS,
          commitsPerS * size);
    }
  }

  /** Commits batches of {@code size} new records, one after another, for about {@code seconds}; each commit's time. */
  static List<Long> run(Backend store, int size, double seconds) throws Exception {
    List<Long> nanos = new ArrayList<>();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    while (System.nanoTime() < end || nanos.size() < 3) {
      List<Write> batch = new ArrayList<>(size);
      for (int i = 0; i < size; i++) {
        batch.add(new Write.TaskRecord(born()));
      }
      long start = System.nanoTime();
      store.commit(batch).await(60, TimeUnit.SECONDS);
      nanos.add(System.nanoTime() - start);
    }
    return nanos;
  }

  static Task born() {
    long s = ++seq;
    return Task.born("bench00-" + (s % 2) + "-" + s, new Owner("bench00", (int) (s % 2)), SLEEP, null, List.of(),
        1_700_000_000_000L + s);
  }

  /** A 4 KiB write then force(true), over and over: the floor under any store's commit on this disk. */
  static void fsync(Path file, double seconds) throws IOException {
    ByteBuffer block = ByteBuffer.allocate(4096);
    Arrays.fill(block.array(), (byte) 'x');
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      List<Long> nanos = new ArrayList<>();
      long end = System.nanoTime() + (long) (seconds * 1e9);
      while (System.nanoTime() < end) {
        block.rewind();
        long start = System.nanoTime();
        ch.write(block, 0);
        ch.force(true);
        nanos.add(System.nanoTime() - start);
      }
      long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
      double perS = nanos.size() / (Arrays.stream(sorted).sum() / 1e9);
      System.out.printf("fsync: 4 KiB write + FileChannel.force(true) on %s: %.0f/s, p50 %.3f ms, p99 %.3f ms%n",
          file.getParent(), perS, sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.99)] / 1e6);
      System.out.printf("RESULT fsync force_per_s=%.0f%n", perS);
    }
  }

  static String loadAverage() throws IOException {
    return Files.readString(Path.of("/proc/loadavg")).strip();
  }
}
