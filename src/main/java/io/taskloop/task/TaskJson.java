package io.taskloop.task;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The wire shape of tasks and events: the one place that turns records into JSON. */
public final class TaskJson {

  private TaskJson() {
  }

  public static JsonObject task(Task t) {
    JsonObject json = new JsonObject()
        .put("id", t.id())
        .put("type", t.type().wire())
        .put("state", t.state().wire());
    Common common = t.spec().common();
    if (common.name() != null) {
      json.put("name", common.name());
    }
    json.put("spec", spec(t.spec(), t.children()));
    switch (t.state()) {
      case SUCCEEDED -> {
        json.put("result", t.result());
        if (t.errorSlots() != null) {
          json.put("error_slots", new JsonArray(t.errorSlots()));
        }
      }
      case FAILED, CANCELLED, TIMED_OUT -> json.put("error", t.error().toJson());
      default -> { }
    }
    if (t.attempts() != null) {
      json.put("attempt", t.attempt()).put("attempts", attempts(t));
    }
    json.put("created_at", time(t.createdAt()))
        .put("start_at", time(t.startAt()))
        .put("started_at", time(t.startedAt()))
        .put("finished_at", time(t.finishedAt()))
        .put("deadline", time(t.deadline()))
        .put("loop", new JsonObject().put("node", t.owner().node()).put("index", t.loop()))
        .put("parent", t.parent())
        .put("children", new JsonArray(t.children()))
        .put("labels", new JsonObject(new java.util.LinkedHashMap<>(common.labels())))
        .put("schedule", common.schedule() == null ? null : common.schedule().toJson())
        .put("version", t.version());
    return json;
  }

  /**
   * The text of {@link #task(Task)}, written directly: the same characters as encoding that
   * object, without building it (the tests hold the two to the same text).
   */
  public static String text(Task t) {
    StringBuilder b = new StringBuilder(384);
    b.append("{\"id\":");
    t.appendIdJson(b);
    JsonText.field(b, "type");
    JsonText.string(b, t.type().wire());
    JsonText.field(b, "state");
    JsonText.string(b, t.state().wire());
    Common common = t.spec().common();
    if (common.name() != null) {
      JsonText.field(b, "name");
      JsonText.string(b, common.name());
    }
    JsonText.field(b, "spec");
    JsonText.value(b, spec(t.spec(), t.children()));
    switch (t.state()) {
      case SUCCEEDED -> {
        JsonText.field(b, "result");
        JsonText.value(b, t.result());
        if (t.errorSlots() != null) {
          JsonText.field(b, "error_slots");
          JsonText.value(b, t.errorSlots());
        }
      }
      case FAILED, CANCELLED, TIMED_OUT -> {
        JsonText.field(b, "error");
        JsonText.value(b, t.error().toJson());
      }
      default -> { }
    }
    if (t.attempts() != null) {
      JsonText.field(b, "attempt").append(t.attempt());
      JsonText.field(b, "attempts");
      JsonText.value(b, attempts(t));
    }
    JsonText.field(b, "created_at");
    JsonText.value(b, time(t.createdAt()));
    JsonText.field(b, "start_at");
    JsonText.value(b, time(t.startAt()));
    JsonText.field(b, "started_at");
    JsonText.value(b, time(t.startedAt()));
    JsonText.field(b, "finished_at");
    JsonText.value(b, time(t.finishedAt()));
    JsonText.field(b, "deadline");
    JsonText.value(b, time(t.deadline()));
    JsonText.field(b, "loop").append("{\"node\":");
    JsonText.string(b, t.owner().node());
    JsonText.field(b, "index").append(t.loop()).append('}');
    JsonText.field(b, "parent");
    JsonText.value(b, t.parent());
    JsonText.field(b, "children");
    JsonText.value(b, t.children());
    JsonText.field(b, "labels");
    JsonText.value(b, common.labels());
    JsonText.field(b, "schedule");
    if (common.schedule() == null) {
      b.append("null");
    } else {
      common.schedule().write(b);
    }
    JsonText.field(b, "version").append(t.version());
    return b.append('}').toString();
  }

  private static JsonArray attempts(Task t) {
    JsonArray attempts = new JsonArray();
    for (Attempt a : t.attempts()) {
      attempts.add(new JsonObject()
          .put("number", a.number())
          .put("started_at", time(a.startedAt()))
          .put("finished_at", time(a.finishedAt()))
          .put("error", a.error() == null ? null : a.error().toJson()));
    }
    return attempts;
  }

  /**
   * Reads a task back from the text {@link #text} made of it on another node, and keeps that
   * text as the record's {@link Task#json()}: the text is what this record encodes to (a record
   * read back writes the same characters again), so a node that answers with a task another
   * node sent it writes the bytes it received instead of encoding them anew.
   */
  public static Task fromText(String text, SpecDecoder decoder) {
    Task task = fromJson(new JsonObject(text), decoder);
    task.readFrom(text);
    return task;
  }

  /**
   * Reads a task back from its JSON: how a task record crosses from one node to another. The
   * spec view decodes as a spec whose children are given by id, which is what they are.
   */
  public static Task fromJson(JsonObject json, SpecDecoder decoder) {
    TaskSpec spec = decoder.decodeStored(json.getJsonObject("spec"));
    TaskState state = TaskState.fromWire(json.getString("state"));
    JsonObject err = json.getJsonObject("error");
    TaskError error = err == null ? null : new TaskError(err.getString("type"), err.getString("message"), err.getValue("data"));
    List<Integer> slots = null;
    if (json.getJsonArray("error_slots") != null) {
      slots = new ArrayList<>();
      for (Object o : json.getJsonArray("error_slots")) {
        slots.add(((Number) o).intValue());
      }
    }
    List<Attempt> attempts = null;
    if (json.getJsonArray("attempts") != null) {
      attempts = new ArrayList<>();
      for (Object o : json.getJsonArray("attempts")) {
        JsonObject a = (JsonObject) o;
        JsonObject ae = a.getJsonObject("error");
        attempts.add(new Attempt(a.getInteger("number"), millis(a.getString("started_at")), millis(a.getString("finished_at")),
            ae == null ? null : new TaskError(ae.getString("type"), ae.getString("message"), ae.getValue("data"))));
      }
      attempts = List.copyOf(attempts);
    }
    List<String> children = new ArrayList<>();
    json.getJsonArray("children").forEach(c -> children.add((String) c));
    JsonObject loop = json.getJsonObject("loop");
    return Task.restored(json.getString("id"), new Owner(loop.getString("node"), loop.getInteger("index")), spec, state,
        state == TaskState.SUCCEEDED ? json.getValue("result") : null, error,
        millis(json.getString("created_at")), millis(json.getString("started_at")), millis(json.getString("finished_at")),
        millis(json.getString("deadline")), millis(json.getString("start_at")), json.getString("parent"),
        List.copyOf(children),
        slots == null ? null : List.copyOf(slots), attempts, json.getInteger("version"));
  }

  private static long millis(String iso) {
    return iso == null ? 0 : Instant.parse(iso).toEpochMilli();
  }

  /**
   * A spec as a client sends it, inline children as specs: the canonical form two requests
   * are compared by (an Idempotency-Key's replay must carry the same body).
   */
  public static JsonObject request(TaskSpec spec) {
    List<Object> children = new ArrayList<>();
    for (ChildRef child : spec.children()) {
      children.add(child instanceof ChildRef.ById byId ? byId.id() : request(((ChildRef.Inline) child).spec()));
    }
    return spec(spec, children);
  }

  /** The flat spec as given, with inline children replaced by the ids they were created as. */
  static JsonObject spec(TaskSpec spec, List<?> children) {
    JsonObject json = new JsonObject().put("type", spec.type().wire());
    Common common = spec.common();
    if (common.name() != null) {
      json.put("name", common.name());
    }
    if (common.hasTimeout()) {
      json.put("timeout_ms", common.timeoutMs());
    }
    if (!common.labels().isEmpty()) {
      json.put("labels", new JsonObject(new java.util.LinkedHashMap<>(common.labels())));
    }
    OnDone hook = common.onDone();
    if (hook != null) {
      JsonObject onDone = new JsonObject();
      if (hook.url() != null) {
        onDone.put("url", hook.url());
      }
      if (!hook.headers().isEmpty()) {
        onDone.put("headers", strings(hook.headers()));
      }
      if (hook.address() != null) {
        onDone.put("address", hook.address());
      }
      json.put("on_done", onDone);
    }
    if (common.schedule() != null) {
      json.put("schedule", common.schedule().toJson());
    }
    if (!common.tenant().isEmpty()) {
      json.put("tenant", common.tenant());
    }
    if (spec instanceof HttpSpec h) {
      JsonObject request = new JsonObject().put("method", h.method()).put("url", h.url());
      if (!h.headers().isEmpty()) {
        request.put("headers", strings(h.headers()));
      }
      if (h.body() != null) {
        request.put("body", h.body());
      }
      json.put("request", request)
          .put("expect_status", statusRules(h.expectStatus()))
          .put("attempt_timeout_ms", h.attemptTimeoutMs());
      retry(json, h.retry());
    } else if (spec instanceof EventBusSpec b) {
      json.put("address", b.address());
      if (b.body() != null) {
        json.put("body", b.body());
      }
      if (!b.headers().isEmpty()) {
        json.put("headers", strings(b.headers()));
      }
      json.put("attempt_timeout_ms", b.attemptTimeoutMs());
      retry(json, b.retry());
    }
    if (spec instanceof SleepSpec s) {
      json.put("delay_ms", s.delayMs());
      if (s.result() != null) {
        json.put("result", s.result());
      }
    } else if (spec instanceof EventSpec e) {
      json.put("event", e.event());
    } else if (spec instanceof GatherSpec g) {
      json.put("tasks", new JsonArray(new ArrayList<>(children))).put("return_exceptions", g.returnExceptions());
    } else if (spec instanceof WaitSpec w) {
      json.put("tasks", new JsonArray(new ArrayList<>(children))).put("return_when", w.returnWhen().name());
    } else if (!children.isEmpty()) {
      json.put("task", children.get(0));
    }
    return json;
  }

  private static JsonObject strings(java.util.Map<String, String> map) {
    return new JsonObject(new java.util.LinkedHashMap<>(map));
  }

  /** Status rules as given: codes are numbers, classes ("5xx") and error types are strings. */
  private static JsonArray statusRules(List<String> rules) {
    JsonArray out = new JsonArray();
    for (String rule : rules) {
      out.add(rule.chars().allMatch(Character::isDigit) ? (Object) Integer.valueOf(rule) : rule);
    }
    return out;
  }

  private static void retry(JsonObject json, RetryPolicy retry) {
    if (retry != RetryPolicy.NONE) {
      json.put("retry", new JsonObject()
          .put("max_attempts", retry.maxAttempts())
          .put("backoff_ms", retry.backoffMs())
          .put("multiplier", retry.multiplier())
          .put("max_backoff_ms", retry.maxBackoffMs())
          .put("on", statusRules(retry.on())));
    }
  }

  public static JsonObject event(EventView e) {
    return new JsonObject()
        .put("name", Tenancy.unqualified(e.name()))
        .put("set", e.set())
        .put("payload", e.payload())
        .put("set_at", time(e.setAt()))
        .put("waiters", e.waiters())
        .put("version", e.version());
  }

  /** The text of an instant as {@link Instant#toString()} writes it; 0 is none. */
  static String time(long epochMillis) {
    return epochMillis == 0 ? null : instant(epochMillis);
  }

  /** {@code Instant.ofEpochMilli(epochMillis).toString()}, its second formatted once for every instant in it. */
  public static String instant(long epochMillis) {
    long second = Math.floorDiv(epochMillis, 1000);
    Second last = lastSecond;
    if (last == null || last.epochSecond != second) {
      String whole = Instant.ofEpochSecond(second).toString();
      last = new Second(second, whole.substring(0, whole.length() - 1));
      lastSecond = last;
    }
    int millis = (int) Math.floorMod(epochMillis, 1000);
    if (millis == 0) {
      return last.text + "Z";
    }
    char[] fraction = {'.', (char) ('0' + millis / 100), (char) ('0' + millis / 10 % 10), (char) ('0' + millis % 10), 'Z'};
    return last.text.concat(new String(fraction));
  }

  /**
   * The second most recently written, as text without its zone: nearly every instant written
   * falls in the same second as the one before, so formatting it whole (2.8% of a
   * create-and-await's CPU) is done once a second instead. Shared by the loops; a race only
   * formats a second twice.
   */
  private static volatile Second lastSecond;

  private record Second(long epochSecond, String text) {
  }
}
