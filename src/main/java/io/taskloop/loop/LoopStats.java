package io.taskloop.loop;

import io.vertx.core.json.JsonObject;
import java.util.List;

/** One loop's counters, as {@code GET /v1/cluster} shows them. */
public record LoopStats(int index, String address, int tasksHeld, int unfinished, long created, long finished,
    int timersQueued, int events, int waiting, long[] latenessBuckets, long latenessMaxMicros,
    long[] recentBuckets, long recentMaxMicros) {

  /** Timer lateness over several loops: {@code {count, p50_ms, p99_ms, max_ms}}. */
  public static JsonObject latenessSummary(List<LoopStats> loops) {
    long[] merged = LatencyHistogram.empty();
    long max = 0;
    for (LoopStats s : loops) {
      merged = LatencyHistogram.merge(merged, s.latenessBuckets());
      max = Math.max(max, s.latenessMaxMicros());
    }
    return LatencyHistogram.summary(merged, max);
  }

  /** The same over the last 10–20 s only. */
  public static JsonObject recentLatenessSummary(List<LoopStats> loops) {
    long[] merged = LatencyHistogram.empty();
    long max = 0;
    for (LoopStats s : loops) {
      merged = LatencyHistogram.merge(merged, s.recentBuckets());
      max = Math.max(max, s.recentMaxMicros());
    }
    return LatencyHistogram.summary(merged, max);
  }
}
