package io.taskloop.task;

import java.util.List;

/**
 * What a client asked for: one immutable record per task type. Specs arrive flat on the wire
 * ({@code {"type":"sleep","delay_ms":10}}); {@link SpecDecoder} turns them into these records.
 */
public sealed interface TaskSpec
    permits SleepSpec, ExternalSpec, EventSpec, HttpSpec, EventBusSpec, GatherSpec, WaitSpec, WaitForSpec, ShieldSpec {

  TaskType type();

  /** Fields every type takes: name, timeout_ms and labels. */
  Common common();

  /** Children of a composite, in input order; empty for leaf types. */
  default List<ChildRef> children() {
    return List.of();
  }

  /** How many tasks creating this spec makes: itself plus every inline descendant. */
  default int size() {
    int n = 1;
    for (ChildRef child : children()) {
      if (child instanceof ChildRef.Inline inline) {
        n += inline.spec().size();
      }
    }
    return n;
  }
}
