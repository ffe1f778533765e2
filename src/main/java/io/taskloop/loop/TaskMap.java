package io.taskloop.loop;

import io.taskloop.task.IdPrefix;
import io.taskloop.task.Task;
import java.util.function.Consumer;

/**
 * A loop's tasks by id: open-addressing tables of the records themselves (a record carries its
 * id), probed linearly from a mixed hash of the id. A {@code HashMap<String, Task>} spent a
 * 32-byte node per task besides its table slot; this spends its slot only, about 8 bytes per
 * task at the load it keeps (between 1/4 and 1/2 full once it has grown). One loop's, no locks.
 *
 * <p>The records are split over {@link ShardedMap#SHARDS} tables by the top bits of the mixed
 * hash, each growing and shrinking on its own: one table of them all, doubling, moved every
 * record in one go, and at tens of thousands of tasks that held the loop for milliseconds in
 * the middle of a burst of creates (a cron tick firing a thousand schedules fell behind by
 * 20-40 ms each time the table grew). A shard moves a sixty-fourth of them. Ids made in
 * sequence spread over the shards almost exactly evenly (Fibonacci hashing of near values), so
 * shards that grew at the same load would all grow in the same burst; each grows at its own
 * load instead, from 1/2 full for the first to about 3/8 for the last ({@link #limit}), which
 * spreads their resizes over a quarter of the time the table takes to double.
 */
final class TaskMap {

  private static final int MIN_CAPACITY = 16;

  private final Task[][] shards = new Task[ShardedMap.SHARDS][];
  private final int[] sizes = new int[ShardedMap.SHARDS];
  private int size;
  private long resizes;

  TaskMap() {
    for (int i = 0; i < shards.length; i++) {
      shards[i] = new Task[MIN_CAPACITY];
    }
  }

  int size() {
    return size;
  }

  Task get(String id) {
    int h = ShardedMap.mixed(id.hashCode());
    Task[] s = shards[ShardedMap.shardOf(h)];
    int mask = s.length - 1;
    for (int i = slot(h, mask); ; i = (i + 1) & mask) {
      Task t = s[i];
      if (t == null) {
        return null;
      }
      if (t.hasId(id)) {
        return t;
      }
    }
  }

  /** The record of the task {@code key} is a record of, or null: a lookup that writes no id. */
  Task get(Task key) {
    return get(key.idPrefix(), key.seq());
  }

  /** The record of id {@code prefix.id(seq)}, or null. */
  Task get(IdPrefix prefix, long seq) {
    int h = ShardedMap.mixed(prefix.hashOf(seq));
    Task[] s = shards[ShardedMap.shardOf(h)];
    int mask = s.length - 1;
    for (int i = slot(h, mask); ; i = (i + 1) & mask) {
      Task t = s[i];
      if (t == null || t.seq() == seq && t.idPrefix() == prefix) {
        return t;
      }
    }
  }

  /** Puts {@code task} in place of the record with its id; answers the one it replaced, or null. */
  Task put(Task task) {
    int h = mixed(task);
    int shard = ShardedMap.shardOf(h);
    if (sizes[shard] + 1 > limit(shard, shards[shard].length)) {
      resize(shard, shards[shard].length * 2);
    }
    Task[] slots = shards[shard];
    int mask = slots.length - 1;
    for (int i = slot(h, mask); ; i = (i + 1) & mask) {
      Task t = slots[i];
      if (t == null) {
        slots[i] = task;
        sizes[shard]++;
        size++;
        return null;
      }
      if (t.sameTask(task)) {
        slots[i] = task;
        return t;
      }
    }
  }

  /** Takes out the record of the task {@code key} is a record of; answers it, or null if there was none. */
  Task remove(Task key) {
    int h = mixed(key);
    int shard = ShardedMap.shardOf(h);
    Task[] slots = shards[shard];
    int mask = slots.length - 1;
    int i = slot(h, mask);
    while (true) {
      Task t = slots[i];
      if (t == null) {
        return null;
      }
      if (t.sameTask(key)) {
        break;
      }
      i = (i + 1) & mask;
    }
    Task removed = slots[i];
    // Shift back the entries after it that probed past it, so no search stops at a false gap.
    int gap = i;
    for (int j = (gap + 1) & mask; slots[j] != null; j = (j + 1) & mask) {
      int home = slot(mixed(slots[j]), mask);
      // j's entry may fill the gap unless its home lies cyclically in (gap, j].
      boolean stays = gap <= j ? gap < home && home <= j : gap < home || home <= j;
      if (!stays) {
        slots[gap] = slots[j];
        gap = j;
      }
    }
    slots[gap] = null;
    sizes[shard]--;
    size--;
    if (slots.length > MIN_CAPACITY && sizes[shard] * 8 < slots.length) {
      resize(shard, slots.length / 2);
    }
    return removed;
  }

  /** Every record, for a walk that does not change the table. */
  void forEach(Consumer<Task> each) {
    for (Task[] slots : shards) {
      for (Task t : slots) {
        if (t != null) {
          each.accept(t);
        }
      }
    }
  }

  /** How many records a shard of {@code length} slots holds before it doubles: 1/2 of them for shard 0, less for each next one. */
  private static int limit(int shard, int length) {
    return (int) ((long) length * (256 - shard) / 512);
  }

  /** Resizes so far, for the test that they are spread. */
  long resizes() {
    return resizes;
  }

  private void resize(int shard, int capacity) {
    resizes++;
    Task[] old = shards[shard];
    Task[] slots = new Task[capacity];
    int mask = capacity - 1;
    for (Task t : old) {
      if (t != null) {
        int i = slot(mixed(t), mask);
        while (slots[i] != null) {
          i = (i + 1) & mask;
        }
        slots[i] = t;
      }
    }
    shards[shard] = slots;
  }

  /**
   * The hash of a record's id (its text's, computed without writing it, so a lookup by the text
   * a client sent meets it), mixed as {@link ShardedMap} mixes: its top bits pick the shard.
   */
  private static int mixed(Task t) {
    return ShardedMap.mixed(t.idHash());
  }

  /** The home slot in a shard: the mixed hash folded, so its low bits depend on all of it. */
  private static int slot(int h, int mask) {
    return (h ^ (h >>> 16)) & mask;
  }
}
