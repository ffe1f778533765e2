package io.taskloop.loop;

import io.taskloop.task.Task;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * A loop's task ids in sequence order (the number that ends each id), so that a page of
 * {@code GET /v1/tasks} reads from where its cursor points and stops once it is full, instead
 * of going through every task held.
 *
 * <p>Ids made here arrive in order and are appended to a sorted array, each with its sequence
 * beside it (about 12 bytes per task: the id strings are those the table holds already); a
 * removed one leaves a hole whose sequence stays, so a search is a plain binary search whatever
 * the holes, and the array is compacted once holes are half of it. Ids that arrive far out of
 * order (taken up at a restart, adopted from a departed node; a little late ones are put in
 * their place) go to a sorted set beside it, which is merged into the
 * array once it holds an eighth as many: every operation stays within O(log n) amortized, and a
 * walk merges the two in order.
 */
final class SeqIndex {

  /** By sequence, then by id: ids of different nodes may share a sequence number. */
  private static final Comparator<String> ORDER = Comparator.<String>comparingLong(Task::seqOf)
      .thenComparing(Comparator.naturalOrder());

  private String[] ids = new String[256];
  /** The sequence of each position's id, kept when the id is removed, so a search never walks holes. */
  private long[] seqs = new long[256];
  private int size;
  private int holes;
  private final TreeSet<String> strays = new TreeSet<>(ORDER);
  /** The greatest id the array has held: an id after it can be appended and keep the array sorted. */
  private String last;
  private long lastSeq;
  /**
   * How far from the end an id that arrives a little out of order is put in its place, by
   * moving those after it: a composite's record is stored after its inline children's, though
   * its id was made first. Sent to the strays instead, one per gather made the set's
   * comparisons (each reads two sequences) 7% of a gather's CPU.
   */
  private static final int NEAR = 64;

  void add(String id) {
    long seq = Task.seqOf(id);
    if (last != null && (seq < lastSeq || seq == lastSeq && id.compareTo(last) < 0)) {
      int at = firstAfter(seq, id);
      if (size - at > NEAR) {
        strays.add(id);
        if (strays.size() > 1_024 && strays.size() > (size - holes) / 8) {
          mergeStrays();
        }
        return;
      }
      if (size == ids.length) {
        compact();
        at = firstAfter(seq, id);
      }
      System.arraycopy(ids, at, ids, at + 1, size - at);
      System.arraycopy(seqs, at, seqs, at + 1, size - at);
      ids[at] = id;
      seqs[at] = seq;
      size++;
      return;
    }
    if (size == ids.length) {
      compact();
    }
    seqs[size] = seq;
    ids[size++] = id;
    last = id;
    lastSeq = seq;
  }

  /** The position an id goes to: after every id before it (holes of its sequence included). */
  private int firstAfter(long seq, String id) {
    int i = firstAtOrAfter(seq);
    while (i < size && seqs[i] == seq && (ids[i] == null || ids[i].compareTo(id) < 0)) {
      i++;
    }
    return i;
  }

  void remove(String id) {
    if (!strays.isEmpty() && strays.remove(id)) {
      return;
    }
    long seq = Task.seqOf(id);
    for (int i = firstAtOrAfter(seq); i < size && seqs[i] == seq; i++) {
      if (id.equals(ids[i])) {
        ids[i] = null;
        holes++;
        if (holes > 1_024 && holes > size / 2) {
          compact();
        }
        return;
      }
    }
  }

  /** Walks the ids with a sequence above {@code afterSeq}, lowest first, while {@code visit} answers true. */
  void ascending(long afterSeq, Predicate<String> visit) {
    if (afterSeq == Long.MAX_VALUE) {
      return;
    }
    String from = bound(afterSeq + 1);
    Iterator<String> extra = strays.tailSet(from, true).iterator();
    String next = extra.hasNext() ? extra.next() : null;
    for (int i = firstAtOrAfter(afterSeq + 1); i < size || next != null; ) {
      String here = i < size ? ids[i] : null;
      if (i < size && here == null) {
        i++;
        continue;
      }
      String take;
      if (here != null && (next == null || ORDER.compare(here, next) < 0)) {
        take = here;
        i++;
      } else {
        take = next;
        next = extra.hasNext() ? extra.next() : null;
      }
      if (!visit.test(take)) {
        return;
      }
    }
  }

  /** Walks the ids with a sequence below {@code beforeSeq}, highest first, while {@code visit} answers true. */
  void descending(long beforeSeq, Predicate<String> visit) {
    if (beforeSeq <= 0) {
      return;
    }
    String below = bound(beforeSeq);
    NavigableSet<String> smaller = strays.headSet(below, false);
    Iterator<String> extra = smaller.descendingIterator();
    String next = extra.hasNext() ? extra.next() : null;
    for (int i = firstAtOrAfter(beforeSeq) - 1; i >= 0 || next != null; ) {
      String here = i >= 0 ? ids[i] : null;
      if (i >= 0 && here == null) {
        i--;
        continue;
      }
      String take;
      if (here != null && (next == null || ORDER.compare(here, next) > 0)) {
        take = here;
        i--;
      } else {
        take = next;
        next = extra.hasNext() ? extra.next() : null;
      }
      if (!visit.test(take)) {
        return;
      }
    }
  }

  /** The smallest possible id of sequence {@code seq} in {@link #ORDER}: the id "-seq" sorts before any node's. */
  private static String bound(long seq) {
    return "-" + seq;
  }

  /** The first position whose sequence is {@code seq} or more (a hole or not); {@code size} if none. */
  private int firstAtOrAfter(long seq) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (seqs[mid] < seq) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** One pass that merges the strays into the array, in order. */
  private void mergeStrays() {
    String[] merged = new String[Math.max(256, (size - holes + strays.size()) * 3 / 2)];
    long[] mergedSeqs = new long[merged.length];
    int n = 0;
    Iterator<String> extra = strays.iterator();
    String next = extra.hasNext() ? extra.next() : null;
    for (int i = 0; i < size; i++) {
      String here = ids[i];
      if (here == null) {
        continue;
      }
      while (next != null && ORDER.compare(next, here) < 0) {
        mergedSeqs[n] = Task.seqOf(next);
        merged[n++] = next;
        next = extra.hasNext() ? extra.next() : null;
      }
      mergedSeqs[n] = seqs[i];
      merged[n++] = here;
    }
    while (next != null) {
      mergedSeqs[n] = Task.seqOf(next);
      merged[n++] = next;
      next = extra.hasNext() ? extra.next() : null;
    }
    ids = merged;
    seqs = mergedSeqs;
    size = n;
    holes = 0;
    strays.clear();
    if (n > 0) {
      last = merged[n - 1];
      lastSeq = mergedSeqs[n - 1];
    }
  }

  /** Drops the holes, keeping the order; grows the array when it is still more than three quarters full. */
  private void compact() {
    int kept = 0;
    for (int i = 0; i < size; i++) {
      if (ids[i] != null) {
        seqs[kept] = seqs[i];
        ids[kept++] = ids[i];
      }
    }
    Arrays.fill(ids, kept, size, null);
    size = kept;
    holes = 0;
    if (size > ids.length * 3 / 4) {
      ids = Arrays.copyOf(ids, ids.length * 2);
      seqs = Arrays.copyOf(seqs, seqs.length * 2);
    } else if (ids.length > 1_024 && size < ids.length / 4) {
      ids = Arrays.copyOf(ids, Math.max(1_024, size * 2));
      seqs = Arrays.copyOf(seqs, ids.length);
    }
  }
}
