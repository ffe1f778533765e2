package io.taskloop.store;

import io.taskloop.loop.Restored;
import io.taskloop.task.EventView;
import io.taskloop.task.Task;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * What a store holds for a node when it starts: its unfinished tasks (finished ones stay in the
 * store and are read on demand), the events set, the idempotency keys of tasks still kept, the
 * highest id sequence each loop may have given out, and the schedules.
 *
 * @param keys key → its task, the body it came with, when the task finished (0: not yet)
 * @param ids  loop → the highest sequence reserved or used
 * @param schedules the schedules the store holds (tombstones of deleted ones too)
 */
public record Recovery(List<Task> unfinished, List<EventView> events, Map<String, Restored.Key> keys,
    Map<Integer, Long> ids, List<StoredSchedule> schedules) {

  /** A schedule's record and the latest tick its fire record says fired (0: none). */
  public record StoredSchedule(JsonObject record, long firedUpTo) {
  }
}
