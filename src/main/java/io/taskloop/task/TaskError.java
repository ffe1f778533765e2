package io.taskloop.task;

import io.vertx.core.json.JsonObject;

/** An error as clients see it: {@code {type, message, data}}, modelled on a Python exception. */
public record TaskError(String type, String message, Object data) {

  public static final String CANCELLED = "CancelledError";
  public static final String TIMEOUT = "TimeoutError";

  public static TaskError cancelled(String message) {
    return new TaskError(CANCELLED, message, null);
  }

  public static TaskError timeout(long timeoutMs) {
    return new TaskError(TIMEOUT, "timed out after " + timeoutMs + " ms", null);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("type", type).put("message", message);
    if (data != null) {
      json.put("data", data);
    }
    return json;
  }
}
