package io.taskloop.loop;

import io.vertx.core.Timer;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * One Vert.x timer of a loop, armed for an instant of the clock to its microsecond, not from the
 * start of the current millisecond: a timer set in whole milliseconds from a clock read in whole
 * milliseconds ran up to a millisecond late before the event loop's own rounding (a cron tick's
 * first fire was 1-2 ms late, every tick).
 */
final class ArmedTimer {

  private final Vertx vertx;
  private final Clock clock;
  private final Runnable onDue;
  private Timer armed;
  private long armedFor = Long.MAX_VALUE;

  /** {@code onDue} runs on the loop when the armed instant comes. */
  ArmedTimer(Vertx vertx, Clock clock, Runnable onDue) {
    this.vertx = vertx;
    this.clock = clock;
    this.onDue = onDue;
  }

  /**
   * Arms it for {@code when} unless it is armed for that instant or an earlier one already (or
   * frozen): a loop's one timer waits for the earliest of its entries.
   */
  void armBy(long when) {
    if (when >= armedFor) {
      return;
    }
    if (armed != null) {
      armed.cancel();
    }
    armedFor = when;
    Timer timer = vertx.timer(Math.max(1, when * 1_000 - micros(clock.instant())), TimeUnit.MICROSECONDS);
    armed = timer;
    timer.onSuccess(v -> {
      if (armed == timer) {
        armed = null;
        armedFor = Long.MAX_VALUE;
        onDue.run();
      }
    });
  }

  /** Cancels the armed timer; a later {@link #armBy} arms it again. */
  void cancel() {
    if (armed != null) {
      armed.cancel();
      armed = null;
    }
  }

  /** Cancels it for good: no {@link #armBy} arms it again. */
  void freeze() {
    cancel();
    armedFor = Long.MIN_VALUE; // before every instant
  }

  static long micros(Instant instant) {
    return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
  }
}
