package io.taskloop.task;

/** When a {@code wait} task returns, as in {@code asyncio.wait(return_when=...)}. */
public enum ReturnWhen {
  FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED;

  public static ReturnWhen fromWire(String s) {
    for (ReturnWhen when : values()) {
      if (when.name().equals(s)) {
        return when;
      }
    }
    return null;
  }
}
