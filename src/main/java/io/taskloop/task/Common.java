package io.taskloop.task;

import java.util.Map;

/**
 * The fields every task type takes (on_done included). {@code timeoutMs < 0} means no timeout. Most tasks carry
 * none of them and share {@link #NONE}, which keeps a pending task small.
 */
public record Common(String name, long timeoutMs, Map<String, String> labels, OnDone onDone) {

  public static final Common NONE = new Common(null, -1, Map.of(), null);

  public static Common of(String name, long timeoutMs, Map<String, String> labels, OnDone onDone) {
    if (name == null && timeoutMs < 0 && labels.isEmpty() && onDone == null) {
      return NONE;
    }
    return new Common(name, timeoutMs, labels, onDone);
  }

  public boolean hasTimeout() {
    return timeoutMs >= 0;
  }
}
