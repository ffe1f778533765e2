package io.taskloop.task;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;

/** {@code asyncio.sleep(delay, result)}: succeeds with {@code result} after {@code delayMs}. */
public record SleepSpec(Common common, long delayMs, Object result) implements TaskSpec {

  /**
   * Sleeps decoded lately with none of the common fields but the tenant and no result or a scalar one, by a
   * hash of delay and result. A spec is an immutable value, so the thousands of equal sleeps of a
   * fan-out, or of a client that makes the same sleep again and again, share one object instead
   * of carrying one each (40 bytes a pending sleep). A slot another thread overwrites only costs
   * a miss.
   */
  private static final AtomicReferenceArray<SleepSpec> RECENT = new AtomicReferenceArray<>(1024);

  /** The spec for these fields: an equal one decoded lately where there is one. */
  public static SleepSpec of(Common common, long delayMs, Object result) {
    if (!common.onlyTenant() || !(result == null || result instanceof String || result instanceof Number
        || result instanceof Boolean)) {
      return new SleepSpec(common, delayMs, result);
    }
    int slot = ((Long.hashCode(delayMs) * 31 + (result == null ? 0 : result.hashCode())) * 31 + common.tenant().hashCode())
        & (RECENT.length() - 1);
    SleepSpec seen = RECENT.getAcquire(slot);
    if (seen != null && seen.delayMs == delayMs && Objects.equals(seen.result, result)
        && seen.common.tenant().equals(common.tenant())) {
      return seen;
    }
    SleepSpec made = new SleepSpec(common, delayMs, result);
    RECENT.setRelease(slot, made);
    return made;
  }

  @Override
  public TaskType type() {
    return TaskType.SLEEP;
  }
}
