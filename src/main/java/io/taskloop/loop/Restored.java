package io.taskloop.loop;

import io.taskloop.task.EventView;
import io.taskloop.task.Task;
import java.util.List;
import java.util.Map;

/**
 * What the store held for one loop when its node started: the unfinished tasks it takes up
 * again, the events set (those whose name hashes to the loop), the idempotency keys that hash
 * to it, and the highest id sequence it may have given out before.
 */
public record Restored(List<Task> tasks, List<EventView> events, Map<String, Key> keys, long idsUsed) {

  /** A key as the store holds it: its task, the body it came with, and when the task finished (0: not yet). */
  public record Key(String taskId, String fingerprint, long finishedAt) {
  }

  public static final Restored NONE = new Restored(List.of(), List.of(), Map.of(), 0);

  public boolean isEmpty() {
    return tasks.isEmpty() && events.isEmpty() && keys.isEmpty() && idsUsed == 0;
  }
}
