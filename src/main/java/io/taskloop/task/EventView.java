package io.taskloop.task;

/** A named event as clients see it at one moment. */
public record EventView(String name, boolean set, Object payload, long setAt, int waiters, long version) {
}
