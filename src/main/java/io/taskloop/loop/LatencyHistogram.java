package io.taskloop.loop;

import io.vertx.core.json.JsonObject;

/**
 * Timer lateness on one loop: how long after its due time each timer ran, in 50 µs buckets up
 * to 100 ms (later ones share an overflow bucket). Owned by its loop; read through a snapshot.
 */
final class LatencyHistogram {

  private static final int BUCKET_MICROS = 50;
  private static final int BUCKETS = 2_000;

  private final long[] counts = new long[BUCKETS + 1];
  private long total;
  private long maxMicros;

  void record(long micros) {
    long m = Math.max(0, micros);
    counts[(int) Math.min(BUCKETS, m / BUCKET_MICROS)]++;
    total++;
    maxMicros = Math.max(maxMicros, m);
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
