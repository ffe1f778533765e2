package io.taskloop.store;

import static io.taskloop.store.BackendContractTest.born;
import static io.taskloop.store.BackendContractTest.external;
import static io.taskloop.support.TestServer.bounded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.metrics.Metrics;
import io.taskloop.task.Problem;
import io.taskloop.task.Task;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal over a real SQLite file whose WAL sync fails: a change that was written but could
 * not be made durable is answered 503, the node stops being ready, and the loop's own changes
 * are not dropped (they wait at the front of the queue while the store stays stopped).
 */
@ExtendWith(VertxExtension.class)
@Timeout(30)
class GroupCommitSyncTest {

  @TempDir
  Path dataDir;

  @Test
  void aChangeWrittenButNotSyncedIsAnswered503AndTheNodeIsNotReady(Vertx vertx) throws Exception {
    AtomicBoolean failing = new AtomicBoolean(false);
    SqliteBackend backend = SqliteBackend.open(dataDir, 250_000_000L, () -> {
      if (failing.get()) {
        throw new IllegalStateException("I/O error on the WAL");
      }
    });
    GroupCommit journal = new GroupCommit(vertx, backend, "n1", 2_000, 100_000, 0,
        new Metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), () -> { });
    try {
      Task kept = born("n1", 0, 1, external());
      bounded(onLoop(vertx, () -> journal.create(List.of(kept), null, null)));
      assertFalse(journal.failing());

      failing.set(true);
      Task refused = born("n1", 0, 2, external());
      Throwable answer = assertThrows(Exception.class, () -> bounded(onLoop(vertx, () -> journal.create(List.of(refused), null, null))));
      Problem problem = assertInstanceOf(Problem.class, rootProblem(answer), answer.toString());
      assertEquals(503, problem.status());
      assertTrue(problem.getMessage().contains("could not make it durable"), problem.getMessage());
      assertTrue(journal.failing(), "not ready once a sync failed");

      // A change of the loop's own (a task's end) is not answered while the store is stopped.
      Future<Void> ownChange = onLoop(vertx, () -> journal.write(kept.succeed("x", BackendContractTest.NOW + 1).to()));
      assertThrows(java.util.concurrent.TimeoutException.class,
          () -> ownChange.toCompletionStage().toCompletableFuture().get(500, TimeUnit.MILLISECONDS));
      assertTrue(journal.failing(), "the store stays stopped: later commits fail too");
    } finally {
      journal.close(1_000);
    }
  }

  /**
   * One batch is written while the one before it syncs, and no more: what arrives while a sync
   * is held waits for it, and then goes in one commit, instead of a commit of its own each.
   */
  @Test
  void aBatchIsWrittenWhileTheOneBeforeSyncsAndWhatComesLaterWaitsForThatSync(Vertx vertx) throws Exception {
    CountDownLatch syncing = new CountDownLatch(1);
    CountDownLatch goOn = new CountDownLatch(1);
    AtomicBoolean first = new AtomicBoolean(true);
    SqliteBackend sqlite = SqliteBackend.open(dataDir, 250_000_000L, () -> {
      if (first.getAndSet(false)) {
        syncing.countDown();
        await(goOn);
      }
    });
    List<List<String>> written = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    java.util.concurrent.Semaphore writes = new java.util.concurrent.Semaphore(0);
    Backend watched = new Watched(sqlite, batch -> {
      written.add(batch.stream().map(w -> ((Write.TaskRecord) w).task().id()).toList());
      writes.release();
    });
    GroupCommit journal = new GroupCommit(vertx, watched, "n1", 2_000, 100_000, 0,
        new Metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), () -> { });
    try {
      Future<Void> a = onLoop(vertx, () -> journal.create(List.of(born("n1", 0, 1, external())), null, null));
      await(syncing);
      Future<Void> b = onLoop(vertx, () -> journal.create(List.of(born("n1", 0, 2, external())), null, null));
      assertTrue(writes.tryAcquire(2, 10, TimeUnit.SECONDS), "the second batch is written while the first syncs");
      Future<Void> c = onLoop(vertx, () -> journal.create(List.of(born("n1", 0, 3, external())), null, null));
      Future<Void> d = onLoop(vertx, () -> journal.create(List.of(born("n1", 0, 4, external())), null, null));
      assertFalse(writes.tryAcquire(300, TimeUnit.MILLISECONDS), "a third batch was written while the first still synced");
      assertFalse(a.isComplete() || b.isComplete() || c.isComplete() || d.isComplete(), "answered before its sync");

      goOn.countDown();
      bounded(Future.all(a, b, c, d));
      assertEquals(3, written.size(), "commits: " + written);
      assertEquals(List.of("n1-0-1"), written.get(0));
      assertEquals(List.of("n1-0-2"), written.get(1));
      // c and d may come from two event loops, in either order.
      assertEquals(java.util.Set.of("n1-0-3", "n1-0-4"), java.util.Set.copyOf(written.get(2)),
          "what waited for the first sync went in one commit");
    } finally {
      goOn.countDown();
      journal.close(1_000);
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(10, TimeUnit.SECONDS), "not reached within 10 s");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** The real store, with each batch it writes reported as it is written. */
  private record Watched(SqliteBackend store, java.util.function.Consumer<List<Write>> onWritten) implements Backend {
    @Override
    public Future<Void> commit(List<Write> batch) {
      return commit(batch, () -> { });
    }

    @Override
    public Future<Void> commit(List<Write> batch, Runnable written) {
      return store.commit(batch, () -> {
        onWritten.accept(batch);
        written.run();
      });
    }

    @Override
    public Future<Task> read(String id) {
      return store.read(id);
    }

    @Override
    public Future<List<Task>> list(String node, int loop, io.taskloop.loop.TaskFilter filter, long fromSeq, int limit,
        boolean newest) {
      return store.list(node, loop, filter, fromSeq, limit, newest);
    }

    @Override
    public Future<Recovery> recover(String node) {
      return store.recover(node);
    }

    @Override
    public Future<List<Task>> orphans(List<String> alive) {
      return store.orphans(alive);
    }

    @Override
    public Future<List<Task>> claim(List<Task> orphans, String node) {
      return store.claim(orphans, node);
    }

    @Override
    public Future<Integer> expire(long cutoff) {
      return store.expire(cutoff);
    }

    @Override
    public String name() {
      return store.name();
    }

    @Override
    public void close() {
      store.close();
    }
  }

  private static Throwable rootProblem(Throwable t) {
    while (t != null && !(t instanceof Problem)) {
      t = t.getCause();
    }
    return t;
  }

  /** Runs {@code call} on an event loop, as the engine hands the journal its changes. */
  private static <T> Future<T> onLoop(Vertx vertx, java.util.function.Supplier<Future<T>> call) {
    Promise<T> promise = Promise.promise();
    vertx.runOnContext(v -> call.get().onComplete(promise));
    return promise.future();
  }
}
