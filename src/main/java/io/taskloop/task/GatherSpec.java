package io.taskloop.task;

import java.util.List;

/** {@code asyncio.gather(*tasks, return_exceptions=...)}. */
public record GatherSpec(Common common, List<ChildRef> tasks, boolean returnExceptions) implements TaskSpec {

  @Override
  public TaskType type() {
    return TaskType.GATHER;
  }

  @Override
  public List<ChildRef> children() {
    return tasks;
  }
}
