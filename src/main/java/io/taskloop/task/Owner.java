package io.taskloop.task;

/** Where a task lives: a node of the cluster and one of its loops. */
public record Owner(String node, int loop) {
}
