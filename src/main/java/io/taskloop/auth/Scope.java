package io.taskloop.auth;

/** What a caller may do (DESIGN §9). {@code admin} includes every other scope and reaches every tenant. */
public enum Scope {
  TASKS_READ("tasks:read"),
  TASKS_WRITE("tasks:write"),
  EVENTS_WRITE("events:write"),
  SCHEDULES_WRITE("schedules:write"),
  ADMIN("admin");

  private final String wire;

  Scope(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /** The scope named {@code wire}, or null for a name that is none of them. */
  public static Scope fromWire(String wire) {
    for (Scope s : values()) {
      if (s.wire.equals(wire)) {
        return s;
      }
    }
    return null;
  }
}
