package io.taskloop.task;

/** One try of an outbound task: when it ran and, if it failed, how. */
public record Attempt(int number, long startedAt, long finishedAt, TaskError error) {
}
