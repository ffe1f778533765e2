package io.taskloop.store;

import static io.taskloop.support.TestServer.bounded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.task.Task;
import java.nio.file.Files;
import java.util.ArrayList;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract on a SQLite file in a fresh directory. */
class SqliteBackendTest extends BackendContractTest {

  @TempDir
  Path dataDir;

  @Override
  protected Future<? extends Backend> open(Vertx vertx) throws Exception {
    return Future.succeededFuture(SqliteBackend.open(dataDir));
  }

  /**
   * The tenant index holds only named tenants' tasks (a node without auth writes none into it),
   * and a named tenant's page of the store is still read through it.
   */
  @Test
  void onlyNamedTenantsTasksAreInTheTenantIndexAndTheirListsUseIt() throws Exception {
    commit(born("n1", 0, 1, external()), born("n1", 0, 2, external()), bornFor("acme", "n1", 0, 3, external()));
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve(SqliteBackend.FILE));
        java.sql.Statement s = c.createStatement()) {
      java.sql.ResultSet counted = s.executeQuery("SELECT count(*) FROM tasks INDEXED BY tasks_tenant WHERE tenant = 'acme'");
      assertTrue(counted.next());
      assertEquals(1, counted.getInt(1));
      java.sql.ResultSet plan = s.executeQuery("EXPLAIN QUERY PLAN SELECT record FROM tasks WHERE owner = 'n1'"
          + " AND owner_loop = 0 AND seq > 0 AND tenant = 'acme' ORDER BY seq LIMIT 10");
      StringBuilder steps = new StringBuilder();
      while (plan.next()) {
        steps.append(plan.getString("detail")).append('\n');
      }
      assertTrue(steps.toString().contains("tasks_tenant"), "a named tenant's list reads the tenant index:\n" + steps);
      java.sql.ResultSet index = s.executeQuery("SELECT sql FROM sqlite_master WHERE name = 'tasks_tenant'");
      assertTrue(index.next());
      assertTrue(index.getString(1).contains("WHERE tenant IS NOT NULL"), index.getString(1));
    }
  }

  /**
   * The writer commits without a sync of its own and the WAL is synced after it: a commit is
   * answered only once that sync is done, and the next batch is written while it runs. Here the
   * first sync is held: the first commit stays unanswered (though written: another connection
   * reads it), the second is written meanwhile, and both answer once the sync goes on.
   */
  @Test
  void aCommitAnswersOnlyOnceTheWalIsSyncedAndTheNextIsWrittenMeanwhile() throws Exception {
    store.close();
    CountDownLatch syncing = new CountDownLatch(1);
    CountDownLatch goOn = new CountDownLatch(1);
    store = SqliteBackend.open(dataDir, 250_000_000L, () -> {
      syncing.countDown();
      await(goOn);
    });
    CountDownLatch firstWritten = new CountDownLatch(1);
    CountDownLatch secondWritten = new CountDownLatch(1);
    try {
      Future<Void> first = store.commit(List.of(new Write.TaskRecord(born("n1", 0, 1, external()))), firstWritten::countDown);
      await(firstWritten);
      await(syncing);
      Future<Void> second = store.commit(List.of(new Write.TaskRecord(born("n1", 0, 2, external()))), secondWritten::countDown);
      await(secondWritten);
      assertFalse(first.isComplete(), "the first commit answered before its sync");
      assertFalse(second.isComplete(), "the second commit answered before its sync");
      assertEquals("n1-0-2", read("n1-0-2").id(), "written, though not yet answered");
      goOn.countDown();
      bounded(first);
      bounded(second);
    } finally {
      goOn.countDown();
    }
    assertEquals(2, ((SqliteBackend) store).syncs(), "the second commit came after the first sync had begun: one sync each");
  }

  /**
   * A sync that fails leaves the WAL's state on disk unknown: the commits it covered fail, and so
   * does every later one, so nothing more is answered as durable until the node restarts.
   */
  @Test
  void aFailedSyncFailsItsCommitsAndStopsTheStore() throws Exception {
    store.close();
    java.util.concurrent.atomic.AtomicBoolean fail = new java.util.concurrent.atomic.AtomicBoolean(true);
    store = SqliteBackend.open(dataDir, 250_000_000L, () -> {
      if (fail.get()) {
        throw new IllegalStateException("no space left on device");
      }
    });
    Future<Void> first = store.commit(List.of(new Write.TaskRecord(born("n1", 0, 1, external()))));
    Exception refused = assertThrows(Exception.class, () -> bounded(first));
    assertTrue(String.valueOf(refused.getMessage()).contains("no space left on device"), refused.toString());
    fail.set(false);
    Exception later = assertThrows(Exception.class,
        () -> bounded(store.commit(List.of(new Write.TaskRecord(born("n1", 0, 2, external()))))));
    assertTrue(String.valueOf(later.getMessage()).contains("restarts"), later.toString());
    assertNull(read("n1-0-2"), "a commit after the failed sync is not written");

    store.close();
    store = SqliteBackend.open(dataDir);
    bounded(store.commit(List.of(new Write.TaskRecord(born("n1", 0, 3, external())))));
    assertEquals("n1-0-3", read("n1-0-3").id(), "reopened, the store takes commits again");
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(10, TimeUnit.SECONDS), "not reached within 10 s");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aFileHasNoOrphans() {
    commit(born("n2", 0, 1, external()));
    assertEquals(List.of(), bounded(store.orphans(List.of("n1"))), "one node owns a SQLite file");
  }

  /**
   * A checkpoint beside a busy writer never copies the whole WAL, and SQLite starts the WAL over
   * only after one has: without the writer finishing one now and then, the WAL grows by every
   * page each commit writes (it reached 864 MB in 20 s of load). A node does it four times a
   * second; here after every commit, so the WAL never holds more than a commit or two.
   */
  @Test
  void theWalStartsOverUnderASteadyStreamOfCommits() throws Exception {
    store.close();
    store = SqliteBackend.open(dataDir, 0); // the writer finishes a checkpoint after every commit
    long recordBytes = 0;
    long seq = 0;
    for (int batch = 0; batch < 2_000; batch++) {
      List<Write> writes = new ArrayList<>(50);
      for (int i = 0; i < 50; i++) {
        Task done = born("n1", 0, ++seq, sleep()).succeed("x", NOW + 1).to();
        recordBytes += done.json().length();
        writes.add(new Write.TaskRecord(done));
      }
      bounded(store.commit(writes));
    }
    long wal = Files.size(dataDir.resolve(SqliteBackend.FILE + "-wal"));
    assertTrue(wal < recordBytes / 10, "the WAL holds " + wal + " bytes after commits of " + recordBytes
        + " bytes of records: it did not start over");
  }

  /**
   * Retention's deletes share the commits' transactions: an expiry asked for while commits keep
   * coming finishes (it does not wait for a quiet moment that never comes), deletes all it should
   * and no commit fails or waits for it.
   */
  @Test
  void anExpiryFinishesWhileCommitsKeepComing() {
    List<Write> old = new ArrayList<>();
    for (long seq = 1; seq <= 20_000; seq++) {
      old.add(new Write.TaskRecord(born("n1", 0, seq, sleep()).succeed("x", NOW + 1).to()));
    }
    bounded(store.commit(old));

    Future<Integer> expired = store.expire(NOW + 1);
    long seq = 100_000;
    List<Future<Void>> commits = new ArrayList<>();
    while (!expired.isComplete() && commits.size() < 5_000) {
      List<Write> batch = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        batch.add(new Write.TaskRecord(born("n1", 0, ++seq, sleep()).succeed("x", NOW + 100).to()));
      }
      commits.add(store.commit(batch));
      if (commits.size() % 8 == 0) {
        bounded(commits.get(commits.size() - 4)); // keep a few queued behind the one running
      }
    }
    assertEquals(20_000, bounded(expired), "every task finished by the cutoff is deleted");
    assertTrue(commits.size() < 5_000, "the expiry finished while commits kept coming");
    bounded(Future.all(commits));
    assertNull(read("n1-0-1"));
    assertNull(read("n1-0-20000"));
    assertEquals(10, list("n1", 0, state(io.taskloop.task.TaskState.SUCCEEDED), 100_000, 10).size(),
        "what came after stays");
  }
}
