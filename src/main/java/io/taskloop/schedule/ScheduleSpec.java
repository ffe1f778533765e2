package io.taskloop.schedule;

import io.taskloop.task.Problem;
import io.taskloop.task.SpecDecoder;
import io.taskloop.task.TaskSpec;
import io.taskloop.task.Tenancy;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a client says a schedule is: when it ticks ({@code cron} in a {@code time_zone}, or
 * {@code every_ms}), the task each tick fires (checked as {@code POST /v1/tasks} checks a task),
 * what a tick does while the previous run is unfinished, how far back missed ticks still fire,
 * the window it runs in, and whether it is paused. Immutable; {@link Schedule} is its state.
 *
 * @param startAt first instant a tick may fall on, 0 for none
 * @param endAt   last instant a tick may fall on, 0 for none
 */
public record ScheduleSpec(String id, String cron, long everyMs, String timeZone, Cadence cadence, JsonObject task,
    TaskSpec taskSpec, Overlap overlap, long catchupWindowMs, long startAt, long endAt, boolean paused,
    Map<String, String> labels) {

  public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  /** Missed ticks younger than this fire once each after a restart, a failover or a resume (catchup_window_ms). */
  public static final long DEFAULT_CATCHUP_MS = 60_000;
  public static final long MAX_CATCHUP_MS = 366L * 24 * 3600 * 1000;
  private static final long MAX_EVERY_MS = 366L * 24 * 3600 * 1000;
  private static final Set<String> FIELDS = Set.of("id", "cron", "every_ms", "time_zone", "task", "overlap",
      "catchup_window_ms", "start_at", "end_at", "paused", "labels");
  /** The label every fired task carries, naming its schedule. */
  public static final String LABEL = "schedule";

  /**
   * Reads schedule {@code id} from a request body (whose own {@code id}, if any, must be the
   * same). {@code anchorMs}: where an {@code every_ms} cadence without {@code start_at} counts
   * from (when the schedule was made). Every error is a 422 pointing at its field; the task's
   * point under {@code /task}.
   */
  public static ScheduleSpec decode(JsonObject body, String id, long anchorMs, SpecDecoder tasks) {
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw Problem.invalid("/" + field, "unknown field '" + field + "'; a schedule has " + String.join(", ",
            new java.util.TreeSet<>(FIELDS)));
      }
      if (body.getValue(field) == null) {
        throw Problem.invalid("/" + field, field + " must not be null; leave it out instead");
      }
    }
    id(body, Tenancy.unqualified(id), null); // the body's own id, if it gives one, must be this one
    Object cronRaw = body.getValue("cron");
    Object everyRaw = body.getValue("every_ms");
    Object zoneRaw = body.getValue("time_zone", "UTC");
    if (!(zoneRaw instanceof String zone)) {
      throw Problem.invalid("/time_zone", "time_zone must be a string naming an IANA zone, such as Europe/Berlin");
    }
    long startAt = instant(body.getValue("start_at"), "/start_at");
    long endAt = instant(body.getValue("end_at"), "/end_at");
    if (startAt != 0 && endAt != 0 && endAt < startAt) {
      throw Problem.invalid("/end_at", "end_at must not be before start_at");
    }
    Cadence cadence;
    String cron = null;
    long everyMs = 0;
    if (cronRaw != null && everyRaw != null) {
      throw Problem.invalid("/every_ms", "give cron or every_ms, not both");
    } else if (cronRaw != null) {
      if (!(cronRaw instanceof String c)) {
        throw Problem.invalid("/cron", "cron must be a string of 5 fields, or 6 with seconds first");
      }
      cron = c.trim();
      cadence = CronCadence.parse(cron, zone);
    } else if (everyRaw != null) {
      everyMs = millis(everyRaw, "/every_ms", MAX_EVERY_MS);
      CronCadence.zone(zone); // checked either way, so a schedule never holds a zone it could not use
      cadence = new EveryCadence(everyMs, startAt != 0 ? startAt : anchorMs);
    } else {
      throw Problem.invalid("/cron", "a schedule needs cron (5 or 6 fields) or every_ms");
    }
    Object taskRaw = body.getValue("task");
    if (!(taskRaw instanceof JsonObject task)) {
      throw Problem.invalid("/task", taskRaw == null ? "task is required: the spec of the task each tick fires"
          : "task must be an object: a task spec as POST /v1/tasks takes it");
    }
    TaskSpec taskSpec = tasks.decodeTemplate(task, "/task");
    if (taskSpec.common().labels().containsKey(LABEL)) {
      throw Problem.invalid("/task/labels/" + LABEL, "the label '" + LABEL + "' is set on every fired task to the schedule's id");
    }
    if (taskSpec.common().labels().size() >= SpecDecoder.MAX_LABELS) {
      throw Problem.invalid("/task/labels", "a schedule's task may have at most " + (SpecDecoder.MAX_LABELS - 1)
          + " labels: the schedule adds '" + LABEL + "'");
    }
    Overlap overlap = Overlap.fromWire(body.getValue("overlap"));
    long catchup = body.containsKey("catchup_window_ms")
        ? millis(body.getValue("catchup_window_ms"), "/catchup_window_ms", MAX_CATCHUP_MS) : DEFAULT_CATCHUP_MS;
    Object paused = body.getValue("paused", false);
    if (!(paused instanceof Boolean p)) {
      throw Problem.invalid("/paused", "paused must be true or false");
    }
    Map<String, String> labels = SpecDecoder.labels(body, "");
    return new ScheduleSpec(id, cron, everyMs, zone, cadence, task.copy(), taskSpec, overlap, catchup, startAt, endAt, p,
        labels);
  }

  /**
   * The id a request names: the path's ({@code pathId}, a PUT), else the body's {@code id}, else
   * {@code newId} (a POST without one). A bad one, or a body's that is not the path's, is a 422 at {@code /id}.
   */
  public static String id(JsonObject body, String pathId, String newId) {
    Object raw = body.getValue("id");
    if (raw != null && !(raw instanceof String)) {
      throw Problem.invalid("/id", "id must be a string");
    }
    String given = (String) raw;
    if (pathId != null && given != null && !given.equals(pathId)) {
      throw Problem.invalid("/id", "the body's id '" + given + "' is not the id in the path, '" + pathId + "'");
    }
    String id = pathId != null ? pathId : given != null ? given : newId;
    if (!ID.matcher(id).matches()) {
      throw Problem.invalid("/id", "id must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    return id;
  }

  private static long millis(Object raw, String pointer, long max) {
    if (!(raw instanceof Number n) || n.doubleValue() != Math.floor(n.doubleValue()) || n.longValue() < 0) {
      throw Problem.invalid(pointer, pointer.substring(1) + " must be a whole number of milliseconds, 0 or more");
    }
    if (n.longValue() > max) {
      throw Problem.invalid(pointer, pointer.substring(1) + " may be at most " + max);
    }
    return n.longValue();
  }

  private static long instant(Object raw, String pointer) {
    if (raw == null) {
      return 0;
    }
    try {
      return OffsetDateTime.parse(((String) raw).toUpperCase(Locale.ROOT).replace(' ', 'T')).toInstant().toEpochMilli();
    } catch (ClassCastException | DateTimeParseException | ArithmeticException e) {
      throw Problem.invalid(pointer, pointer.substring(1) + " must be an RFC 3339 date-time with an offset,"
          + " such as 2026-12-02T03:00:00Z");
    }
  }

  /** The first tick strictly after {@code afterMs} inside [start_at, end_at], or Long.MAX_VALUE when none is left. */
  public long nextAfter(long afterMs) {
    long from = startAt != 0 ? Math.max(afterMs, startAt - 1) : afterMs;
    long next = cadence.nextAfter(from);
    return endAt != 0 && next > endAt ? Long.MAX_VALUE : next;
  }

  /** The definition as a client reads it back: what was sent, normalized. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("id", Tenancy.unqualified(id)).put("cron", cron).put("every_ms", cron == null ? everyMs : null)
        .put("time_zone", timeZone).put("task", task.copy()).put("overlap", overlap.wire())
        .put("catchup_window_ms", catchupWindowMs)
        .put("start_at", startAt == 0 ? null : Instant.ofEpochMilli(startAt).toString())
        .put("end_at", endAt == 0 ? null : Instant.ofEpochMilli(endAt).toString())
        .put("paused", paused)
        .put("labels", new JsonObject(new java.util.LinkedHashMap<>(labels)));
    return json;
  }

  /** The request body that makes this schedule again (what a record keeps of the definition). */
  public JsonObject toRequest() {
    JsonObject json = toJson();
    json.fieldNames().removeIf(f -> json.getValue(f) == null);
    return json;
  }

  public ScheduleSpec paused(boolean paused) {
    return new ScheduleSpec(id, cron, everyMs, timeZone, cadence, task, taskSpec, overlap, catchupWindowMs, startAt,
        endAt, paused, labels);
  }
}
