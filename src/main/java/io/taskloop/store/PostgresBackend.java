package io.taskloop.store;

import io.taskloop.config.Config;
import io.taskloop.loop.Restored;
import io.taskloop.loop.TaskFilter;
import io.taskloop.task.EventView;
import io.taskloop.task.SpecDecoder;
import io.taskloop.task.Task;
import io.taskloop.task.TaskJson;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal in a PostgreSQL database that a cluster shares, through the non-blocking Vert.x
 * client: a commit is one transaction on one pooled connection, each kind of write one batch of
 * the same prepared statement, and it is on disk when COMMIT answers (the server's
 * {@code synchronous_commit}). The schema is Flyway's, from {@code db/postgres}; Flyway speaks
 * JDBC, so it runs once at {@link #open}, on a worker thread.
 *
 * <p>It keeps SqliteBackend's semantics: the same versioned upsert, only the newest version of a
 * task in a batch written, the other writes in the order given. Unlike a SQLite file, the
 * database holds every node's tasks, so {@link #orphans} finds those of nodes that are gone.
 */
public final class PostgresBackend implements Backend {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresBackend.class);
  /** Commits are one at a time; the other connections serve reads beside them. */
  public static final int POOL_SIZE = 4;
  /**
   * How long the server lets one statement run, or a transaction sit idle: a commit whose
   * connection stalls ends (rolled back) on the server instead of holding the journal.
   */
  static final int SERVER_BOUND_MS = 30_000;
  /** Reads give up after this; commits are not cut short here (see {@link #commit}). */
  static final long READ_BOUND_MS = 30_000;
  private static final int CONNECT_BOUND_MS = 10_000;

  private static final String UPSERT_TASK = "INSERT INTO tasks (id, owner, owner_loop, seq, version, state, type, name,"
      + " finished_at, labels, record, tenant) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO UPDATE"
      + " SET owner = excluded.owner, owner_loop = excluded.owner_loop, version = excluded.version,"
      + " state = excluded.state, finished_at = excluded.finished_at, labels = excluded.labels, record = excluded.record"
      + " WHERE tasks.version < excluded.version";
  private static final String DELETE_TASK = "DELETE FROM tasks WHERE id = $1";
  private static final String PUT_KEY = "INSERT INTO idempotency_keys (key, task_id, fingerprint) VALUES ($1, $2, $3)"
      + " ON CONFLICT (key) DO UPDATE SET task_id = excluded.task_id, fingerprint = excluded.fingerprint";
  private static final String DELETE_KEY = "DELETE FROM idempotency_keys WHERE key = $1";
  private static final String SET_EVENT = "INSERT INTO events (name, payload, set_at, version) VALUES ($1, $2, $3, $4)"
      + " ON CONFLICT (name) DO UPDATE SET payload = excluded.payload, set_at = excluded.set_at, version = excluded.version";
  private static final String CLEAR_EVENT = "DELETE FROM events WHERE name = $1";
  private static final String RESERVE_IDS = "INSERT INTO ids (owner, loop, up_to) VALUES ($1, $2, $3)"
      + " ON CONFLICT (owner, loop) DO UPDATE SET up_to = GREATEST(ids.up_to, excluded.up_to)";
  private static final String PUT_SCHEDULE = "INSERT INTO schedules (id, version, deleted, record) VALUES ($1, $2, $3, $4)"
      + " ON CONFLICT (id) DO UPDATE SET version = excluded.version, deleted = excluded.deleted, record = excluded.record"
      + " WHERE schedules.version < excluded.version";
  private static final String SCHEDULE_FIRED = "INSERT INTO schedule_fires (schedule_id, tick, task_id) VALUES ($1, $2, $3)"
      + " ON CONFLICT (schedule_id) DO UPDATE SET tick = excluded.tick, task_id = excluded.task_id"
      + " WHERE schedule_fires.tick < excluded.tick";
  /** One statement, so the keys go with exactly the tasks it deletes, whatever commits beside it. */
  private static final String EXPIRE = "WITH gone AS (DELETE FROM tasks WHERE finished_at <= $1 RETURNING id),"
      + " keys AS (DELETE FROM idempotency_keys WHERE task_id IN (SELECT id FROM gone))"
      + " SELECT count(*) FROM gone";

  private final Pool pool;
  private final SpecDecoder decoder;

  private PostgresBackend(Pool pool) {
    this.pool = pool;
    this.decoder = StoredRecords.decoder();
  }

  /** {@link #open(Vertx, String, int)} with a pool of {@link #POOL_SIZE} connections. */
  public static Future<PostgresBackend> open(Vertx vertx, String postgresUrl) {
    return open(vertx, postgresUrl, POOL_SIZE);
  }

  /**
   * Migrates the schema of the database at {@code postgresUrl}
   * ({@code postgresql://user[:password]@host:port/db}) and opens a pool of {@code poolSize}
   * connections to it, answering once one of them has answered. A URL not of that form fails
   * the future with an IllegalArgumentException that names {@code postgres_url} and never shows
   * the password.
   */
  public static Future<PostgresBackend> open(Vertx vertx, String postgresUrl, int poolSize) {
    Target target;
    try {
      target = Target.parse(postgresUrl);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return vertx.executeBlocking(() -> migrate(target))
        .map(v -> new PostgresBackend(pool(vertx, target, poolSize)))
        .compose(backend -> backend.pool.query("SELECT 1").execute()
            .map(backend)
            .onFailure(e -> backend.close()));
  }

  /** Runs Flyway's migrations over JDBC. Blocks; Flyway holds an advisory lock, so nodes starting together take turns. */
  private static Void migrate(Target target) {
    Flyway.configure()
        .dataSource(target.jdbcUrl(), target.options().getUser(), target.options().getPassword())
        .locations("classpath:db/postgres")
        .load()
        .migrate();
    return null;
  }

  private static Pool pool(Vertx vertx, Target target, int poolSize) {
    PgConnectOptions connect = new PgConnectOptions(target.options())
        .setCachePreparedStatements(true);
    connect.addProperty("application_name", "taskloop")
        .addProperty("statement_timeout", Integer.toString(SERVER_BOUND_MS))
        .addProperty("idle_in_transaction_session_timeout", Integer.toString(SERVER_BOUND_MS));
    PoolOptions options = new PoolOptions()
        .setMaxSize(poolSize)
        .setConnectionTimeout(CONNECT_BOUND_MS)
        .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)
        .setName("taskloop-postgres");
    return PgBuilder.pool()
        .with(options)
        .with(new NetClientOptions().setConnectTimeout(CONNECT_BOUND_MS))
        .connectingTo(connect)
        .using(vertx)
        .build();
  }

  @Override
  public String name() {
    return "postgres";
  }

  // ---------------------------------------------------------------- writes

  /**
   * One transaction: the newest record of each task in one batch of upserts, then the other
   * writes in their order, consecutive ones of a kind batched together. No timeout of its own:
   * a commit given up on here could still land after the next one, and GroupCommit's promise of
   * one commit at a time is what keeps an event cleared after it was set. The server's
   * {@link #SERVER_BOUND_MS} ends a stalled one instead.
   */
  @Override
  public Future<Void> commit(List<Write> batch) {
    List<Step> steps = steps(batch);
    if (steps.isEmpty()) {
      return Future.succeededFuture();
    }
    return onLive(() -> pool.withTransaction(conn -> run(conn, steps, 0)));
  }

  /**
   * {@code op} on a pooled connection, and once more if the connection it was handed had closed
   * before anything was sent on it. A backend that died (a restart, {@code pg_terminate_backend})
   * leaves its connection in the pool until the pool hears of the close, and the next operation
   * can be handed it; the client then refuses every command with "Connection is not active"
   * without sending it. Nothing reached the server (a transaction whose COMMIT was never sent is
   * rolled back by it), so running the operation again does nothing twice. A command that was
   * sent when the connection closed fails otherwise and is not run again.
   */
  private static <T> Future<T> onLive(java.util.function.Supplier<Future<T>> op) {
    return op.get().recover(err -> {
      if (!neverSent(err)) {
        return Future.failedFuture(err);
      }
      LOG.info("postgres: a pooled connection had closed before it was used ({}); running the operation on another",
          err.getMessage());
      return op.get();
    });
  }

  private static boolean neverSent(Throwable err) {
    return err instanceof io.vertx.core.VertxException && err.getMessage() != null
        && err.getMessage().startsWith("Connection is not active");
  }

  /** A prepared statement and the rows it runs for, in one round trip. */
  private record Step(String sql, List<Tuple> rows) {
  }

  private static List<Step> steps(List<Write> batch) {
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
    List<Step> steps = new ArrayList<>();
    if (!latest.isEmpty()) {
      List<Tuple> rows = new ArrayList<>(latest.size());
      for (Task t : latest.values()) {
        rows.add(taskRow(t));
      }
      steps.add(new Step(UPSERT_TASK, rows));
    }
    for (Write w : others) {
      String sql = sql(w);
      Step last = steps.isEmpty() ? null : steps.get(steps.size() - 1);
      if (last == null || !last.sql().equals(sql)) {
        last = new Step(sql, new ArrayList<>());
        steps.add(last);
      }
      last.rows().add(row(w));
    }
    return steps;
  }

  private static Tuple taskRow(Task t) {
    return Tuple.of(t.id(), t.owner().node(), t.owner().loop(), t.seq(), t.version(), t.state().wire(), t.type().wire(),
        t.name(), t.isFinished() ? (Object) t.finishedAt() : null, labels(t.spec().common().labels()),
        t.json(), t.tenant().isEmpty() ? null : t.tenant());
  }

  private static String sql(Write w) {
    if (w instanceof Write.TaskGone) {
      return DELETE_TASK;
    } else if (w instanceof Write.Key) {
      return PUT_KEY;
    } else if (w instanceof Write.KeyGone) {
      return DELETE_KEY;
    } else if (w instanceof Write.EventSet) {
      return SET_EVENT;
    } else if (w instanceof Write.EventCleared) {
      return CLEAR_EVENT;
    } else if (w instanceof Write.IdsReserved) {
      return RESERVE_IDS;
    } else if (w instanceof Write.ScheduleRecord) {
      return PUT_SCHEDULE;
    } else if (w instanceof Write.ScheduleFired) {
      return SCHEDULE_FIRED;
    }
    throw new IllegalArgumentException("no statement writes " + w);
  }

  private static Tuple row(Write w) {
    if (w instanceof Write.TaskGone g) {
      return Tuple.of(g.id());
    } else if (w instanceof Write.Key k) {
      return Tuple.of(k.key(), k.taskId(), k.fingerprint());
    } else if (w instanceof Write.KeyGone k) {
      return Tuple.of(k.key());
    } else if (w instanceof Write.EventSet e) {
      EventView event = e.event();
      return Tuple.of(event.name(), Json.encode(event.payload()), event.setAt(), event.version());
    } else if (w instanceof Write.EventCleared e) {
      return Tuple.of(e.name());
    } else if (w instanceof Write.IdsReserved r) {
      return Tuple.of(r.node(), r.loop(), r.upTo());
    } else if (w instanceof Write.ScheduleRecord r) {
      return Tuple.of(r.id(), r.version(), r.deleted(), r.record());
    } else if (w instanceof Write.ScheduleFired f) {
      return Tuple.of(f.scheduleId(), f.tick(), f.taskId());
    }
    throw new IllegalArgumentException("no statement writes " + w);
  }

  private static Future<Void> run(SqlConnection conn, List<Step> steps, int i) {
    if (i == steps.size()) {
      return Future.succeededFuture();
    }
    Step step = steps.get(i);
    return conn.preparedQuery(step.sql()).executeBatch(step.rows()).compose(done -> run(conn, steps, i + 1));
  }

  /**
   * The labels as the list filters read them. PostgreSQL text cannot hold U+0000, so it is
   * written (and looked for) as U+FFFD: a label holding one must not fail the commits it is in.
   * The record keeps the label as it was given.
   */
  private static JsonObject labels(Map<String, String> labels) {
    JsonObject json = new JsonObject();
    labels.forEach((k, v) -> json.put(storable(k), storable(v)));
    return json;
  }

  private static String storable(String s) {
    return s.indexOf('\0') < 0 ? s : s.replace('\0', '\uFFFD');
  }

  // ---------------------------------------------------------------- reads

  @Override
  public Future<Task> read(String id) {
    return onLive(() -> pool.preparedQuery("SELECT record FROM tasks WHERE id = $1").execute(Tuple.of(id)))
        .map(rows -> rows.size() == 0 ? null : task(rows.iterator().next()))
        .timeout(READ_BOUND_MS, TimeUnit.MILLISECONDS);
  }

  @Override
  public Future<List<Task>> list(String node, int loop, TaskFilter filter, long fromSeq, int limit, boolean newest) {
    StringBuilder sql = new StringBuilder("SELECT record FROM tasks WHERE owner = $1 AND owner_loop = $2 AND seq ")
        .append(newest ? "< $3" : "> $3");
    List<Object> args = new ArrayList<>(List.of(node, loop, fromSeq));
    if (filter.tenant() != null && filter.tenant().isEmpty()) {
      sql.append(" AND tenant IS NULL");
    } else if (filter.tenant() != null) {
      args.add(filter.tenant());
      sql.append(" AND tenant = $").append(args.size());
    }
    if (filter.state() != null) {
      args.add(filter.state().wire());
      sql.append(" AND state = $").append(args.size());
    }
    if (filter.type() != null) {
      args.add(filter.type().wire());
      sql.append(" AND type = $").append(args.size());
    }
    if (filter.name() != null) {
      args.add(filter.name());
      sql.append(" AND name = $").append(args.size());
    }
    if (filter.labelKey() != null) {
      args.add(storable(filter.labelKey()));
      if (filter.labelValue() == null) {
        sql.append(" AND labels ? $").append(args.size());
      } else {
        sql.append(" AND labels ->> $").append(args.size());
        args.add(storable(filter.labelValue()));
        sql.append(" = $").append(args.size());
      }
    }
    args.add(limit);
    sql.append(newest ? " ORDER BY seq DESC LIMIT $" : " ORDER BY seq LIMIT $").append(args.size());
    return tasks(pool, sql.toString(), Tuple.from(args)).timeout(READ_BOUND_MS, TimeUnit.MILLISECONDS);
  }

  /**
   * Reads what recovery needs in one read-only snapshot, so that what other nodes commit
   * meanwhile (events and schedules are cluster-wide) does not tear it. The queries share the
   * connection, one after another without waiting for each other's answers.
   */
  @Override
  public Future<Recovery> recover(String node) {
    Tuple owner = Tuple.of(node);
    return pool.withTransaction(conn -> conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute()
        .compose(snapshot -> Future.all(
            tasks(conn, "SELECT record FROM tasks WHERE owner = $1 AND finished_at IS NULL", owner),
            conn.query("SELECT name, payload, set_at, version FROM events").execute().map(PostgresBackend::events),
            conn.preparedQuery("SELECT k.key, k.task_id, k.fingerprint, t.finished_at FROM idempotency_keys k"
                + " JOIN tasks t ON t.id = k.task_id WHERE t.owner = $1").execute(owner).map(PostgresBackend::keys),
            conn.preparedQuery("SELECT loop, up_to FROM ids WHERE owner = $1").execute(owner).map(PostgresBackend::ids),
            conn.query("SELECT s.record, f.tick FROM schedules s LEFT JOIN schedule_fires f ON f.schedule_id = s.id")
                .execute().map(PostgresBackend::schedules)))
        .map(all -> new Recovery(all.resultAt(0), all.resultAt(1), all.resultAt(2), all.resultAt(3), all.resultAt(4))))
        .timeout(READ_BOUND_MS, TimeUnit.MILLISECONDS);
  }

  private static List<Recovery.StoredSchedule> schedules(RowSet<Row> rows) {
    List<Recovery.StoredSchedule> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      Long tick = r.getLong(1);
      out.add(new Recovery.StoredSchedule(new JsonObject(r.getString(0)), tick == null ? 0 : tick));
    }
    return out;
  }

  private static List<EventView> events(RowSet<Row> rows) {
    List<EventView> events = new ArrayList<>(rows.size());
    for (Row r : rows) {
      String payload = r.getString(1);
      events.add(new EventView(r.getString(0), true, payload == null ? null : Json.decodeValue(payload), r.getLong(2), 0,
          r.getLong(3)));
    }
    return events;
  }

  private static Map<String, Restored.Key> keys(RowSet<Row> rows) {
    Map<String, Restored.Key> keys = new HashMap<>();
    for (Row r : rows) {
      Long finished = r.getLong(3);
      keys.put(r.getString(0), new Restored.Key(r.getString(1), r.getString(2), finished == null ? 0 : finished));
    }
    return keys;
  }

  private static Map<Integer, Long> ids(RowSet<Row> rows) {
    Map<Integer, Long> ids = new HashMap<>();
    for (Row r : rows) {
      ids.merge(r.getInteger(0), r.getLong(1), Math::max);
    }
    return ids;
  }

  @Override
  public Future<List<Task>> orphans(List<String> alive) {
    return tasks(pool, "SELECT record FROM tasks WHERE finished_at IS NULL AND owner <> ALL($1) ORDER BY owner, owner_loop, seq",
        Tuple.of(alive.toArray(new String[0]))).timeout(READ_BOUND_MS, TimeUnit.MILLISECONDS);
  }

  @Override
  public Future<List<Task>> claim(List<Task> orphans, String node) {
    if (orphans.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Tuple> rows = new ArrayList<>(orphans.size());
    for (Task t : orphans) {
      rows.add(Tuple.of(node, t.id(), t.owner().node(), t.version()));
    }
    // executeBatch answers one RowSet per tuple; a row comes back only where the owner and version still matched.
    return onLive(() -> pool.preparedQuery("UPDATE tasks SET owner = $1 WHERE id = $2 AND owner = $3 AND version = $4 RETURNING id")
        .executeBatch(rows))
        .map(first -> {
          java.util.Set<String> won = new java.util.HashSet<>();
          for (RowSet<Row> rs = first; rs != null; rs = rs.next()) {
            for (Row r : rs) {
              won.add(r.getString(0));
            }
          }
          List<Task> claimed = new ArrayList<>();
          for (Task t : orphans) {
            if (won.contains(t.id())) {
              claimed.add(t);
            }
          }
          return claimed;
        })
        .timeout(READ_BOUND_MS, TimeUnit.MILLISECONDS);
  }

  @Override
  public Future<Integer> expire(long cutoff) {
    return onLive(() -> pool.preparedQuery(EXPIRE).execute(Tuple.of(cutoff)))
        .map(rows -> (int) rows.iterator().next().getLong(0).longValue());
  }

  private Future<List<Task>> tasks(SqlClient client, String sql, Tuple args) {
    return client.preparedQuery(sql).execute(args).map(rows -> {
      List<Task> out = new ArrayList<>(rows.size());
      for (Row r : rows) {
        out.add(task(r));
      }
      return out;
    });
  }

  private Task task(Row row) {
    return TaskJson.fromJson(new JsonObject(row.getString(0)), decoder);
  }

  /** Closes the pool without waiting: it may be called on an event loop. */
  @Override
  public void close() {
    pool.close().onFailure(e -> LOG.warn("closing the postgres pool: {}", e.getMessage()));
  }

  // ---------------------------------------------------------------- the URL

  /** Where the store is, as the pool and as JDBC (for Flyway) reach it. */
  record Target(PgConnectOptions options, String jdbcUrl) {

    private static final String FORM = "postgresql://user[:password]@host:port/db";

    /**
     * Reads {@code postgresql://user[:password]@host:port/db} (port 5432 when left out; query
     * parameters such as {@code sslmode} as libpq reads them). Any other form is an
     * IllegalArgumentException that does not repeat the URL: it may hold a password.
     */
    static Target parse(String url) {
      URI uri;
      try {
        uri = new URI(url == null ? "" : url.strip());
      } catch (URISyntaxException e) {
        throw wrong("it is not a URL (characters such as @ : / % in the password are written percent-encoded)");
      }
      if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
        throw wrong("it must start with postgresql://");
      }
      if (uri.getHost() == null) {
        throw wrong("it names no host, or its port is not a number (characters such as @ : / % in the password are"
            + " written percent-encoded)");
      }
      String userInfo = uri.getRawUserInfo();
      if (userInfo == null || userInfo.isEmpty() || userInfo.startsWith(":")) {
        throw wrong("it names no user");
      }
      String path = uri.getPath();
      if (path == null || path.length() < 2 || path.indexOf('/', 1) >= 0) {
        throw wrong("it names no database (the path after host:port)");
      }
      int colon = userInfo.indexOf(':');
      String user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
      String password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
      PgConnectOptions options;
      try {
        options = PgConnectOptions.fromUri(url.strip());
      } catch (IllegalArgumentException e) {
        throw wrong("its query parameters cannot be read");
      }
      int port = uri.getPort() < 0 ? PgConnectOptions.DEFAULT_PORT : uri.getPort();
      String database = path.substring(1);
      String host = uri.getHost(); // an IPv6 address keeps its brackets here, as JDBC wants it
      // fromUri would fill a user, password or database left out with defaults of its own.
      options.setHost(host.startsWith("[") ? host.substring(1, host.length() - 1) : host).setPort(port)
          .setDatabase(database).setUser(user).setPassword(password == null ? "" : password); // none: trust or peer auth
      String jdbc = "jdbc:postgresql://" + host + ":" + port + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8)
          + "?sslmode=" + options.getSslMode().name().toLowerCase(Locale.ROOT).replace('_', '-')
          + "&connectTimeout=" + CONNECT_BOUND_MS / 1000 + "&ApplicationName=taskloop";
      return new Target(options, jdbc);
    }

    /** Percent-decoding as in a URI ('+' stays '+'). */
    private static String decode(String raw) {
      return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static IllegalArgumentException wrong(String why) {
      return new IllegalArgumentException("postgres_url (" + Config.envName("postgres_url") + ") must be " + FORM + ": "
          + why);
    }
  }
}
