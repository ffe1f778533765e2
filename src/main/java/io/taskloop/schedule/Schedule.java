package io.taskloop.schedule;

import io.taskloop.task.JsonText;
import io.taskloop.task.SpecDecoder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * A schedule as its owner holds it: the definition and what its ticks did. {@link #cursor} is
 * the latest tick handled (fired, skipped or missed): the next tick is the first after it, so
 * a new owner or a restarted node carries on from there. One loop owns a schedule and is the
 * only one that touches it.
 */
public final class Schedule {

  /** How many runs, skipped and missed ticks a schedule remembers. */
  public static final int RECENT = 10;

  /**
   * One fired run: the tick, the task it made, and that task's state as last seen.
   * {@code tickText}: the tick as text, made once; the record writes every recent run's on every fire.
   */
  public record Run(long tick, String taskId, boolean manual, String state, String tickText) {
    public Run(long tick, String taskId, boolean manual, String state) {
      this(tick, taskId, manual, state, time(tick));
    }

    Run withState(String state) {
      return new Run(tick, taskId, manual, state, tickText);
    }

    JsonObject toJson() {
      return new JsonObject().put("tick", tickText).put("task_id", taskId).put("manual", manual).put("state", state);
    }
  }

  private ScheduleSpec spec;
  private final long createdAt;
  private long updatedAt;
  private long version;
  private long cursor;
  private final Deque<Run> runs = new ArrayDeque<>();
  private long skipped;
  private final Deque<Long> recentSkipped = new ArrayDeque<>();
  private long missed;
  private final Deque<Long> recentMissed = new ArrayDeque<>();
  private long buffered;
  /** The task of the latest run, while it may be unfinished (what overlap looks at); null otherwise. */
  private String latest;
  private boolean deleted;
  /** {@link #next()} as last worked out, for {@link #nextFor} and {@link #nextSpec}: a cron's next tick costs tens of µs. */
  private long nextTick;
  private long nextFor = Long.MIN_VALUE;
  private ScheduleSpec nextSpec;
  /** The definition's part of {@link #recordText}, made once per definition. */
  private String definitionText;
  private ScheduleSpec definitionOf;

  /** The instant its loop's scheduler last armed a visit to it for, Long.MIN_VALUE when none is armed. */
  private long armedAt = Long.MIN_VALUE;

  public Schedule(ScheduleSpec spec, long createdAt, long version) {
    this.spec = spec;
    this.createdAt = createdAt;
    this.updatedAt = createdAt;
    this.version = version;
    this.cursor = createdAt;
  }

  // ---------------------------------------------------------------- the owning loop's mark

  /**
   * The instant the owning loop's scheduler armed a visit for, kept on the schedule rather than
   * in a map by id that every due schedule of a tick looked up.
   */
  public long armedAt() {
    return armedAt;
  }

  /** {@code when}: the instant armed for, Long.MIN_VALUE for none (the next visit is armed afresh). */
  public void armedAt(long when) {
    this.armedAt = when;
  }

  public ScheduleSpec spec() {
    return spec;
  }

  public String id() {
    return spec.id();
  }

  public long version() {
    return version;
  }

  public long cursor() {
    return cursor;
  }

  public long createdAt() {
    return createdAt;
  }

  public boolean deleted() {
    return deleted;
  }

  public String latest() {
    return latest;
  }

  public long buffered() {
    return buffered;
  }

  /** The next tick to handle, or Long.MAX_VALUE when none is due ever (paused, past end_at). */
  public long next() {
    if (spec.paused() || deleted) {
      return Long.MAX_VALUE;
    }
    if (nextSpec != spec || nextFor != cursor) {
      nextTick = spec.nextAfter(cursor);
      nextFor = cursor;
      nextSpec = spec;
    }
    return nextTick;
  }

  /** The next {@code n} ticks after {@code now} (none while paused). */
  public JsonArray nextFires(long now, int n) {
    JsonArray out = new JsonArray();
    if (spec.paused() || deleted) {
      return out;
    }
    long t = Math.max(now, cursor);
    for (int i = 0; i < n; i++) {
      t = spec.nextAfter(t);
      if (t == Long.MAX_VALUE) {
        break;
      }
      out.add(time(t));
    }
    return out;
  }

  // ---------------------------------------------------------------- changes (each makes a new version)

  /** A client replaced the definition: the new cadence counts from {@code now}, nothing of the old one catches up. */
  public void replace(ScheduleSpec next, long now) {
    spec = next;
    cursor = Math.max(cursor, now);
    buffered = 0;
    touched(now);
  }

  public void pause(boolean paused, long now) {
    spec = spec.paused(paused);
    if (paused) {
      buffered = 0;
    }
    touched(now);
  }

  public void delete(long now) {
    deleted = true;
    touched(now);
  }

  /** A tick fired {@code taskId} (a trigger's run does not move the cursor). */
  public void fired(long tick, String taskId, boolean manual, String state, long now) {
    remember(runs, new Run(tick, taskId, manual, state));
    latest = taskId;
    if (!manual) {
      cursor = Math.max(cursor, tick);
      if (buffered == tick) {
        buffered = 0;
      }
    }
    touched(now);
  }

  /** A tick did not fire because the previous run was unfinished ({@code overlap: skip}, or a second buffered one). */
  public void skipped(long tick, long now) {
    skipped++;
    remember(recentSkipped, tick);
    cursor = Math.max(cursor, tick);
    touched(now);
  }

  /** A tick is waiting for the previous run to finish ({@code overlap: buffer_one}). */
  public void buffer(long tick, long now) {
    buffered = tick;
    cursor = Math.max(cursor, tick);
    touched(now);
  }

  /**
   * {@code count} ticks, the latest {@code last}, passed beyond the catch-up window and never
   * fire; the schedule carries on after {@code cursor} ({@code last}, or later when a gap too
   * long to count was passed over).
   */
  public void missed(long count, long last, long cursor, long now) {
    missed += count;
    remember(recentMissed, last);
    this.cursor = Math.max(this.cursor, cursor);
    touched(now);
  }

  /** The latest run's task finished (or is gone): overlap no longer waits on it. */
  public void runEnded(String taskId, String state) {
    if (taskId.equals(latest)) {
      latest = null;
    }
    noteState(taskId, state);
  }

  /** A run's task was seen in {@code state}. */
  public void noteState(String taskId, String state) {
    Iterator<Run> it = runs.iterator();
    Deque<Run> copy = new ArrayDeque<>(runs.size());
    while (it.hasNext()) {
      Run r = it.next();
      copy.addLast(taskId.equals(r.taskId()) ? r.withState(state) : r);
    }
    runs.clear();
    runs.addAll(copy);
  }

  public Iterable<Run> runs() {
    return runs;
  }

  private void touched(long now) {
    updatedAt = now;
    version++;
  }

  private static <T> void remember(Deque<T> recent, T item) {
    recent.addFirst(item);
    while (recent.size() > RECENT) {
      recent.removeLast();
    }
  }

  // ---------------------------------------------------------------- records

  /** The schedule as a client reads it, with its next five fires after {@code now}. */
  public JsonObject toJson(long now) {
    JsonObject json = spec.toJson();
    json.put("created_at", time(createdAt)).put("updated_at", time(updatedAt))
        .put("next_fires", nextFires(now, 5))
        .put("last_tick", cursor > createdAt || !runs.isEmpty() ? time(cursor) : null)
        .put("recent_runs", runsJson())
        .put("skipped", ticks(skipped, recentSkipped))
        .put("missed", ticks(missed, recentMissed))
        .put("buffered", buffered == 0 ? null : time(buffered))
        .put("version", version);
    return json;
  }

  /** What the journal and the cluster keep: enough to carry on exactly where this owner was. */
  public JsonObject toRecord() {
    return new JsonObject(recordText());
  }

  /**
   * The record's JSON text, written straight out: every fire writes it, and building it as an
   * object for Jackson to walk was a quarter of a node's CPU at 1,000 fires a second. The
   * definition's part is made once per definition.
   */
  public String recordText() {
    if (definitionOf != spec) {
      definitionText = spec.toRequest().encode();
      definitionOf = spec;
    }
    StringBuilder b = new StringBuilder(320 + definitionText.length() + 96 * runs.size());
    b.append("{\"id\":");
    JsonText.string(b, spec.id());
    b.append(",\"version\":").append(version).append(",\"deleted\":").append(deleted)
        .append(",\"definition\":").append(definitionText)
        .append(",\"created_at\":").append(createdAt).append(",\"updated_at\":").append(updatedAt)
        .append(",\"cursor\":").append(cursor).append(",\"runs\":[");
    String comma = "";
    for (Run r : runs) {
      b.append(comma).append("{\"tick\":\"").append(r.tickText()).append("\",\"task_id\":");
      JsonText.value(b, r.taskId());
      b.append(",\"manual\":").append(r.manual()).append(",\"state\":");
      JsonText.value(b, r.state());
      b.append('}');
      comma = ",";
    }
    b.append("],\"skipped\":").append(skipped).append(",\"missed\":").append(missed);
    longs(b.append(",\"recent_skipped\":"), recentSkipped);
    longs(b.append(",\"recent_missed\":"), recentMissed);
    b.append(",\"buffered\":").append(buffered).append(",\"latest\":");
    JsonText.value(b, latest);
    return b.append('}').toString();
  }

  private static void longs(StringBuilder b, Deque<Long> values) {
    b.append('[');
    String comma = "";
    for (long v : values) {
      b.append(comma).append(v);
      comma = ",";
    }
    b.append(']');
  }

  /** Reads a record back; {@code firedUpTo}: the latest tick the store says fired (its cursor may lag). */
  public static Schedule fromRecord(JsonObject record, long firedUpTo, SpecDecoder tasks) {
    long createdAt = record.getLong("created_at");
    ScheduleSpec spec = ScheduleSpec.decode(record.getJsonObject("definition"), record.getString("id"), createdAt, tasks);
    Schedule s = new Schedule(spec, createdAt, record.getLong("version"));
    s.updatedAt = record.getLong("updated_at");
    s.cursor = Math.max(record.getLong("cursor"), firedUpTo);
    s.deleted = record.getBoolean("deleted", false);
    JsonArray runs = record.getJsonArray("runs", new JsonArray());
    for (int i = runs.size() - 1; i >= 0; i--) {
      JsonObject r = runs.getJsonObject(i);
      remember(s.runs, new Run(Instant.parse(r.getString("tick")).toEpochMilli(), r.getString("task_id"),
          r.getBoolean("manual", false), r.getString("state")));
    }
    s.skipped = record.getLong("skipped", 0L);
    s.missed = record.getLong("missed", 0L);
    JsonArray rs = record.getJsonArray("recent_skipped", new JsonArray());
    for (int i = rs.size() - 1; i >= 0; i--) {
      remember(s.recentSkipped, rs.getLong(i));
    }
    JsonArray rm = record.getJsonArray("recent_missed", new JsonArray());
    for (int i = rm.size() - 1; i >= 0; i--) {
      remember(s.recentMissed, rm.getLong(i));
    }
    s.buffered = record.getLong("buffered", 0L);
    s.latest = record.getString("latest");
    return s;
  }

  private JsonArray runsJson() {
    JsonArray out = new JsonArray();
    for (Run r : runs) {
      out.add(r.toJson());
    }
    return out;
  }

  private static JsonObject ticks(long count, Deque<Long> recent) {
    JsonArray list = new JsonArray();
    for (long t : recent) {
      list.add(time(t));
    }
    return new JsonObject().put("count", count).put("recent", list);
  }

  static String time(long epochMillis) {
    return Instant.ofEpochMilli(epochMillis).toString();
  }
}
