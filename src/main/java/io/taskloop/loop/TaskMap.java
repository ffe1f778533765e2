package io.taskloop.loop;

import io.taskloop.task.Task;
import java.util.function.Consumer;

/**
 * A loop's tasks by id: an open-addressing table of the records themselves (a record carries
 * its id), probed linearly from a mixed hash of the id. A {@code HashMap<String, Task>} spent
 * a 32-byte node per task besides its table slot; this spends its slot only, about 8 bytes per
 * task at the load it keeps (between 1/4 and 1/2 full once it has grown). One loop's, no locks.
 */
final class TaskMap {

  private static final int MIN_CAPACITY = 256;

  private Task[] slots = new Task[MIN_CAPACITY];
  private int size;

  int size() {
    return size;
  }

  Task get(String id) {
    Task[] s = slots;
    int mask = s.length - 1;
    for (int i = slot(id, mask); ; i = (i + 1) & mask) {
      Task t = s[i];
      if (t == null) {
        return null;
      }
      if (t.id().equals(id)) {
        return t;
      }
    }
  }

  /** Puts {@code task} in place of the record with its id; answers the one it replaced, or null. */
  Task put(Task task) {
    if ((size + 1) * 2 > slots.length) {
      resize(slots.length * 2);
    }
    int mask = slots.length - 1;
    String id = task.id();
    for (int i = slot(id, mask); ; i = (i + 1) & mask) {
      Task t = slots[i];
      if (t == null) {
        slots[i] = task;
        size++;
        return null;
      }
      if (t.id().equals(id)) {
        slots[i] = task;
        return t;
      }
    }
  }

  /** Takes out the record with {@code id}; answers it, or null if there was none. */
  Task remove(String id) {
    int mask = slots.length - 1;
    int i = slot(id, mask);
    while (true) {
      Task t = slots[i];
      if (t == null) {
        return null;
      }
      if (t.id().equals(id)) {
        break;
      }
      i = (i + 1) & mask;
    }
    Task removed = slots[i];
    // Shift back the entries after it that probed past it, so no search stops at a false gap.
    int gap = i;
    for (int j = (gap + 1) & mask; slots[j] != null; j = (j + 1) & mask) {
      int home = slot(slots[j].id(), mask);
      // j's entry may fill the gap unless its home lies cyclically in (gap, j].
      boolean stays = gap <= j ? gap < home && home <= j : gap < home || home <= j;
      if (!stays) {
        slots[gap] = slots[j];
        gap = j;
      }
    }
    slots[gap] = null;
    size--;
    if (slots.length > MIN_CAPACITY && size * 8 < slots.length) {
      resize(slots.length / 2);
    }
    return removed;
  }

  /** Every record, for a walk that does not change the table. */
  void forEach(Consumer<Task> each) {
    for (Task t : slots) {
      if (t != null) {
        each.accept(t);
      }
    }
  }

  private void resize(int capacity) {
    Task[] old = slots;
    slots = new Task[capacity];
    int mask = capacity - 1;
    for (Task t : old) {
      if (t != null) {
        int i = slot(t.id(), mask);
        while (slots[i] != null) {
          i = (i + 1) & mask;
        }
        slots[i] = t;
      }
    }
  }

  /** The home slot of an id: String's hash, mixed (Fibonacci hashing), so near ids spread. */
  private static int slot(String id, int mask) {
    int h = id.hashCode() * 0x9E3779B9;
    return (h ^ (h >>> 16)) & mask;
  }
}
