package io.taskloop.loop;

import io.taskloop.metrics.Metrics;
import io.taskloop.task.Task;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Instant;

/**
 * A loop's timers: deadlines and sleep ends in one heap ({@link TimerQueue}) with one armed
 * Vert.x timer for the earliest. Due entries are handed to the engine, which reads the task's
 * current record (an entry may be stale) and says whether the timer still mattered; those count
 * in the lateness histogram.
 */
final class Timers {

  /** What the engine does with a due entry; true when the timer still mattered. */
  interface Due {
    boolean fire(Task queued, long now);
  }

  private final Vertx vertx;
  private final Clock clock;
  private final Metrics metrics;
  private final TimerQueue<Task> queue = new TimerQueue<>();
  private final LatencyHistogram lateness = new LatencyHistogram();
  private Due due;
  private final ArmedTimer timer;
  private boolean drainQueued;
  private boolean frozen;

  Timers(Vertx vertx, Clock clock, Metrics metrics) {
    this.vertx = vertx;
    this.clock = clock;
    this.metrics = metrics;
    this.timer = new ArmedTimer(vertx, clock, this::runDue);
  }

  void onDue(Due due) {
    this.due = due;
  }

  void at(long when, Task task) {
    queue.add(when, task);
    long now = clock.millis();
    if (when <= now) {
      if (!drainQueued) {
        drainQueued = true;
        vertx.runOnContext(v -> {
          drainQueued = false;
          runDue();
        });
      }
    } else {
      timer.armBy(when);
    }
  }

  /** Runs every entry due by the clock, then arms one Vert.x timer for the next. */
  void runDue() {
    if (frozen) {
      return;
    }
    Instant instant = clock.instant();
    long now = instant.toEpochMilli();
    long nowMicros = ArmedTimer.micros(instant);
    while (queue.peekDue() <= now) {
      long when = queue.peekDue();
      if (due.fire(queue.poll(), now)) {
        lateness.record(nowMicros - when * 1_000, nowMicros);
        metrics.lateness(nowMicros - when * 1_000);
      }
    }
    if (!queue.isEmpty()) {
      timer.armBy(queue.peekDue());
    }
  }

  /** A graceful leave: nothing fires here any more. */
  void freeze() {
    frozen = true;
    timer.freeze();
  }

  void stop() {
    timer.cancel();
  }

  int size() {
    return queue.size();
  }

  LatencyHistogram lateness() {
    return lateness;
  }
}
