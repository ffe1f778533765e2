package io.taskloop.store;

import io.taskloop.loop.Restored;
import io.taskloop.loop.TaskFilter;
import io.taskloop.task.EventView;
import io.taskloop.task.SpecDecoder;
import io.taskloop.task.Task;
import io.taskloop.task.TaskJson;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal in one SQLite file, {@code <data_dir>/taskloop.db}, through xerial's sqlite-jdbc,
 * in WAL mode. A commit is answered once it is on disk: the writer commits with
 * {@code synchronous=NORMAL} and {@link WalSync} syncs the WAL after it, which is what
 * {@code FULL} does inside the commit, so the next batch is written while the disk syncs this one.
 * JDBC blocks, so it never runs on an event loop: commits run on one thread of their own, reads
 * on another (WAL lets readers run beside the writer). The schema is Flyway's, from {@code db/sqlite}.
 */
public final class SqliteBackend implements Backend {

  private static final Logger LOG = LoggerFactory.getLogger(SqliteBackend.class);
  public static final String FILE = "taskloop.db";
  /** Retention's deletes when no commit waits: one chunk per transaction. */
  private static final int EXPIRE_CHUNK = 1_000;
  /** Under load, each commit also deletes this many expired tasks, or twice its batch if more. */
  private static final int EXPIRE_PER_COMMIT = 200;
  /** The background checkpoint's pace: it copies what the WAL holds while commits go on. */
  private static final long CHECKPOINT_EVERY_MS = 50;
  /** How often the writer finishes a checkpoint itself, so the WAL starts over instead of growing. */
  private static final long WAL_RESTART_EVERY_NS = 250_000_000L;

  private static final String INSERT_TASK = "INSERT INTO tasks (id, owner, owner_loop, seq, version, state, type, name,"
      + " finished_at, record, tenant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET ";
  /**
   * The usual write: a new task, or a newer record of one whose stored owner it keeps. SQLite
   * maintains an index on an UPDATE only when a column it names is set, so leaving the owner
   * out spares the two indexes keyed by it ({@code tasks_page}, {@code tasks_tenant}) on every
   * finish: a quarter of what a finish costs when finishes come in another order than the
   * creates did (a page of each index per task).
   */
  private static final String UPSERT_TASK = INSERT_TASK + "version = excluded.version, state = excluded.state,"
      + " finished_at = excluded.finished_at, record = excluded.record"
      + " WHERE tasks.version < excluded.version AND tasks.owner = excluded.owner AND tasks.owner_loop = excluded.owner_loop";
  /** A newer record whose owner differs from the stored one (an adoption): written when the usual write changed nothing. */
  private static final String UPSERT_MOVED_TASK = INSERT_TASK + "owner = excluded.owner, owner_loop = excluded.owner_loop,"
      + " version = excluded.version, state = excluded.state, finished_at = excluded.finished_at, record = excluded.record"
      + " WHERE tasks.version < excluded.version";

  private final Path file;
  private final SpecDecoder decoder;
  private final Connection writer;
  /** The writer's prepared statements by their SQL ({@link #statement}). */
  private final Map<String, PreparedStatement> statements = new HashMap<>();
  private final Connection reader;
  private final Connection checkpointer;
  private final java.util.concurrent.ThreadPoolExecutor writes;
  private final ExecutorService reads;
  private final java.util.concurrent.ScheduledExecutorService checkpoints;
  /** Touched only on the commit thread. */
  private long lastWriterCheckpoint = System.nanoTime();
  /** Retention's deletes still to make (only on the commit thread): finished at or before the cutoff. */
  private long expireCutoff = Long.MIN_VALUE;
  private int expired;
  private final List<Promise<Integer>> expiring = new ArrayList<>();

  private final long walRestartEveryNs;

  private final WalSync sync;

  private SqliteBackend(Path file, Connection writer, Connection reader, Connection checkpointer, long walRestartEveryNs,
      Runnable beforeSync) {
    this.walRestartEveryNs = walRestartEveryNs;
    this.sync = new WalSync(file.resolveSibling(file.getFileName() + "-wal"), beforeSync);
    this.file = file;
    this.checkpointer = checkpointer;
    this.decoder = StoredRecords.decoder();
    this.writer = writer;
    this.reader = reader;
    this.writes = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
        new java.util.concurrent.LinkedBlockingQueue<>(), r -> daemon(r, "taskloop-sqlite-commit"));
    this.reads = Executors.newSingleThreadExecutor(r -> daemon(r, "taskloop-sqlite-read"));
    this.checkpoints = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "taskloop-sqlite-checkpoint"));
    checkpoints.scheduleWithFixedDelay(this::checkpoint, CHECKPOINT_EVERY_MS, CHECKPOINT_EVERY_MS, TimeUnit.MILLISECONDS);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /**
   * Opens (creating if missing) the store under {@code dataDir} and migrates its schema. Blocks:
   * call it off the event loops, at start.
   */
  public static SqliteBackend open(Path dataDir) throws Exception {
    return open(dataDir, WAL_RESTART_EVERY_NS);
  }

  /** With the writer finishing a checkpoint at most every {@code walRestartEveryNs} (tests use 0). */
  static SqliteBackend open(Path dataDir, long walRestartEveryNs) throws Exception {
    return open(dataDir, walRestartEveryNs, () -> { });
  }

  /** With {@code beforeSync} run before each sync of the WAL (tests hold a sync with it). */
  static SqliteBackend open(Path dataDir, long walRestartEveryNs, Runnable beforeSync) throws Exception {
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(FILE);
    String url = "jdbc:sqlite:" + file.toAbsolutePath();
    Flyway.configure().dataSource(url, null, null).locations("classpath:db/sqlite").load().migrate();
    // The writer's commits are synced by WalSync, after them; the others' settings only matter
    // to their checkpoints, which sync the WAL and the database file under either.
    Connection writer = connect(url, "NORMAL");
    writer.setAutoCommit(false);
    Connection reader = connect(url, "FULL");
    return new SqliteBackend(file, writer, reader, connect(url, "FULL"), walRestartEveryNs, beforeSync);
  }

  private static Connection connect(String url, String synchronous) throws SQLException {
    Connection c = DriverManager.getConnection(url);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=" + synchronous);
      s.execute("PRAGMA busy_timeout=10000");
      // Checkpoints run on their own thread (checkpoint()), never inside a commit.
      s.execute("PRAGMA wal_autocheckpoint=0");
    }
    return c;
  }

  /** WAL syncs made so far. */
  long syncs() {
    return sync.syncs();
  }

  public Path file() {
    return file;
  }

  @Override
  public String name() {
    return "sqlite";
  }

  // ---------------------------------------------------------------- writes

  @Override
  public Future<Void> commit(List<Write> batch) {
    return commit(batch, () -> { });
  }

  /** Written on the commit thread; durable once {@link WalSync} has synced the WAL after it. */
  @Override
  public Future<Void> commit(List<Write> batch, Runnable written) {
    Promise<Void> durable = Promise.promise();
    on(writes, () -> {
      if (sync.broken() != null) {
        throw new IllegalStateException("the WAL could not be synced earlier (" + sync.broken().getMessage()
            + "); the store takes commits again once the node restarts");
      }
      int limit = Math.max(EXPIRE_PER_COMMIT, 2 * batch.size());
      int deleted;
      try {
        write(batch);
        deleted = expiring.isEmpty() ? 0 : deleteExpired(limit);
        writer.commit();
      } catch (SQLException | RuntimeException e) {
        writer.rollback();
        throw e;
      }
      if (!expiring.isEmpty()) {
        expiredChunk(deleted, limit);
      }
      restartWal();
      // In this order: whoever waits hears the batch is written before its sync can answer
      // (GroupCommit tells a sync that failed from a commit that did by it).
      written.run();
      sync.after(durable);
      return null;
    }).onFailure(durable::tryFail);
    return durable.future();
  }

  private void write(List<Write> batch) throws SQLException {
    // A batch may hold several versions of one task: only the newest is written.
    Map<String, Task> latest = new LinkedHashMap<>();
    List<Write> others = new ArrayList<>();
    for (Write w : batch) {
      if (w instanceof Write.TaskRecord r) {
        latest.merge(r.task().id(), r.task(), (a, b) -> a.version() >= b.version() ? a : b);
      } else {
        others.add(w);
      }
    }
    if (!latest.isEmpty()) {
      List<Task> tasks = new ArrayList<>(latest.values());
      int[] changed = upsert(statement(UPSERT_TASK), tasks);
      // Nothing changed: a record stored under another owner, or one as new or newer (the
      // second write then changes nothing either).
      List<Task> unchanged = new ArrayList<>();
      for (int i = 0; i < changed.length; i++) {
        if (changed[i] == 0) {
          unchanged.add(tasks.get(i));
        }
      }
      if (!unchanged.isEmpty()) {
        upsert(statement(UPSERT_MOVED_TASK), unchanged);
      }
    }
    for (Write w : others) {
      if (w instanceof Write.TaskGone g) {
        update("DELETE FROM tasks WHERE id = ?", g.id());
      } else if (w instanceof Write.Key k) {
        update("INSERT INTO idempotency_keys (key, task_id, fingerprint) VALUES (?, ?, ?)"
            + " ON CONFLICT (key) DO UPDATE SET task_id = excluded.task_id, fingerprint = excluded.fingerprint",
            k.key(), k.taskId(), k.fingerprint());
      } else if (w instanceof Write.KeyGone k) {
        update("DELETE FROM idempotency_keys WHERE key = ?", k.key());
      } else if (w instanceof Write.EventSet e) {
        update("INSERT INTO events (name, payload, set_at, version) VALUES (?, ?, ?, ?) ON CONFLICT (name)"
            + " DO UPDATE SET payload = excluded.payload, set_at = excluded.set_at, version = excluded.version",
            e.event().name(), Json.encode(e.event().payload()), e.event().setAt(), e.event().version());
      } else if (w instanceof Write.EventCleared e) {
        update("DELETE FROM events WHERE name = ?", e.name());
      } else if (w instanceof Write.IdsReserved r) {
        update("INSERT INTO ids (owner, loop, up_to) VALUES (?, ?, ?) ON CONFLICT (owner, loop)"
            + " DO UPDATE SET up_to = max(up_to, excluded.up_to)", r.node(), r.loop(), r.upTo());
      } else if (w instanceof Write.ScheduleRecord r) {
        update("INSERT INTO schedules (id, version, deleted, record) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE"
            + " SET version = excluded.version, deleted = excluded.deleted, record = excluded.record"
            + " WHERE schedules.version < excluded.version", r.id(), r.version(), r.deleted() ? 1 : 0, r.record());
      } else if (w instanceof Write.ScheduleFired f) {
        update("INSERT INTO schedule_fires (schedule_id, tick, task_id) VALUES (?, ?, ?) ON CONFLICT (schedule_id)"
            + " DO UPDATE SET tick = excluded.tick, task_id = excluded.task_id WHERE schedule_fires.tick < excluded.tick",
            f.scheduleId(), f.tick(), f.taskId());
      }
    }
  }

  private void update(String sql, Object... args) throws SQLException {
    PreparedStatement s = statement(sql);
    for (int i = 0; i < args.length; i++) {
      s.setObject(i + 1, args[i]);
    }
    s.executeUpdate();
  }

  /** Rows each task's write changed (1, or 0 where its WHERE held it back). */
  private static int[] upsert(PreparedStatement upsert, List<Task> tasks) throws SQLException {
    for (Task t : tasks) {
      upsert.setString(1, t.id());
      upsert.setString(2, t.owner().node());
      upsert.setInt(3, t.owner().loop());
      upsert.setLong(4, t.seq());
      upsert.setInt(5, t.version());
      upsert.setString(6, t.state().wire());
      upsert.setString(7, t.type().wire());
      upsert.setString(8, t.name());
      if (t.isFinished()) {
        upsert.setLong(9, t.finishedAt());
      } else {
        upsert.setNull(9, java.sql.Types.INTEGER);
      }
      upsert.setString(10, t.json());
      upsert.setString(11, t.tenant().isEmpty() ? null : t.tenant());
      upsert.addBatch();
    }
    return upsert.executeBatch();
  }

  /**
   * The writer's statement for {@code sql}, prepared once: a burst of schedule fires wrote a key,
   * a fire record and a schedule record per fire, each prepared (compiled by SQLite) anew. Used
   * on the writer's thread only; closed with the writer's connection.
   */
  private PreparedStatement statement(String sql) throws SQLException {
    PreparedStatement s = statements.get(sql);
    if (s == null) {
      s = writer.prepareStatement(sql);
      statements.put(sql, s);
    }
    return s;
  }

  // ---------------------------------------------------------------- reads

  @Override
  public Future<Task> read(String id) {
    return on(reads, () -> {
      try (PreparedStatement s = reader.prepareStatement("SELECT record FROM tasks WHERE id = ?")) {
        s.setString(1, id);
        ResultSet rs = s.executeQuery();
        return rs.next() ? task(rs.getString(1)) : null;
      }
    });
  }

  @Override
  public Future<List<Task>> list(String node, int loop, TaskFilter filter, long fromSeq, int limit, boolean newest) {
    return on(reads, () -> {
      StringBuilder sql = new StringBuilder("SELECT record FROM tasks WHERE owner = ? AND owner_loop = ? AND seq ")
          .append(newest ? "< ?" : "> ?");
      List<Object> args = new ArrayList<>(List.of(node, loop, fromSeq));
      if (filter.tenant() != null) {
        sql.append(filter.tenant().isEmpty() ? " AND tenant IS NULL" : " AND tenant = ?");
        if (!filter.tenant().isEmpty()) {
          args.add(filter.tenant());
        }
      }
      if (filter.state() != null) {
        sql.append(" AND state = ?");
        args.add(filter.state().wire());
      }
      if (filter.type() != null) {
        sql.append(" AND type = ?");
        args.add(filter.type().wire());
      }
      if (filter.name() != null) {
        sql.append(" AND name = ?");
        args.add(filter.name());
      }
      if (filter.labelKey() != null) {
        sql.append(filter.labelValue() == null ? " AND json_type(record, ?) IS NOT NULL" : " AND json_extract(record, ?) = ?");
        args.add("$.labels.\"" + filter.labelKey().replace("\"", "\\\"") + "\"");
        if (filter.labelValue() != null) {
          args.add(filter.labelValue());
        }
      }
      sql.append(newest ? " ORDER BY seq DESC LIMIT ?" : " ORDER BY seq LIMIT ?");
      args.add(limit);
      try (PreparedStatement s = reader.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) {
          s.setObject(i + 1, args.get(i));
        }
        ResultSet rs = s.executeQuery();
        List<Task> out = new ArrayList<>();
        while (rs.next()) {
          out.add(task(rs.getString(1)));
        }
        return out;
      }
    });
  }

  @Override
  public Future<Recovery> recover(String node) {
    return on(reads, () -> {
      List<Task> unfinished = new ArrayList<>();
      try (PreparedStatement s = reader.prepareStatement("SELECT record FROM tasks WHERE owner = ? AND finished_at IS NULL")) {
        s.setString(1, node);
        ResultSet rs = s.executeQuery();
        while (rs.next()) {
          unfinished.add(task(rs.getString(1)));
        }
      }
      List<EventView> events = new ArrayList<>();
      try (Statement s = reader.createStatement()) {
        ResultSet rs = s.executeQuery("SELECT name, payload, set_at, version FROM events");
        while (rs.next()) {
          String payload = rs.getString(2);
          events.add(new EventView(rs.getString(1), true, payload == null ? null : Json.decodeValue(payload),
              rs.getLong(3), 0, rs.getLong(4)));
        }
      }
      Map<String, Restored.Key> keys = new HashMap<>();
      try (PreparedStatement s = reader.prepareStatement("SELECT k.key, k.task_id, k.fingerprint, t.finished_at"
          + " FROM idempotency_keys k JOIN tasks t ON t.id = k.task_id WHERE t.owner = ?")) {
        s.setString(1, node);
        ResultSet rs = s.executeQuery();
        while (rs.next()) {
          keys.put(rs.getString(1), new Restored.Key(rs.getString(2), rs.getString(3), rs.getLong(4)));
        }
      }
      Map<Integer, Long> ids = new HashMap<>();
      try (PreparedStatement s = reader.prepareStatement("SELECT loop, up_to FROM ids WHERE owner = ?")) {
        s.setString(1, node);
        ResultSet rs = s.executeQuery();
        while (rs.next()) {
          ids.merge(rs.getInt(1), rs.getLong(2), Math::max);
        }
      }
      List<Recovery.StoredSchedule> schedules = new ArrayList<>();
      try (Statement s = reader.createStatement()) {
        ResultSet rs = s.executeQuery("SELECT s.record, f.tick FROM schedules s"
            + " LEFT JOIN schedule_fires f ON f.schedule_id = s.id");
        while (rs.next()) {
          schedules.add(new Recovery.StoredSchedule(new JsonObject(rs.getString(1)), rs.getLong(2)));
        }
      }
      return new Recovery(unfinished, events, keys, ids, schedules);
    });
  }

  @Override
  public Future<List<Task>> orphans(List<String> alive) {
    // One node owns a SQLite file: nothing in it belongs to another node.
    return Future.succeededFuture(List.of());
  }

  @Override
  public Future<List<Task>> claim(List<Task> orphans, String node) {
    return Future.succeededFuture(orphans); // one node owns the file: nobody else claims from it
  }

  /**
   * Retention's deletes share the commits' transactions (and fsyncs): under load each commit
   * also deletes a chunk of expired tasks, about twice as many as it writes, so deleting keeps
   * up with creating and no commit waits behind a long delete. When no commit waits, chunks of
   * {@value #EXPIRE_CHUNK} run on their own until none is left.
   */
  @Override
  public Future<Integer> expire(long cutoff) {
    Promise<Integer> done = Promise.promise();
    try {
      writes.execute(() -> {
        expireCutoff = Math.max(expireCutoff, cutoff);
        expiring.add(done);
        expireAlone();
      });
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      done.fail(closed);
    }
    return done.future();
  }

  private void expireAlone() {
    if (expiring.isEmpty() || !writes.getQueue().isEmpty()) {
      return; // done, or the commits waiting will carry the deletes
    }
    int deleted;
    try {
      deleted = deleteExpired(EXPIRE_CHUNK);
      writer.commit();
    } catch (SQLException | RuntimeException e) {
      try {
        writer.rollback();
      } catch (SQLException ignored) {
        // the failure reported is the first one
      }
      expiring.forEach(p -> p.fail(e));
      expiring.clear();
      expired = 0;
      return;
    }
    expiredChunk(deleted, EXPIRE_CHUNK);
    if (!expiring.isEmpty()) {
      writes.execute(this::expireAlone);
    }
  }

  /** One chunk of retention's deletes, inside the writer's open transaction. */
  private int deleteExpired(int limit) throws SQLException {
    update("DELETE FROM idempotency_keys WHERE task_id IN (SELECT id FROM tasks WHERE finished_at <= ? LIMIT ?)",
        expireCutoff, limit);
    PreparedStatement s = statement("DELETE FROM tasks WHERE rowid IN (SELECT rowid FROM tasks WHERE finished_at <= ? LIMIT ?)");
    s.setLong(1, expireCutoff);
    s.setInt(2, limit);
    return s.executeUpdate();
  }

  /** After the commit that held a chunk: a short chunk means nothing is left to delete. */
  private void expiredChunk(int deleted, int limit) {
    expired += deleted;
    if (deleted < limit) {
      int total = expired;
      expiring.forEach(p -> p.complete(total));
      expiring.clear();
      expired = 0;
      expireCutoff = Long.MIN_VALUE;
    }
  }

  /**
   * A checkpoint that runs beside a writer never catches up with it, and SQLite starts the WAL
   * over only once a checkpoint has copied all of it: under a steady load the WAL would grow
   * without bound (864 MB in 20 s of create-and-await), and every commit would append to a
   * growing file, whose fsync costs more than one that overwrites. So four times a second,
   * between two commits, the writer copies the little the background checkpoint has not, and the
   * next commit writes the WAL from its start again.
   */
  private void restartWal() {
    long now = System.nanoTime();
    if (now - lastWriterCheckpoint < walRestartEveryNs) {
      return;
    }
    boolean whole = false;
    try (Statement s = writer.createStatement(); ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
      // busy, frames in the WAL, frames copied: busy while the background checkpoint holds the lock
      whole = rs.next() && rs.getInt(1) == 0 && rs.getInt(2) == rs.getInt(3);
    } catch (SQLException e) {
      LOG.debug("the writer's checkpoint of {} did not run: {}", file, e.getMessage());
    }
    if (whole) {
      lastWriterCheckpoint = now; // else again after the next commit
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("the writer's checkpoint took {} µs, whole: {}", (System.nanoTime() - now) / 1_000, whole);
    }
  }

  /**
   * Copies what the WAL holds into the database file, without holding up the writer: run on a
   * connection and thread of its own every {@value #CHECKPOINT_EVERY_MS} ms, since the writer's
   * own automatic checkpoints (which copy everything at once) would stall the commits that
   * trigger them.
   */
  private void checkpoint() {
    try (Statement s = checkpointer.createStatement()) {
      s.execute("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (SQLException e) {
      LOG.warn("checkpoint of {} failed: {}", file, e.getMessage());
    }
  }

  private Task task(String record) {
    return TaskJson.fromJson(new JsonObject(record), decoder);
  }

  private static <T> Future<T> on(ExecutorService executor, Callable<T> work) {
    Promise<T> promise = Promise.promise();
    try {
      executor.execute(() -> {
        try {
          promise.complete(work.call());
        } catch (Exception e) {
          promise.fail(e);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      promise.fail(closed);
    }
    return promise.future();
  }

  @Override
  public void close() {
    checkpoints.shutdownNow();
    writes.shutdown();
    reads.shutdown();
    try {
      writes.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
      sync.close(5_000);
      reads.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
      writer.close();
      reader.close();
      checkpointer.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SQLException e) {
      LOG.warn("closing {}: {}", file, e.getMessage());
    }
  }
}
