package io.taskloop.loop;

import io.taskloop.task.Task;
import java.util.Arrays;
import java.util.Comparator;

/**
 * A loop's task ids in sequence order (the number that ends each id), so that a page of
 * {@code GET /v1/tasks} reads from where its cursor points and stops once it is full, instead
 * of going through every task held. Ids made here arrive in order and are appended; those that
 * arrive out of order (taken up at restart, adopted) mark the index for one sort before its next
 * read. A removed id leaves a hole, and the array is compacted once holes are half of it. About
 * one reference per task: the id strings are those the table holds already.
 */
final class SeqIndex {

  private static final Comparator<String> BY_SEQ = Comparator.comparingLong(Task::seqOf);

  private String[] ids = new String[256];
  private int size;
  private int holes;
  private boolean sorted = true;
  private long last = Long.MIN_VALUE;

  void add(String id) {
    if (size == ids.length) {
      compactOrGrow();
    }
    long seq = Task.seqOf(id);
    if (seq < last) {
      sorted = false;
    }
    last = Math.max(last, seq);
    ids[size++] = id;
  }

  void remove(String id) {
    sort();
    long seq = Task.seqOf(id);
    for (int i = firstAtOrAfter(seq); i < size; i++) {
      String at = ids[i];
      if (at == null) {
        continue;
      }
      if (at.equals(id)) {
        ids[i] = null;
        holes++;
        if (holes > 1_024 && holes > size / 2) {
          compactOrGrow();
        }
        return;
      }
      if (Task.seqOf(at) > seq) {
        return; // not here
      }
    }
  }

  /** Walks the ids with a sequence above {@code afterSeq}, lowest first, while {@code visit} answers true. */
  void ascending(long afterSeq, java.util.function.Predicate<String> visit) {
    sort();
    for (int i = afterSeq == Long.MAX_VALUE ? size : firstAtOrAfter(afterSeq + 1); i < size; i++) {
      if (ids[i] != null && !visit.test(ids[i])) {
        return;
      }
    }
  }

  /** Walks the ids with a sequence below {@code beforeSeq}, highest first, while {@code visit} answers true. */
  void descending(long beforeSeq, java.util.function.Predicate<String> visit) {
    sort();
    for (int i = firstAtOrAfter(beforeSeq) - 1; i >= 0; i--) {
      if (ids[i] != null && !visit.test(ids[i])) {
        return;
      }
    }
  }

  /** The first position whose id (skipping holes) has a sequence of {@code seq} or more; {@code size} if none. */
  private int firstAtOrAfter(long seq) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      int m = mid;
      while (m < hi && ids[m] == null) {
        m++;
      }
      if (m == hi) {
        hi = mid; // only holes from mid on: the answer is at or before them
      } else if (Task.seqOf(ids[m]) < seq) {
        lo = m + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private void sort() {
    if (!sorted) {
      compactOrGrow();
      Arrays.sort(ids, 0, size, BY_SEQ);
      sorted = true;
    }
  }

  /** Drops the holes, keeping the order; grows the array when it is still more than three quarters full. */
  private void compactOrGrow() {
    int kept = 0;
    for (int i = 0; i < size; i++) {
      if (ids[i] != null) {
        ids[kept++] = ids[i];
      }
    }
    Arrays.fill(ids, kept, size, null);
    size = kept;
    holes = 0;
    if (size > ids.length * 3 / 4) {
      ids = Arrays.copyOf(ids, ids.length * 2);
    } else if (ids.length > 1_024 && size < ids.length / 4) {
      ids = Arrays.copyOf(ids, Math.max(1_024, size * 2));
    }
  }
}
