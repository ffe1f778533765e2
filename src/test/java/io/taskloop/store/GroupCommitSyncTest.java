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
