package io.taskloop.loop;

import io.taskloop.task.Task;

/** A task as it finished, with the node that owns it: what {@code taskloop.v1.task.done} carries. */
public record DoneNotice(Task task, String nodeId) {
}
