package io.taskloop.schedule;

import io.taskloop.task.Problem;

/** What a tick does while the schedule's previous run has not finished. */
public enum Overlap {
  /** The tick is skipped and recorded as skipped (the default). */
  SKIP("skip"),
  /** The tick fires anyway: runs may overlap. */
  ALLOW("allow"),
  /** The tick waits for the previous run to finish; one tick waits at most, later ones are skipped. */
  BUFFER_ONE("buffer_one"),
  /** The previous run is cancelled, then the tick fires. */
  CANCEL_OTHER("cancel_other");

  private final String wire;

  Overlap(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static Overlap fromWire(Object raw) {
    if (raw == null) {
      return SKIP;
    }
    for (Overlap o : values()) {
      if (o.wire.equals(raw)) {
        return o;
      }
    }
    throw Problem.invalid("/overlap", "overlap must be one of skip, allow, buffer_one, cancel_other; got " + raw);
  }
}
