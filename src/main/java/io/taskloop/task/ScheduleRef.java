package io.taskloop.task;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * Which schedule fired a task, for which tick: shown on the task as {@code schedule}, and part of
 * what its idempotency key is derived from. {@code manual}: fired by a trigger, not the cadence.
 */
public record ScheduleRef(String id, long tick, boolean manual) {

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("tick", Instant.ofEpochMilli(tick).toString()).put("manual", manual);
  }

  /**
   * {@link #toJson()}'s text, written straight into a record's. A record is written when its
   * tick fires, so the tick falls in the second {@link TaskJson#instant} has formatted; a spec
   * prepared ahead of its tick (toJson) must not push that second out.
   */
  void write(StringBuilder b) {
    b.append("{\"id\":");
    JsonText.string(b, id);
    b.append(",\"tick\":\"").append(TaskJson.instant(tick)).append("\",\"manual\":").append(manual).append('}');
  }

  /** Reads one back from a stored record; null when the record has none. */
  public static ScheduleRef fromJson(Object raw) {
    if (!(raw instanceof JsonObject json)) {
      return null;
    }
    return new ScheduleRef(json.getString("id"), Instant.parse(json.getString("tick")).toEpochMilli(),
        json.getBoolean("manual", false));
  }
}
