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
 * first fire was 1-2 ms late, every tick). Arming it again replaces the one armed.
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

  /** The instant armed for: {@link Long#MAX_VALUE} when none is, {@link Long#MIN_VALUE} once frozen. */
  long armedFor() {
    return armedFor;
  }

  void arm(long when) {
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

  /** Cancels the armed timer; a later {@link #arm} arms it again. */
  void cancel() {
    if (armed != null) {
      armed.cancel();
      armed = null;
    }
  }

  /** Cancels it for good: {@link #armedFor} stays before every instant, so no caller arms it again. */
  void freeze() {
    cancel();
    armedFor = Long.MIN_VALUE;
  }

  static long micros(Instant instant) {
    return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
  }
}
