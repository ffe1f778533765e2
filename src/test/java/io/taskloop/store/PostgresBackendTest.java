package io.taskloop.store;

import static io.taskloop.support.TestServer.bounded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.Postgres;
import io.taskloop.task.Task;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The contract on a real PostgreSQL (a fresh database per test), and what only a database that
 * nodes share and reach over a network has: orphans, migrations run by nodes starting together,
 * connections lost, URLs that users write.
 */
@ExtendWith(Postgres.Extension.class)
class PostgresBackendTest extends BackendContractTest {

  private static Postgres server;
  private String database;

  @BeforeAll
  static void server(Postgres started) {
    server = started;
  }

  @Override
  protected Future<? extends Backend> open(Vertx vertx) {
    database = server.newDatabase();
    return PostgresBackend.open(vertx, server.url(database));
  }

  @Test
  void orphansAreTheUnfinishedTasksOfNodesNotAlive(Vertx vertx) {
    Backend other = bounded(PostgresBackend.open(vertx, server.url(database)));
    try {
      Task mine = born("n1", 0, 1, external());
      Task theirs = born("n2", 1, 2, external());
      Task theirsDone = born("n2", 0, 3, sleep()).succeed("x", NOW + 1).to();
      Task gone = born("n3", 0, 4, sleep());
      commit(mine);
      bounded(other.commit(List.of(new Write.TaskRecord(theirs), new Write.TaskRecord(theirsDone), new Write.TaskRecord(gone))));

      assertEquals(ids(theirs, gone), ids(bounded(store.orphans(List.of("n1")))), "unfinished, of every node not alive");
      assertEquals(ids(gone), ids(bounded(other.orphans(List.of("n1", "n2")))));
      assertEquals(List.of(), ids(bounded(store.orphans(List.of("n1", "n2", "n3")))));
      assertEquals(ids(mine, theirs, gone), ids(bounded(store.orphans(List.of()))), "after a full restart, before anyone is back");
      assertRecord(theirs, bounded(store.read(theirs.id())));
    } finally {
      other.close();
    }
  }

  @Test
  void nodesStartingTogetherMigrateTheSchemaOnce(Vertx vertx) throws Exception {
    String fresh = server.newDatabase();
    List<Future<PostgresBackend>> opening = List.of(PostgresBackend.open(vertx, server.url(fresh)),
        PostgresBackend.open(vertx, server.url(fresh)), PostgresBackend.open(vertx, server.url(fresh)));
    bounded(Future.all(opening));
    opening.forEach(f -> f.result().close());
    try (Connection c = server.superuser(fresh); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM flyway_schema_history WHERE success AND version = '1'")) {
      rs.next();
      assertEquals(1, rs.getInt(1));
    }
  }

  @Test
  void aConnectionLostInTheMiddleOfACommitChangesNothing() throws Exception {
    Task held = born("n1", 0, 1, external());
    commit(held);
    Task other = born("n1", 0, 2, sleep());
    try (Connection locker = server.superuser(database); Connection watcher = server.superuser(database)) {
      locker.setAutoCommit(false);
      try (Statement s = locker.createStatement()) {
        s.execute("SELECT 1 FROM tasks WHERE id = '" + held.id() + "' FOR UPDATE");
      }
      // The new task is written first; the upsert of the held one then waits for the lock.
      Future<Void> commit = store.commit(List.of(new Write.TaskRecord(other), new Write.TaskRecord(held.succeed("x", NOW + 1).to())));
      long waiting = waitingBackend(watcher);
      try (Statement s = watcher.createStatement()) {
        s.execute("SELECT pg_terminate_backend(" + waiting + ")");
      }
      Throwable failure = assertThrows(Throwable.class, () -> bounded(commit));
      assertFalse(failure.toString().isEmpty());
      locker.rollback();
    }
    assertRecord(held, read(held.id()));
    assertNull(read(other.id()), "the part written before the connection was lost is gone too");
    commit(other);
    assertRecord(other, read(other.id()));
  }

  /** The server process of the store's connection that waits on a lock, bounded. */
  private static long waitingBackend(Connection watcher) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try (PreparedStatement s = watcher.prepareStatement("SELECT pid FROM pg_stat_activity WHERE application_name = 'taskloop'"
        + " AND wait_event_type = 'Lock'")) {
      while (System.nanoTime() < deadline) {
        try (ResultSet rs = s.executeQuery()) {
          if (rs.next()) {
            return rs.getLong(1);
          }
        }
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    }
    throw new AssertionError("the commit never waited on the lock within 10 s");
  }

  @Test
  void aUrlNotOfTheDocumentedFormFailsNamingTheSettingAndNotThePassword(Vertx vertx) {
    List<String> wrong = List.of("mysql://u:s3cret@127.0.0.1:5432/db", "postgresql://u:s3cret@127.0.0.1:port/db",
        "postgresql://u:s3cret@127.0.0.1:5432", "postgresql://u:s3cret@127.0.0.1:5432/", "postgresql://:s3cret@127.0.0.1/db",
        "postgresql://u:s3c ret@127.0.0.1/db", "postgresql://u:s3cr@t@127.0.0.1/db", "postgresql://u:s3cret@127.0.0.1/db/x",
        "127.0.0.1:5432/db", "");
    for (String url : wrong) {
      Throwable e = bounded(PostgresBackend.open(vertx, url).map(b -> (Throwable) null).otherwise(t -> t));
      assertInstanceOf(IllegalArgumentException.class, e, url);
      assertTrue(e.getMessage().contains("postgres_url (TASKLOOP_POSTGRES_URL)"), e.getMessage());
      assertFalse(e.getMessage().contains("3cr") || e.getMessage().contains("3c ret"), "the password stays out: " + e.getMessage());
    }
  }

  @Test
  void aStoreThatCannotBeReachedFailsOpenWithoutShowingThePassword(Vertx vertx) throws Exception {
    Throwable wrongPassword = bounded(PostgresBackend.open(vertx, server.url(database, "n0t-the-password"))
        .map(b -> (Throwable) null).otherwise(t -> t));
    assertTrue(wrongPassword != null, "a wrong password does not open");
    assertFalse(wrongPassword.toString().contains("n0t-the-password"), wrongPassword.toString());

    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    String nowhere = "postgresql://taskloop:s3cret@127.0.0.1:" + closed + "/taskloop";
    Throwable refused = bounded(PostgresBackend.open(vertx, nowhere).map(b -> (Throwable) null).otherwise(t -> t));
    assertTrue(refused != null, "nothing listens there");
    assertFalse(refused.toString().contains("s3cret"), refused.toString());
  }
}
