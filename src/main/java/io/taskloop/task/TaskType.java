package io.taskloop.task;

import java.util.Locale;

/** The kinds of work a task can be: asyncio's coroutine kinds. */
public enum TaskType {
  SLEEP, EXTERNAL, EVENT, HTTP, EVENTBUS, GATHER, WAIT, WAIT_FOR, SHIELD;

  private final String wire = name().toLowerCase(Locale.ROOT);

  public String wire() {
    return wire;
  }

  /** Types whose work reaches outside the node, in attempts that a retry policy may repeat. */
  public boolean isOutbound() {
    return this == HTTP || this == EVENTBUS;
  }

  public boolean isComposite() {
    return this == GATHER || this == WAIT || this == WAIT_FOR || this == SHIELD;
  }

  public static TaskType fromWire(String s) {
    for (TaskType type : values()) {
      if (type.wire.equals(s)) {
        return type;
      }
    }
    return null;
  }
}
