package io.taskloop.task;

/**
 * A future completed from outside ({@code run_coroutine_threadsafe}'s far end): it runs until a
 * client calls {@code /complete} or {@code /fail}.
 */
public record ExternalSpec(Common common) implements TaskSpec {

  @Override
  public TaskType type() {
    return TaskType.EXTERNAL;
  }
}
