package io.taskloop.task;

import java.util.Map;

/**
 * The fields every task type takes. {@code timeoutMs < 0} means no timeout. Most tasks carry
 * none of them and share {@link #NONE}, which keeps a pending task small.
 */
public record Common(String name, long timeoutMs, Map<String, String> labels) {

  public static final Common NONE = new Common(null, -1, Map.of());

  public static Common of(String name, long timeoutMs, Map<String, String> labels) {
    if (name == null && timeoutMs < 0 && labels.isEmpty()) {
      return NONE;
    }
    return new Common(name, timeoutMs, labels);
  }

  public boolean hasTimeout() {
    return timeoutMs >= 0;
  }
}
