package io.taskloop.task;

/** {@code await event.wait()} on a named event; succeeds with the payload it was set with. */
public record EventSpec(Common common, String event) implements TaskSpec {

  @Override
  public TaskType type() {
    return TaskType.EVENT;
  }
}
