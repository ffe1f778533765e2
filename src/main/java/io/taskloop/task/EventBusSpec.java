package io.taskloop.task;

import java.util.Map;

/** A request/reply to an event-bus address; succeeds with the reply body. */
public record EventBusSpec(Common common, String address, Object body, Map<String, String> headers,
    long attemptTimeoutMs, RetryPolicy retry) implements TaskSpec {

  public static final long DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;

  @Override
  public TaskType type() {
    return TaskType.EVENTBUS;
  }
}
