package io.taskloop.task;

/** {@code asyncio.sleep(delay, result)}: succeeds with {@code result} after {@code delayMs}. */
public record SleepSpec(Common common, long delayMs, Object result) implements TaskSpec {

  @Override
  public TaskType type() {
    return TaskType.SLEEP;
  }
}
