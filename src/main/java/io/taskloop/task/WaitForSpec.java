package io.taskloop.task;

import java.util.List;

/** {@code asyncio.wait_for(task, timeout)}: on expiry the child is cancelled and this ends timed_out. */
public record WaitForSpec(Common common, ChildRef task) implements TaskSpec {

  @Override
  public TaskType type() {
    return TaskType.WAIT_FOR;
  }

  @Override
  public List<ChildRef> children() {
    return List.of(task);
  }
}
