package io.taskloop.loop;

import io.taskloop.task.IdPrefix;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * A loop's task ids in sequence order (the number that ends each id), so that a page of
 * {@code GET /v1/tasks} reads from where its cursor points and stops once it is full, instead
 * of going through every task held.
 *
 * <p>An id is its {@link IdPrefix} and its sequence, kept in two arrays side by side (about 12
 * bytes per task with compressed references, 16 without; the prefixes are shared). Ids made here
 * arrive in order and are appended; a removed one leaves a hole (a null prefix) whose sequence
 * stays, so a search is a plain binary search whatever the holes, and the array is compacted
 * once holes are half of it. Ids of one sequence are ordered by their prefixes' text. Ids that arrive far out of
 * order (taken up at a restart, adopted from a departed node; a little late ones are put in
 * their place) go to a sorted set beside it, which is merged into the
 * array once it holds an eighth as many: every operation stays within O(log n) amortized, and a
 * walk merges the two in order.
 */
final class SeqIndex {

  /** What a walk is shown: an id as its prefix and sequence; answers whether to go on. */
  interface Visit {
    boolean test(IdPrefix prefix, long seq);
  }

  /** An id out of its place, in the strays' set: by sequence, then by prefix. */
  private record Stray(long seq, IdPrefix prefix) implements Comparable<Stray> {
    @Override
    public int compareTo(Stray o) {
      return compare(seq, prefix, o.seq, o.prefix);
    }
  }

  private IdPrefix[] prefixes = new IdPrefix[256];
  /** The sequence of each position's id, kept when the id is removed, so a search never walks holes. */
  private long[] seqs = new long[256];
  private int size;
  private int holes;
  private final TreeSet<Stray> strays = new TreeSet<>();
  /** The greatest id the array has held: an id after it can be appended and keep the array sorted. */
  private IdPrefix lastPrefix;
  private long lastSeq;
  /**
   * How far from the end an id that arrives a little out of order is put in its place, by
   * moving those after it: a composite's record is stored after its inline children's, though
   * its id was made first. Sent to the strays instead, one per gather made the set's
   * comparisons 7% of a gather's CPU.
   */
  private static final int NEAR = 64;

  private static int compare(long seqA, IdPrefix a, long seqB, IdPrefix b) {
    int bySeq = Long.compare(seqA, seqB);
    return bySeq != 0 || a == b ? bySeq : a.text().compareTo(b.text());
  }

  void add(IdPrefix prefix, long seq) {
    if (lastPrefix != null && compare(seq, prefix, lastSeq, lastPrefix) < 0) {
      int at = firstAfter(seq, prefix);
      if (size - at > NEAR) {
        strays.add(new Stray(seq, prefix));
        if (strays.size() > 1_024 && strays.size() > (size - holes) / 8) {
          mergeStrays();
        }
        return;
      }
      if (size == prefixes.length) {
        compact();
        at = firstAfter(seq, prefix);
      }
      System.arraycopy(prefixes, at, prefixes, at + 1, size - at);
      System.arraycopy(seqs, at, seqs, at + 1, size - at);
      prefixes[at] = prefix;
      seqs[at] = seq;
      size++;
      return;
    }
    if (size == prefixes.length) {
      compact();
    }
    seqs[size] = seq;
    prefixes[size++] = prefix;
    lastPrefix = prefix;
    lastSeq = seq;
  }

  /** The position an id goes to: after every id before it (holes of its sequence included). */
  private int firstAfter(long seq, IdPrefix prefix) {
    int i = firstAtOrAfter(seq);
    while (i < size && seqs[i] == seq && (prefixes[i] == null || compare(seq, prefixes[i], seq, prefix) < 0)) {
      i++;
    }
    return i;
  }

  void remove(IdPrefix prefix, long seq) {
    if (!strays.isEmpty() && strays.remove(new Stray(seq, prefix))) {
      return;
    }
    for (int i = firstAtOrAfter(seq); i < size && seqs[i] == seq; i++) {
      if (prefixes[i] == prefix) {
        prefixes[i] = null;
        holes++;
        if (holes > 1_024 && holes > size / 2) {
          compact();
        }
        return;
      }
    }
  }

  /** Walks the ids with a sequence above {@code afterSeq}, lowest first, while {@code visit} answers true. */
  void ascending(long afterSeq, Visit visit) {
    if (afterSeq == Long.MAX_VALUE) {
      return;
    }
    Iterator<Stray> extra = strays.tailSet(bound(afterSeq + 1), true).iterator();
    Stray next = extra.hasNext() ? extra.next() : null;
    for (int i = firstAtOrAfter(afterSeq + 1); i < size || next != null; ) {
      IdPrefix here = i < size ? prefixes[i] : null;
      if (i < size && here == null) {
        i++;
        continue;
      }
      boolean fromArray = here != null && (next == null || compare(seqs[i], here, next.seq, next.prefix) < 0);
      boolean go;
      if (fromArray) {
        go = visit.test(here, seqs[i]);
        i++;
      } else {
        go = visit.test(next.prefix, next.seq);
        next = extra.hasNext() ? extra.next() : null;
      }
      if (!go) {
        return;
      }
    }
  }

  /** Walks the ids with a sequence below {@code beforeSeq}, highest first, while {@code visit} answers true. */
  void descending(long beforeSeq, Visit visit) {
    if (beforeSeq <= 0) {
      return;
    }
    NavigableSet<Stray> smaller = strays.headSet(bound(beforeSeq), false);
    Iterator<Stray> extra = smaller.descendingIterator();
    Stray next = extra.hasNext() ? extra.next() : null;
    for (int i = firstAtOrAfter(beforeSeq) - 1; i >= 0 || next != null; ) {
      IdPrefix here = i >= 0 ? prefixes[i] : null;
      if (i >= 0 && here == null) {
        i--;
        continue;
      }
      boolean fromArray = here != null && (next == null || compare(seqs[i], here, next.seq, next.prefix) > 0);
      boolean go;
      if (fromArray) {
        go = visit.test(here, seqs[i]);
        i--;
      } else {
        go = visit.test(next.prefix, next.seq);
        next = extra.hasNext() ? extra.next() : null;
      }
      if (!go) {
        return;
      }
    }
  }

  /** The smallest possible id of sequence {@code seq}: the empty prefix sorts before any node's. */
  private static Stray bound(long seq) {
    return new Stray(seq, LOWEST);
  }

  private static final IdPrefix LOWEST = IdPrefix.of("");

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
    IdPrefix[] merged = new IdPrefix[Math.max(256, (size - holes + strays.size()) * 3 / 2)];
    long[] mergedSeqs = new long[merged.length];
    int n = 0;
    Iterator<Stray> extra = strays.iterator();
    Stray next = extra.hasNext() ? extra.next() : null;
    for (int i = 0; i < size; i++) {
      IdPrefix here = prefixes[i];
      if (here == null) {
        continue;
      }
      while (next != null && compare(next.seq, next.prefix, seqs[i], here) < 0) {
        mergedSeqs[n] = next.seq;
        merged[n++] = next.prefix;
        next = extra.hasNext() ? extra.next() : null;
      }
      mergedSeqs[n] = seqs[i];
      merged[n++] = here;
    }
    while (next != null) {
      mergedSeqs[n] = next.seq;
      merged[n++] = next.prefix;
      next = extra.hasNext() ? extra.next() : null;
    }
    prefixes = merged;
    seqs = mergedSeqs;
    size = n;
    holes = 0;
    strays.clear();
    if (n > 0) {
      lastPrefix = merged[n - 1];
      lastSeq = mergedSeqs[n - 1];
    }
  }

  /** Drops the holes, keeping the order; grows the array when it is still more than three quarters full. */
  private void compact() {
    int kept = 0;
    for (int i = 0; i < size; i++) {
      if (prefixes[i] != null) {
        seqs[kept] = seqs[i];
        prefixes[kept++] = prefixes[i];
      }
    }
    Arrays.fill(prefixes, kept, size, null);
    size = kept;
    holes = 0;
    if (size > prefixes.length * 3 / 4) {
      prefixes = Arrays.copyOf(prefixes, prefixes.length * 2);
      seqs = Arrays.copyOf(seqs, seqs.length * 2);
    } else if (prefixes.length > 1_024 && size < prefixes.length / 4) {
      prefixes = Arrays.copyOf(prefixes, Math.max(1_024, size * 2));
      seqs = Arrays.copyOf(seqs, prefixes.length);
    }
  }
}
