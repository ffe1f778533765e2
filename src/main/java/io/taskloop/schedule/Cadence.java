package io.taskloop.schedule;

/**
 * When a schedule's ticks fall: a cron expression in a time zone, or a fixed period. Ticks are
 * instants in epoch milliseconds; {@link #nextAfter} is all a schedule asks, so a node keeps one
 * heap of next fires and never scans every schedule on a tick.
 */
public sealed interface Cadence permits CronCadence, EveryCadence {

  /** The first tick strictly after {@code afterMs}, or {@link Long#MAX_VALUE} when none is left. */
  long nextAfter(long afterMs);
}
