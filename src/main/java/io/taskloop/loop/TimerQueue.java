package io.taskloop.loop;

import java.util.Arrays;

/**
 * A binary min-heap of (due time, item): one per loop, so a million sleeping tasks cost one
 * armed Vert.x timer and about twelve bytes each here, instead of a timer apiece.
 */
final class TimerQueue<T> {

  private long[] due = new long[64];
  private Object[] items = new Object[64];
  private int size;

  void add(long at, T item) {
    if (size == due.length) {
      due = Arrays.copyOf(due, size * 2);
      items = Arrays.copyOf(items, size * 2);
    }
    int i = size++;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (due[parent] <= at) {
        break;
      }
      due[i] = due[parent];
      items[i] = items[parent];
      i = parent;
    }
    due[i] = at;
    items[i] = item;
  }

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  /** The earliest due time, or {@code Long.MAX_VALUE} when empty. */
  long peekDue() {
    return size == 0 ? Long.MAX_VALUE : due[0];
  }

  @SuppressWarnings("unchecked")
  T poll() {
    T top = (T) items[0];
    int last = --size;
    long at = due[last];
    Object item = items[last];
    items[last] = null;
    int i = 0;
    int half = last >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      if (child + 1 < last && due[child + 1] < due[child]) {
        child++;
      }
      if (at <= due[child]) {
        break;
      }
      due[i] = due[child];
      items[i] = items[child];
      i = child;
    }
    if (last > 0) {
      due[i] = at;
      items[i] = item;
    }
    if (size < due.length / 4 && due.length > 64) {
      due = Arrays.copyOf(due, due.length / 2);
      items = Arrays.copyOf(items, items.length / 2);
    }
    return top;
  }
}
