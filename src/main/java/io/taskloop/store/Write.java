package io.taskloop.store;

import io.taskloop.task.EventView;
import io.taskloop.task.Task;

/** One change a commit writes. Task writes are versioned upserts: an older version never overwrites a newer one. */
public sealed interface Write {

  /** A task's record as it stands (upserted if its version is newer than the stored one). */
  record TaskRecord(Task task) implements Write {
  }

  /** A task gone from the node: deleted, or past its retention. */
  record TaskGone(String id) implements Write {
  }

  /** An Idempotency-Key's first use; it names its task until the task is gone. */
  record Key(String key, String taskId, String fingerprint) implements Write {
  }

  record KeyGone(String key) implements Write {
  }

  /** A named event set (with its payload) on this node. */
  record EventSet(EventView event) implements Write {
  }

  record EventCleared(String name) implements Write {
  }

  /** The highest id sequence a loop of {@code node} may have given out. */
  record IdsReserved(String node, int loop, long upTo) implements Write {
  }

  /** A schedule's record (a deleted one as its tombstone), upserted if its version is newer. */
  record ScheduleRecord(String id, long version, boolean deleted, String record) implements Write {
  }

  /** A schedule's tick fired {@code taskId}: written with the task, the fire record (the latest tick wins). */
  record ScheduleFired(String scheduleId, long tick, String taskId) implements Write {
  }
}
