package io.taskloop.loop;

import io.taskloop.metrics.Metrics;
import io.taskloop.task.Task;
import io.vertx.core.Timer;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

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
  /** The one Vert.x timer armed, for {@link #armedFor}; null when none is. */
  private Timer armed;
  private long armedFor = Long.MAX_VALUE;
  private boolean drainQueued;
  private boolean frozen;

  Timers(Vertx vertx, Clock clock, Metrics metrics) {
    this.vertx = vertx;
    this.clock = clock;
    this.metrics = metrics;
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
    } else if (when < armedFor) {
      arm(when);
    }
  }

  /**
   * Arms the loop's timer for {@code when} to the microsecond of the clock, not from the start
   * of the current millisecond: a timer set in whole milliseconds from a clock read in whole
   * milliseconds ran up to a millisecond late before the event loop's own rounding.
   */
  private void arm(long when) {
    if (armed != null) {
      armed.cancel();
    }
    armedFor = when;
    long delayMicros = Math.max(1, when * 1_000 - micros(clock.instant()));
    Timer timer = vertx.timer(delayMicros, TimeUnit.MICROSECONDS);
    armed = timer;
    timer.onSuccess(v -> {
      if (armed == timer) {
        armed = null;
        armedFor = Long.MAX_VALUE;
        runDue();
      }
    });
  }

  private static long micros(Instant instant) {
    return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
  }

  /** Runs every entry due by the clock, then arms one Vert.x timer for the next. */
  void runDue() {
    if (frozen) {
      return;
    }
    Instant instant = clock.instant();
    long now = instant.toEpochMilli();
    long nowMicros = micros(instant);
    while (queue.peekDue() <= now) {
      long when = queue.peekDue();
      if (due.fire(queue.poll(), now)) {
        lateness.record(nowMicros - when * 1_000, nowMicros);
        metrics.lateness(nowMicros - when * 1_000);
      }
    }
    if (!queue.isEmpty() && queue.peekDue() < armedFor) {
      arm(queue.peekDue());
    }
  }

  /** A graceful leave: nothing fires here any more. */
  void freeze() {
    frozen = true;
    stop();
    armedFor = Long.MIN_VALUE; // nothing re-arms
  }

  void stop() {
    if (armed != null) {
      armed.cancel();
      armed = null;
    }
  }

  int size() {
    return queue.size();
  }

  LatencyHistogram lateness() {
    return lateness;
  }
}
