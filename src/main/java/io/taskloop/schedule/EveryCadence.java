package io.taskloop.schedule;

import io.taskloop.task.Problem;

/**
 * {@code every_ms}: ticks at {@code anchorMs + k * everyMs}. The anchor (the schedule's
 * {@code start_at}, or when it was made) fixes the phase, so a restart or a new owner finds the
 * same ticks.
 */
public record EveryCadence(long everyMs, long anchorMs) implements Cadence {

  /** The shortest period: one tick a second, as for a 6-field cron. */
  public static final long MIN_EVERY_MS = 1_000;

  public EveryCadence {
    if (everyMs < MIN_EVERY_MS) {
      throw Problem.invalid("/every_ms", "every_ms must be at least " + MIN_EVERY_MS + ", got " + everyMs);
    }
  }

  @Override
  public long nextAfter(long afterMs) {
    if (afterMs < anchorMs) {
      return anchorMs;
    }
    long k = (afterMs - anchorMs) / everyMs + 1;
    long next = anchorMs + k * everyMs;
    return next < afterMs ? Long.MAX_VALUE : next; // overflow: no tick left
  }
}
