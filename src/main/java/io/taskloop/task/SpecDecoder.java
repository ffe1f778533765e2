package io.taskloop.task;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
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
  public static final int MAX_LABELS = 32;
  private static final int MAX_HEADERS = 50;
  private static final int MAX_LABEL_LENGTH = 200;

  /** Fields whose value may be JSON null: values passed through as given. */
  private static final Set<String> NULLABLE = Set.of("result", "body");
  private static final Set<String> COMMON = Set.of("type", "name", "timeout_ms", "labels", "on_done");
  /** A top-level task's own start ({@link #startAt}); a child starts when its parent does. */
  private static final Set<String> START = Set.of("start_at", "start_in_ms");
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
  private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}");
  private static final Pattern STATUS_RULE = Pattern.compile("[1-5](xx|[0-9][0-9])");
  private static final Pattern ERROR_TYPE = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]{0,99}");
  private static final Map<TaskType, Set<String>> FIELDS = Map.of(
      TaskType.SLEEP, Set.of("delay_ms", "result"),
      TaskType.EXTERNAL, Set.of(),
      TaskType.EVENT, Set.of("event"),
      TaskType.HTTP, Set.of("request", "expect_status", "attempt_timeout_ms", "retry"),
      TaskType.EVENTBUS, Set.of("address", "body", "headers", "attempt_timeout_ms", "retry"),
      TaskType.GATHER, Set.of("tasks", "return_exceptions"),
      TaskType.WAIT, Set.of("tasks", "return_when"),
      TaskType.WAIT_FOR, Set.of("task"),
      TaskType.SHIELD, Set.of("task"));

  private final int maxChildren;
  private final int maxDepth;
  private final OutboundGuard guard;

  /** The guard outbound requests answer to: their URLs here, their connected addresses when they go. */
  public OutboundGuard guard() {
    return guard;
  }

  public SpecDecoder(int maxChildren, int maxDepth, OutboundGuard guard) {
    this.maxChildren = maxChildren;
    this.maxDepth = maxDepth;
    this.guard = guard;
  }

  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  private static final int MAX_KEY_LENGTH = 200;
  /** The keys schedules' fires are created under ({@code schedule:<id>:<tick>}): not a client's to take. */
  public static final String SCHEDULE_KEYS = "schedule:";

  /** An {@code Idempotency-Key} as given (null when absent), or a 422 naming the header. */
  public static String idempotencyKey(String key) {
    if (key != null && (key.isBlank() || key.length() > MAX_KEY_LENGTH)) {
      throw Problem.invalidParameter(IDEMPOTENCY_KEY, "the key must be 1 to " + MAX_KEY_LENGTH + " characters");
    }
    if (key != null && key.startsWith(SCHEDULE_KEYS)) {
      throw Problem.invalidParameter(IDEMPOTENCY_KEY, "keys starting with '" + SCHEDULE_KEYS + "' name schedules' ticks;"
          + " choose another");
    }
    return key;
  }

  public TaskSpec decode(JsonObject json) {
    return decode(json, "", 1, null, false, "");
  }

  /** A client's spec, its tasks (inline children too) belonging to {@code tenant}. */
  public TaskSpec decode(JsonObject json, String tenant) {
    return decode(json, "", 1, null, false, tenant);
  }

  /**
   * Reads back a spec the node wrote itself (a stored or replicated record, a schedule's fire):
   * as a client's, and it may carry the {@code schedule} that fired it, which a client may not set.
   */
  public TaskSpec decodeStored(JsonObject json) {
    return decode(json, "", 1, null, true, "");
  }

  /**
   * A schedule's task: a spec as {@code POST /v1/tasks} takes it, whose errors point under
   * {@code at}; it starts at its tick, so it may not carry a start of its own.
   */
  public TaskSpec decodeTemplate(JsonObject json, String at) {
    for (String field : START) {
      if (json.containsKey(field)) {
        throw Problem.invalid(at + "/" + field, "a schedule's task starts at its tick; " + field + " is not taken here");
      }
    }
    return decode(json, at, 1, null, false, "");
  }

  /**
   * Decodes a body whose type the endpoint already fixes ({@code POST /v1/gather}): {@code type}
   * may be left out, and if given must be {@code forced}.
   */
  public TaskSpec decode(JsonObject json, TaskType forced) {
    return decode(json, "", 1, forced, false, "");
  }

  /** As {@link #decode(JsonObject, TaskType)}, the tasks belonging to {@code tenant}. */
  public TaskSpec decode(JsonObject json, TaskType forced, String tenant) {
    return decode(json, "", 1, forced, false, tenant);
  }

  private TaskSpec decode(JsonObject json, String at, int depth, TaskType forced, boolean stored, String tenant) {
    if (depth > maxDepth) {
      throw Problem.tooLarge(at, "tasks nest deeper than the limit of " + maxDepth);
    }
    TaskType type = type(json, at, forced);
    for (String field : json.fieldNames()) {
      if (json.getValue(field) == null && !NULLABLE.contains(field)) {
        throw Problem.invalid(at + "/" + escape(field), field + " must not be null; leave it out instead");
      }
      if (START.contains(field)) {
        if (depth > 1) {
          throw Problem.invalid(at + "/" + field, "only a top-level task may be delayed; a child starts when its parent does");
        }
        continue;
      }
      if (stored && depth == 1 && (field.equals("schedule") || field.equals("tenant"))) {
        continue;
      }
      if (!COMMON.contains(field) && !FIELDS.get(type).contains(field)) {
        throw Problem.invalid(at + "/" + escape(field), "unknown field '" + field + "' for type " + type.wire());
      }
    }
    Common common = Common.of(optionalName(json, at), optionalMs(json, "timeout_ms", at),
        stringMap(json, "labels", at, MAX_LABELS), onDone(json, at, stored && depth == 1 ? json.getString("tenant", "") : tenant),
        stored && depth == 1 ? ScheduleRef.fromJson(json.getValue("schedule")) : null,
        stored && depth == 1 ? json.getString("tenant", "") : tenant);
    return switch (type) {
      case SLEEP -> SleepSpec.of(common, requiredMs(json, "delay_ms", at), json.getValue("result"));
      case EXTERNAL -> new ExternalSpec(common);
      case EVENT -> new EventSpec(common, eventName(json, at));
      case HTTP -> http(json, at, common);
      case EVENTBUS -> new EventBusSpec(common, address(json.getValue("address"), at + "/address"), json.getValue("body"),
          stringMap(json, "headers", at, MAX_HEADERS), attemptTimeout(json, at, EventBusSpec.DEFAULT_ATTEMPT_TIMEOUT_MS),
          retry(json, at, RetryPolicy.DEFAULT_EVENTBUS_ON));
      case GATHER -> new GatherSpec(common, children(json, at, depth, false, tenant), bool(json, "return_exceptions", at));
      case WAIT -> new WaitSpec(common, children(json, at, depth, true, tenant), returnWhen(json, at));
      case WAIT_FOR -> new WaitForSpec(common, child(json.getValue("task"), at + "/task", depth, true, tenant));
      case SHIELD -> new ShieldSpec(common, child(json.getValue("task"), at + "/task", depth, true, tenant));
    };
  }

  private static TaskType type(JsonObject json, String at, TaskType forced) {
    Object raw = json.getValue("type");
    if (raw == null && forced != null && !json.containsKey("type")) {
      return forced;
    }
    if (!(raw instanceof String s)) {
      throw Problem.invalid(at + "/type", raw == null ? "type is required" : "type must be a string");
    }
    TaskType type = TaskType.fromWire(s);
    if (type == null) {
      throw Problem.invalid(at + "/type",
          "unknown type '" + s + "'; one of sleep, external, event, http, eventbus, gather, wait, wait_for, shield");
    }
    if (forced != null && type != forced) {
      throw Problem.invalid(at + "/type", "this endpoint takes type " + forced.wire() + ", got " + s);
    }
    return type;
  }

  private List<ChildRef> children(JsonObject json, String at, int depth, boolean nonEmpty, String tenant) {
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
      refs.add(child(array.getValue(i), at + "/tasks/" + i, depth, false, tenant));
    }
    return List.copyOf(refs);
  }

  private ChildRef child(Object raw, String at, int depth, boolean required, String tenant) {
    if (raw instanceof JsonObject spec) {
      return new ChildRef.Inline(decode(spec, at, depth + 1, null, false, tenant));
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

  /**
   * When the task a create body asks for starts (asyncio's {@code call_at} / {@code call_later}):
   * {@code start_at} as an RFC 3339 instant, or {@code start_in_ms} from {@code now}; 0 when it
   * asks for neither. An instant already past is kept (the task starts at once); more than
   * {@code horizonMs} ahead is a 422 naming the field.
   */
  public static long startAt(JsonObject body, long now, long horizonMs) {
    Object at = body.getValue("start_at");
    Object in = body.getValue("start_in_ms");
    if (at != null && in != null) {
      throw Problem.invalid("/start_in_ms", "give start_at or start_in_ms, not both");
    }
    if (in != null) {
      long ms = optionalMs(body, "start_in_ms", "");
      if (ms > horizonMs) {
        throw Problem.invalid("/start_in_ms", "start_in_ms may be at most " + horizonMs + " (start_horizon_ms), got " + ms);
      }
      return ms == 0 ? 0 : now + ms;
    }
    if (at == null) {
      return 0;
    }
    long instant;
    try {
      instant = java.time.OffsetDateTime.parse(((String) at).toUpperCase(java.util.Locale.ROOT).replace(' ', 'T'))
          .toInstant().toEpochMilli();
    } catch (ClassCastException | java.time.format.DateTimeParseException | ArithmeticException e) {
      throw Problem.invalid("/start_at", "start_at must be an RFC 3339 date-time with an offset, such as 2026-12-02T03:00:00Z");
    }
    if (instant - now > horizonMs) {
      throw Problem.invalid("/start_at", "start_at may be at most " + horizonMs + " ms (start_horizon_ms) ahead; "
          + at + " is " + (instant - now) + " ms ahead");
    }
    return instant;
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

  /** {@code labels} of {@code json} (a task's or a schedule's), checked as a task's are; errors point under {@code at}. */
  public static Map<String, String> labels(JsonObject json, String at) {
    return stringMap(json, "labels", at, MAX_LABELS);
  }

  /** labels and headers: an object of strings; keys without '=', each up to 200 characters. */
  private static Map<String, String> stringMap(JsonObject json, String field, String at, int max) {
    Object raw = json.getValue(field);
    if (raw == null) {
      return Map.of();
    }
    if (!(raw instanceof JsonObject obj)) {
      throw Problem.invalid(at + "/" + field, field + " must be an object of strings");
    }
    if (obj.size() > max) {
      throw Problem.invalid(at + "/" + field, "at most " + max + " " + field);
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : obj) {
      if (!(e.getValue() instanceof String v) || v.length() > MAX_LABEL_LENGTH
          || e.getKey().isEmpty() || e.getKey().length() > MAX_LABEL_LENGTH || e.getKey().contains("=")) {
        throw Problem.invalid(at + "/" + field + "/" + escape(e.getKey()),
            "each of " + field + " is a key without '=' and a string value, each up to " + MAX_LABEL_LENGTH + " characters");
      }
      out.put(e.getKey(), v);
    }
    return Map.copyOf(out);
  }

  private HttpSpec http(JsonObject json, String at, Common common) {
    Object raw = json.getValue("request");
    String rat = at + "/request";
    if (!(raw instanceof JsonObject request)) {
      throw Problem.invalid(rat, raw == null ? "request is required" : "request must be an object {method, url, headers, body}");
    }
    for (String field : request.fieldNames()) {
      if (!Set.of("method", "url", "headers", "body").contains(field)) {
        throw Problem.invalid(rat + "/" + escape(field), "unknown field '" + field + "'; a request has method, url, headers, body");
      }
    }
    Object m = request.getValue("method");
    String method = m == null ? "GET" : m instanceof String s ? s : null;
    if (method == null || !METHODS.contains(method)) {
      throw Problem.invalid(rat + "/method", "method must be one of " + METHODS);
    }
    String url = url(request.getValue("url"), rat + "/url", common.tenant());
    return new HttpSpec(common, method, url, stringMap(request, "headers", rat, MAX_HEADERS), request.getValue("body"),
        expectStatus(json, at), attemptTimeout(json, at, HttpSpec.DEFAULT_ATTEMPT_TIMEOUT_MS),
        retry(json, at, RetryPolicy.DEFAULT_HTTP_ON));
  }

  /** An absolute http(s) URL that the outbound guard lets through; a refused host is a 400. */
  /** An outbound URL of {@code tenant}'s task, checked by the guard as written. */
  private String url(Object raw, String at, String tenant) {
    if (!(raw instanceof String s) || s.length() > 2_000) {
      throw Problem.invalid(at, raw == null ? "url is required" : "url must be a string of at most 2000 characters");
    }
    URI uri;
    try {
      uri = new URI(s);
    } catch (URISyntaxException e) {
      throw Problem.invalid(at, "'" + s + "' is not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getUserInfo() != null) {
      throw Problem.invalid(at, "url must be an absolute http or https URL with a host and no user info");
    }
    if (uri.getPort() > 65_535) {
      throw Problem.invalid(at, "port " + uri.getPort() + " is over 65535");
    }
    String refusal = guard.refusal(uri, tenant);
    if (refusal != null) {
      throw Problem.denied(at, refusal);
    }
    return s;
  }

  private static List<String> expectStatus(JsonObject json, String at) {
    Object raw = json.getValue("expect_status");
    if (raw == null) {
      return HttpSpec.DEFAULT_EXPECT;
    }
    List<String> rules = statusOrTypeRules(raw, at + "/expect_status", false);
    if (rules.isEmpty()) {
      throw Problem.invalid(at + "/expect_status", "expect_status needs at least one status");
    }
    return rules;
  }

  /** A list of status codes (200), classes ("2xx") and, for retry's `on`, error types. */
  private static List<String> statusOrTypeRules(Object raw, String at, boolean errorTypes) {
    if (!(raw instanceof JsonArray array) || array.size() > 50) {
      throw Problem.invalid(at, "must be an array of at most 50 status codes" + (errorTypes ? " or error types" : ""));
    }
    List<String> rules = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      Object v = array.getValue(i);
      String rule = v instanceof Integer n && n >= 100 && n <= 599 ? n.toString()
          : v instanceof String s && (STATUS_RULE.matcher(s).matches() || (errorTypes && ERROR_TYPE.matcher(s).matches())) ? s
          : null;
      if (rule == null) {
        throw Problem.invalid(at + "/" + i, "'" + v + "' is not a status code (100-599) or class (\"5xx\")"
            + (errorTypes ? " or an error type" : ""));
      }
      rules.add(rule);
    }
    return List.copyOf(rules);
  }

  private static long attemptTimeout(JsonObject json, String at, long fallback) {
    long ms = optionalMs(json, "attempt_timeout_ms", at);
    if (ms == 0) {
      throw Problem.invalid(at + "/attempt_timeout_ms", "attempt_timeout_ms must be at least 1");
    }
    return ms < 0 ? fallback : ms;
  }

  private static RetryPolicy retry(JsonObject json, String at, List<String> defaultOn) {
    Object raw = json.getValue("retry");
    String rat = at + "/retry";
    if (raw == null) {
      return RetryPolicy.NONE;
    }
    if (!(raw instanceof JsonObject retry)) {
      throw Problem.invalid(rat, "retry must be an object {max_attempts, backoff_ms, multiplier, max_backoff_ms, on}");
    }
    for (String field : retry.fieldNames()) {
      if (!Set.of("max_attempts", "backoff_ms", "multiplier", "max_backoff_ms", "on").contains(field)) {
        throw Problem.invalid(rat + "/" + escape(field), "unknown field '" + field + "' in retry");
      }
    }
    long attempts = optionalMs(retry, "max_attempts", rat);
    if (attempts == 0 || attempts > 100) {
      throw Problem.invalid(rat + "/max_attempts", "max_attempts must be from 1 to 100");
    }
    long backoff = optionalMs(retry, "backoff_ms", rat);
    long maxBackoff = optionalMs(retry, "max_backoff_ms", rat);
    Object mult = retry.getValue("multiplier");
    if (mult != null && (!(mult instanceof Number n) || n.doubleValue() < 1 || n.doubleValue() > 10)) {
      throw Problem.invalid(rat + "/multiplier", "multiplier must be a number from 1 to 10");
    }
    List<String> on = retry.getValue("on") == null ? defaultOn : statusOrTypeRules(retry.getValue("on"), rat + "/on", true);
    return new RetryPolicy(
        attempts < 0 ? RetryPolicy.DEFAULT_MAX_ATTEMPTS : (int) attempts,
        backoff < 0 ? RetryPolicy.DEFAULT_BACKOFF_MS : backoff,
        mult == null ? RetryPolicy.DEFAULT_MULTIPLIER : ((Number) mult).doubleValue(),
        maxBackoff < 0 ? RetryPolicy.DEFAULT_MAX_BACKOFF_MS : maxBackoff,
        on);
  }

  /**
   * An event-bus address a task may use. Addresses under {@code taskloop.} are the service's
   * own (loops, the event-bus API) and are refused, so a task cannot reach into the engine.
   */
  private static String address(Object raw, String at) {
    if (!(raw instanceof String s) || !ADDRESS.matcher(s).matches()) {
      throw Problem.invalid(at, raw == null ? "address is required"
          : "an address is 1 to 200 letters, digits and . _ : @ / -, starting with a letter or digit");
    }
    if (s.startsWith("taskloop.")) {
      throw Problem.invalid(at, "addresses under 'taskloop.' belong to the service itself");
    }
    return s;
  }

  private OnDone onDone(JsonObject json, String at, String tenant) {
    Object raw = json.getValue("on_done");
    String oat = at + "/on_done";
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof JsonObject hook)) {
      throw Problem.invalid(oat, "on_done must be an object {url, headers, address}");
    }
    for (String field : hook.fieldNames()) {
      if (!Set.of("url", "headers", "address").contains(field)) {
        throw Problem.invalid(oat + "/" + escape(field), "unknown field '" + field + "'; on_done has url, headers, address");
      }
    }
    String url = hook.getValue("url") == null ? null : url(hook.getValue("url"), oat + "/url", tenant);
    String address = hook.getValue("address") == null ? null : address(hook.getValue("address"), oat + "/address");
    if (url == null && address == null) {
      throw Problem.invalid(oat, "on_done needs a url, an address, or both");
    }
    return new OnDone(url, stringMap(hook, "headers", oat, MAX_HEADERS), address);
  }

  /** JSON pointer escaping (RFC 6901). */
  static String escape(String token) {
    return token.replace("~", "~0").replace("/", "~1");
  }
}
