package io.taskloop.store;

import io.taskloop.loop.Restored;
import io.taskloop.task.EventView;
import io.taskloop.task.Task;
import java.util.List;
import java.util.Map;

/**
 * What a store holds for a node when it starts: its unfinished tasks (finished ones stay in the
 * store and are read on demand), the events set, the idempotency keys of tasks still kept, and
 * the highest id sequence each loop may have given out.
 *
 * @param keys key → its task, the body it came with, when the task finished (0: not yet)
 * @param ids  loop → the highest sequence reserved or used
 */
public record Recovery(List<Task> unfinished, List<EventView> events, Map<String, Restored.Key> keys,
    Map<Integer, Long> ids) {
}
