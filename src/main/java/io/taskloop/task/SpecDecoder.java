package io.taskloop.task;

import io.taskloop.problem.Problem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns a flat JSON spec into a typed {@link TaskSpec}, or fails with a {@link Problem} whose
 * JSON pointer names the offending field. This is the request validation on the hot path: it
 * agrees with the {@code TaskSpec} schema of {@code openapi.yaml} (a contract test checks that)
 * at a fraction of a generic schema validator's cost.
 */
public final class SpecDecoder {

  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}");
  public static final Pattern TASK_ID = Pattern.compile("[a-z0-9]{1,16}-[0-9]{1,4}-[0-9]{1,19}");
  private static final long MAX_MS = 31L * 24 * 3600 * 1000;
  private static final int MAX_LABELS = 32;
  private static final int MAX_LABEL_LENGTH = 200;

  private static final Set<String> COMMON = Set.of("type", "name", "timeout_ms", "labels");
  private static final Map<TaskType, Set<String>> FIELDS = Map.of(
      TaskType.SLEEP, Set.of("delay_ms", "result"),
      TaskType.EXTERNAL, Set.of(),
      TaskType.EVENT, Set.of("event"),
      TaskType.GATHER, Set.of("tasks", "return_exceptions"),
      TaskType.WAIT, Set.of("tasks", "return_when"),
      TaskType.WAIT_FOR, Set.of("task"),
      TaskType.SHIELD, Set.of("task"));

  private final int maxChildren;
  private final int maxDepth;

  public SpecDecoder(int maxChildren, int maxDepth) {
    this.maxChildren = maxChildren;
    this.maxDepth = maxDepth;
  }

  public TaskSpec decode(JsonObject json) {
    return decode(json, "", 1, null);
  }

  /**
   * Decodes a body whose type the endpoint already fixes ({@code POST /v1/gather}): {@code type}
   * may be left out, and if given must be {@code forced}.
   */
  public TaskSpec decode(JsonObject json, TaskType forced) {
    return decode(json, "", 1, forced);
  }

  private TaskSpec decode(JsonObject json, String at, int depth, TaskType forced) {
    if (depth > maxDepth) {
      throw Problem.tooLarge(at, "tasks nest deeper than the limit of " + maxDepth);
    }
    TaskType type = type(json, at, forced);
    for (String field : json.fieldNames()) {
      if (!COMMON.contains(field) && !FIELDS.get(type).contains(field)) {
        throw Problem.invalid(at + "/" + escape(field), "unknown field '" + field + "' for type " + type.wire());
      }
    }
    Common common = Common.of(optionalName(json, at), optionalMs(json, "timeout_ms", at), labels(json, at));
    return switch (type) {
      case SLEEP -> new SleepSpec(common, requiredMs(json, "delay_ms", at), json.getValue("result"));
      case EXTERNAL -> new ExternalSpec(common);
      case EVENT -> new EventSpec(common, eventName(json, at));
      case GATHER -> new GatherSpec(common, children(json, at, depth, false), bool(json, "return_exceptions", at));
      case WAIT -> new WaitSpec(common, children(json, at, depth, true), returnWhen(json, at));
      case WAIT_FOR -> new WaitForSpec(common, child(json.getValue("task"), at + "/task", depth, true));
      case SHIELD -> new ShieldSpec(common, child(json.getValue("task"), at + "/task", depth, true));
    };
  }

  private static TaskType type(JsonObject json, String at, TaskType forced) {
    Object raw = json.getValue("type");
    if (raw == null && forced != null) {
      return forced;
    }
    if (!(raw instanceof String s)) {
      throw Problem.invalid(at + "/type", raw == null ? "type is required" : "type must be a string");
    }
    TaskType type = TaskType.fromWire(s);
    if (type == null) {
      throw Problem.invalid(at + "/type",
          "unknown type '" + s + "'; one of sleep, external, event, gather, wait, wait_for, shield");
    }
    if (forced != null && type != forced) {
      throw Problem.invalid(at + "/type", "this endpoint takes type " + forced.wire() + ", got " + s);
    }
    return type;
  }

  private List<ChildRef> children(JsonObject json, String at, int depth, boolean nonEmpty) {
    Object raw = json.getValue("tasks");
    if (!(raw instanceof JsonArray array)) {
      throw Problem.invalid(at + "/tasks", raw == null ? "tasks is required" : "tasks must be an array");
    }
    if (nonEmpty && array.isEmpty()) {
      throw Problem.invalid(at + "/tasks", "wait needs at least one task");
    }
    if (array.size() > maxChildren) {
      throw Problem.tooLarge(at + "/tasks", array.size() + " children is over the limit of " + maxChildren);
    }
    List<ChildRef> refs = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      refs.add(child(array.getValue(i), at + "/tasks/" + i, depth, false));
    }
    return List.copyOf(refs);
  }

  private ChildRef child(Object raw, String at, int depth, boolean required) {
    if (raw instanceof JsonObject spec) {
      return new ChildRef.Inline(decode(spec, at, depth + 1, null));
    }
    if (raw instanceof String id) {
      if (!TASK_ID.matcher(id).matches()) {
        throw Problem.invalid(at, "'" + id + "' is not a task id");
      }
      return new ChildRef.ById(id);
    }
    throw Problem.invalid(at, raw == null && required ? "task is required" : "a child is a task spec object or a task id string");
  }

  private static long requiredMs(JsonObject json, String field, String at) {
    long ms = optionalMs(json, field, at);
    if (ms < 0) {
      throw Problem.invalid(at + "/" + field, field + " is required");
    }
    return ms;
  }

  /** A non-negative integer number of milliseconds, or -1 when absent. */
  private static long optionalMs(JsonObject json, String field, String at) {
    Object raw = json.getValue(field);
    if (raw == null) {
      return -1;
    }
    if (!(raw instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw Problem.invalid(at + "/" + field, field + " must be an integer number of milliseconds");
    }
    long ms = n.longValue();
    if (ms < 0 || ms > MAX_MS) {
      throw Problem.invalid(at + "/" + field, field + " must be between 0 and " + MAX_MS + ", got " + raw);
    }
    return ms;
  }

  private static String optionalName(JsonObject json, String at) {
    Object raw = json.getValue("name");
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof String s) || s.isEmpty() || s.length() > 200) {
      throw Problem.invalid(at + "/name", "name must be a string of 1 to 200 characters");
    }
    return s;
  }

  private static String eventName(JsonObject json, String at) {
    Object raw = json.getValue("event");
    if (!(raw instanceof String s) || !NAME.matcher(s).matches()) {
      throw Problem.invalid(at + "/event", raw == null ? "event is required"
          : "event must be a name of letters, digits and . _ : @ / - (1 to 200 characters)");
    }
    return s;
  }

  private static boolean bool(JsonObject json, String field, String at) {
    Object raw = json.getValue(field);
    if (raw != null && !(raw instanceof Boolean)) {
      throw Problem.invalid(at + "/" + field, field + " must be true or false");
    }
    return Boolean.TRUE.equals(raw);
  }

  private static ReturnWhen returnWhen(JsonObject json, String at) {
    Object raw = json.getValue("return_when");
    if (raw == null) {
      return ReturnWhen.ALL_COMPLETED;
    }
    ReturnWhen when = raw instanceof String s ? ReturnWhen.fromWire(s) : null;
    if (when == null) {
      throw Problem.invalid(at + "/return_when", "return_when must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED");
    }
    return when;
  }

  private static Map<String, String> labels(JsonObject json, String at) {
    Object raw = json.getValue("labels");
    if (raw == null) {
      return Map.of();
    }
    if (!(raw instanceof JsonObject obj)) {
      throw Problem.invalid(at + "/labels", "labels must be an object of strings");
    }
    if (obj.size() > MAX_LABELS) {
      throw Problem.invalid(at + "/labels", "at most " + MAX_LABELS + " labels");
    }
    Map<String, String> labels = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : obj) {
      if (!(e.getValue() instanceof String v) || v.length() > MAX_LABEL_LENGTH
          || e.getKey().isEmpty() || e.getKey().length() > MAX_LABEL_LENGTH || e.getKey().contains("=")) {
        throw Problem.invalid(at + "/labels/" + escape(e.getKey()),
            "a label is a key without '=' and a string value, each up to " + MAX_LABEL_LENGTH + " characters");
      }
      labels.put(e.getKey(), v);
    }
    return Map.copyOf(labels);
  }

  /** JSON pointer escaping (RFC 6901). */
  static String escape(String token) {
    return token.replace("~", "~0").replace("/", "~1");
  }
}
