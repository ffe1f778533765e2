import io.taskloop.store.Backend;
import io.taskloop.store.SqliteBackend;
import io.taskloop.store.Write;
import io.taskloop.task.OutboundGuard;
import io.taskloop.task.Owner;
import io.taskloop.task.SpecDecoder;
import io.taskloop.task.Task;
import io.taskloop.task.TaskSpec;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The SQLite journal's own cost in the steady state of create-and-await: each task written once,
 * finished (a sleep 0 ends inside its create's batch), in commits of BATCH records from two loops,
 * and deleted by retention a virtual second after it finished, so the table holds about a
 * second's worth. No HTTP, no GroupCommit: the process's CPU time per task is the writer's (and
 * its sync's), which is what limits the default node under that load.
 *
 *   mvn -q -B -DskipTests package && java -cp target/taskloop.jar bench/JournalSteady.java [tasks] [batch] [per_second]
 *
 * Prints tasks, wall time, tasks/s and CPU microseconds per task; the file goes in a new
 * directory under /tmp, removed afterwards. Run it against two jars in turn to compare them.
 */
public class JournalSteady {

  static final SpecDecoder SPECS = new SpecDecoder(1000, 32, new OutboundGuard(List.of("*"), List.of()));
  static final TaskSpec SLEEP = SPECS.decode(new JsonObject().put("type", "sleep").put("delay_ms", 0));
  static final long NOW = 1_700_000_000_000L;

  public static void main(String[] args) throws Exception {
    int tasks = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 35;
    int perSecond = args.length > 2 ? Integer.parseInt(args[2]) : 30_000;
    Path dir = Files.createTempDirectory("journal-steady");
    try {
      Backend store = SqliteBackend.open(dir);
      run(store, 20_000, batch, perSecond, 0); // warm-up: the JIT and the file's first pages
      var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      run(store, tasks, batch, perSecond, 20_000);
      long wall = System.nanoTime() - t0;
      long cpu = os.getProcessCpuTime() - cpu0;
      store.close();
      System.out.printf("RESULT tasks=%d batch=%d wall_s=%.2f tasks_per_s=%.0f cpu_us_per_task=%.2f%n", tasks, batch,
          wall / 1e9, tasks / (wall / 1e9), cpu / 1e3 / tasks);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Tasks {@code from} to {@code from + count}, finished at virtual times {@code perSecond} a second; retention 1 s. */
  static void run(Backend store, int count, int batch, int perSecond, long from) throws Exception {
    long expiredUpTo = 0;
    for (long done = 0; done < count; ) {
      List<Write> writes = new ArrayList<>(batch);
      long at = NOW;
      for (int i = 0; i < batch && done < count; i++, done++) {
        long seq = from + done + 1;
        at = NOW + seq * 1_000 / perSecond;
        Task born = Task.born("steady0-" + (seq % 2) + "-" + seq, new Owner("steady0", (int) (seq % 2)), SLEEP, null,
            List.of(), at);
        writes.add(new Write.TaskRecord(born.succeed(null, at).to()));
      }
      store.commit(writes).await(60, TimeUnit.SECONDS);
      long cutoff = at - 1_000;
      if (cutoff - expiredUpTo >= 100) { // as a node's retention sweeps, a few times a second
        store.expire(cutoff).await(60, TimeUnit.SECONDS);
        expiredUpTo = cutoff;
      }
    }
  }
}
