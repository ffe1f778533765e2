package io.taskloop.loop;

import io.taskloop.task.EventBusSpec;
import io.taskloop.task.HttpSpec;
import io.taskloop.task.RetryPolicy;
import io.taskloop.task.Task;
import io.taskloop.task.TaskError;
import io.taskloop.task.TaskSpec;
import io.taskloop.task.Transition;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * The attempts of a loop's {@code http} and {@code eventbus} tasks: each runs, then the task
 * succeeds, waits for a retry, or fails. When such a task ends any other way (cancelled, timed
 * out), the reaction to that transition stops what it was doing; the attempt's own answer then
 * finds the task finished and changes nothing.
 */
final class Attempts {

  private final Vertx vertx;
  private final Clock clock;
  private final TaskTable table;
  private final Transitions path;
  private final Outbound outbound;
  /** How to stop what an unfinished outbound task is doing now: its request, or the wait before a retry. */
  private final Map<String, Runnable> inFlight = new HashMap<>();
  /** Set on a graceful leave: attempts stopped then are handed over, not failed or retried here. */
  private boolean frozen;

  Attempts(Vertx vertx, Clock clock, TaskTable table, Transitions path, Outbound outbound) {
    this.vertx = vertx;
    this.clock = clock;
    this.table = table;
    this.path = path;
    this.outbound = outbound;
    path.react(this::react);
  }

  private void react(Transition t) {
    if (t.finishes() && t.to().type().isOutbound()) {
      stop(t.id());
    }
  }

  /** Runs attempt {@code number} of an http or eventbus task, then succeeds, retries or fails it. */
  void run(String id, int number) {
    Task task = table.get(id);
    if (task == null || task.isFinished()) {
      return;
    }
    Task started = path.apply(task.beginAttempt(number, clock.millis()));
    Future<Object> work = started.spec() instanceof HttpSpec http
        ? outbound.http(http, abort -> inFlight.put(id, abort))
        : outbound.eventbus((EventBusSpec) started.spec());
    work.onComplete(ar -> {
      Task now = table.get(id);
      if (frozen || now != started) {
        return; // the task ended or moved on meanwhile; whatever stopped it stopped this attempt
      }
      inFlight.remove(id);
      long at = clock.millis();
      if (ar.succeeded()) {
        path.apply(now.succeed(ar.result(), at));
        return;
      }
      Outbound.Failure failure = ar.cause() instanceof Outbound.Failure f ? f
          : new Outbound.Failure(new TaskError("ConnectionError", String.valueOf(ar.cause().getMessage()), null), 0);
      RetryPolicy retry = retryOf(now.spec());
      if (number < retry.maxAttempts() && retry.retries(failure.error, failure.status)) {
        path.apply(now.endAttempt(at, failure.error));
        long timer = vertx.setTimer(Math.max(1, retry.backoffBefore(number + 1)), t -> {
          inFlight.remove(id);
          run(id, number + 1);
        });
        inFlight.put(id, () -> vertx.cancelTimer(timer));
      } else {
        path.apply(now.fail(failure.error, at));
      }
    });
  }

  /**
   * Carries on a task taken over from another owner: the next attempt if none was in flight;
   * otherwise the one in flight again (handed over), or a retry if the policy allows one more,
   * else the task fails with OwnerLost.
   */
  void resume(Task task, Resume how) {
    int last = task.attempt();
    if (!task.hasOpenAttempt()) {
      run(task.id(), last + 1);
      return;
    }
    if (how == Resume.HANDED_OVER) {
      path.apply(task.rewind());
      run(task.id(), last);
      return;
    }
    TaskError lost = new TaskError("OwnerLost", "the node running attempt " + last + " left the cluster", null);
    long now = clock.millis();
    if (last < retryOf(task.spec()).maxAttempts()) {
      path.apply(task.endAttempt(now, lost));
      run(task.id(), last + 1);
    } else {
      path.apply(task.fail(lost, now));
    }
  }

  private void stop(String id) {
    Runnable abort = inFlight.remove(id);
    if (abort != null) {
      abort.run();
    }
  }

  /** Stops every attempt and retry wait (a graceful leave hands them over as they stand). */
  void freeze() {
    frozen = true;
    for (Runnable abort : new ArrayList<>(inFlight.values())) {
      abort.run();
    }
    inFlight.clear();
  }

  /** The task leaves this loop without ending here: whatever it does stops, quietly. */
  void drop(String id) {
    stop(id);
  }

  void close() {
    outbound.close();
  }

  private static RetryPolicy retryOf(TaskSpec spec) {
    return spec instanceof HttpSpec h ? h.retry() : ((EventBusSpec) spec).retry();
  }
}
