package io.taskloop.http;

import io.taskloop.loop.EventView;
import io.taskloop.task.Common;
import io.taskloop.task.EventSpec;
import io.taskloop.task.GatherSpec;
import io.taskloop.task.SleepSpec;
import io.taskloop.task.Task;
import io.taskloop.task.TaskSpec;
import io.taskloop.task.WaitSpec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/** The wire shape of tasks and events: the one place that turns records into JSON. */
public final class TaskJson {

  private TaskJson() {
  }

  public static JsonObject task(Task t, String nodeId) {
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
    json.put("created_at", time(t.createdAt()))
        .put("started_at", time(t.startedAt()))
        .put("finished_at", time(t.finishedAt()))
        .put("deadline", time(t.deadline()))
        .put("loop", new JsonObject().put("node", nodeId).put("index", t.loop()))
        .put("parent", t.parent())
        .put("children", new JsonArray(t.children()))
        .put("labels", new JsonObject(new java.util.LinkedHashMap<>(common.labels())))
        .put("version", t.version());
    return json;
  }

  /** The flat spec as given, with inline children replaced by the ids they were created as. */
  static JsonObject spec(TaskSpec spec, List<String> children) {
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
    if (spec instanceof SleepSpec s) {
      json.put("delay_ms", s.delayMs());
      if (s.result() != null) {
        json.put("result", s.result());
      }
    } else if (spec instanceof EventSpec e) {
      json.put("event", e.event());
    } else if (spec instanceof GatherSpec g) {
      json.put("tasks", new JsonArray(children)).put("return_exceptions", g.returnExceptions());
    } else if (spec instanceof WaitSpec w) {
      json.put("tasks", new JsonArray(children)).put("return_when", w.returnWhen().name());
    } else if (!children.isEmpty()) {
      json.put("task", children.get(0));
    }
    return json;
  }

  public static JsonObject event(EventView e) {
    return new JsonObject()
        .put("name", e.name())
        .put("set", e.set())
        .put("payload", e.payload())
        .put("set_at", time(e.setAt()))
        .put("waiters", e.waiters())
        .put("version", e.version());
  }

  private static String time(long epochMillis) {
    return epochMillis == 0 ? null : Instant.ofEpochMilli(epochMillis).toString();
  }
}
