package io.taskloop.task;

import java.util.List;

/**
 * {@code asyncio.wait(tasks, timeout=, return_when=)}: {@code common().timeoutMs()} is wait's own
 * timeout, which returns the partition and cancels nothing.
 */
public record WaitSpec(Common common, List<ChildRef> tasks, ReturnWhen returnWhen) implements TaskSpec {

  @Override
  public TaskType type() {
    return TaskType.WAIT;
  }

  @Override
  public List<ChildRef> children() {
    return tasks;
  }
}
