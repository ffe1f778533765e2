package io.taskloop.task;

import java.util.List;

/** {@code asyncio.shield(task)}: cancelling the shield leaves the child running. */
public record ShieldSpec(Common common, ChildRef task) implements TaskSpec {

  @Override
  public TaskType type() {
    return TaskType.SHIELD;
  }

  @Override
  public List<ChildRef> children() {
    return List.of(task);
  }
}
