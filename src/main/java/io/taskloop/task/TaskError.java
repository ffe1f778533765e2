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

  /**
   * Reads the {@code error} member of a fail request ({@code {type, message, data}}), the same
   * over HTTP and the event bus; problems point into the request body.
   */
  public static TaskError fromRequest(JsonObject body) {
    Object raw = body.getValue("error");
    if (!(raw instanceof JsonObject error)) {
      throw Problem.invalid("/error", raw == null ? "error is required" : "error must be an object {type, message, data}");
    }
    Object type = error.getValue("type");
    if (!(type instanceof String t) || t.isEmpty() || t.length() > 200) {
      throw Problem.invalid("/error/type", "error.type must be a string of 1 to 200 characters");
    }
    Object message = error.getValue("message");
    if (message != null && !(message instanceof String)) {
      throw Problem.invalid("/error/message", "error.message must be a string");
    }
    for (String field : error.fieldNames()) {
      if (!field.equals("type") && !field.equals("message") && !field.equals("data")) {
        throw Problem.invalid("/error/" + field, "unknown field '" + field + "'; an error has type, message and data");
      }
    }
    return new TaskError(t, (String) message, error.getValue("data"));
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("type", type).put("message", message);
    if (data != null) {
      json.put("data", data);
    }
    return json;
  }
}
