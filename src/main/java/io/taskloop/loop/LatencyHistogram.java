package io.taskloop.loop;

import io.vertx.core.json.JsonObject;

/**
 * Timer lateness on one loop: how long after its due time each timer ran, in 50 µs buckets up
 * to 100 ms (later ones share an overflow bucket), since the loop started and over the last
 * 10–20 s (two windows of {@link #WINDOW_MICROS}, the older dropped as a new one begins), which
 * is what a live chart draws. Owned by its loop; read through a snapshot.
 */
final class LatencyHistogram {

  private static final int BUCKET_MICROS = 50;
  private static final int BUCKETS = 2_000;

  static final long WINDOW_MICROS = 10_000_000;

  private final long[] counts = new long[BUCKETS + 1];
  private long total;
  private long maxMicros;
  private long[] current = new long[BUCKETS + 1];
  private long[] previous = new long[BUCKETS + 1];
  private long currentMax;
  private long previousMax;
  private long windowStart;

  void record(long micros, long nowMicros) {
    long m = Math.max(0, micros);
    int bucket = (int) Math.min(BUCKETS, m / BUCKET_MICROS);
    counts[bucket]++;
    total++;
    maxMicros = Math.max(maxMicros, m);
    roll(nowMicros);
    current[bucket]++;
    currentMax = Math.max(currentMax, m);
  }

  /** The bucket counts of the last 10–20 s as of {@code nowMicros} (then {@link #recentMaxMicros}). */
  long[] recent(long nowMicros) {
    roll(nowMicros);
    return merge(previous, current);
  }

  private void roll(long nowMicros) {
    long since = nowMicros - windowStart;
    if (since < WINDOW_MICROS) {
      return;
    }
    long[] spare = previous;
    java.util.Arrays.fill(spare, 0);
    if (since >= 2 * WINDOW_MICROS) {
      java.util.Arrays.fill(current, 0); // the last window is older than the one before too
      currentMax = 0;
    }
    previous = current;
    previousMax = currentMax;
    current = spare;
    currentMax = 0;
    windowStart = nowMicros;
  }

  long recentMaxMicros() {
    return Math.max(previousMax, currentMax);
  }

  long[] snapshot() {
    return counts.clone();
  }

  long maxMicros() {
    return maxMicros;
  }

  /** Summarises bucket counts (possibly merged from several loops) as p50/p99/max in ms. */
  static JsonObject summary(long[] counts, long maxMicros) {
    long n = 0;
    for (long c : counts) {
      n += c;
    }
    return new JsonObject()
        .put("count", n)
        .put("p50_ms", percentile(counts, n, 0.50))
        .put("p99_ms", percentile(counts, n, 0.99))
        .put("max_ms", maxMicros / 1000.0);
  }

  static long[] merge(long[] a, long[] b) {
    long[] out = a.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] += b[i];
    }
    return out;
  }

  static long[] empty() {
    return new long[BUCKETS + 1];
  }

  private static double percentile(long[] counts, long n, double p) {
    if (n == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(p * n);
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return (i + 1) * BUCKET_MICROS / 1000.0; // upper edge of the bucket
      }
    }
    return BUCKETS * BUCKET_MICROS / 1000.0;
  }
}
