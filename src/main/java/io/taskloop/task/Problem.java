package io.taskloop.task;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A client-facing failure, rendered once as {@code application/problem+json} (RFC 9457). The
 * engine and the handlers throw or fail futures with these; nothing else writes error bodies.
 * No stack trace is captured: these are expected answers, not bugs.
 */
public final class Problem extends RuntimeException {

  private static final String TYPE_PREFIX = "urn:taskloop:problem:";

  private final int status;
  private final String slug;
  private final String title;
  private final String pointer;
  private final long retryAfterSeconds;
  private final Owner livesOn;
  private static final String MISDIRECTED = "misdirected";

  private Problem(int status, String slug, String title, String detail, String pointer, long retryAfterSeconds) {
    this(status, slug, title, detail, pointer, retryAfterSeconds, null);
  }

  private Problem(int status, String slug, String title, String detail, String pointer, long retryAfterSeconds,
      Owner livesOn) {
    super(detail, null, false, false);
    this.livesOn = livesOn;
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.pointer = pointer;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static Problem malformed(String detail) {
    return new Problem(400, "malformed-json", "Malformed JSON", detail, null, 0);
  }

  /** A field that is missing or invalid; {@code pointer} is a JSON pointer (RFC 6901) into the body. */
  public static Problem invalid(String pointer, String detail) {
    return new Problem(422, "invalid-field", "Invalid field", detail, pointer, 0);
  }

  /** An outbound URL the SSRF guard refuses: a policy answer, so a 400 rather than a 422. */
  public static Problem denied(String pointer, String detail) {
    return new Problem(400, "denied-url", "Outbound URL denied", detail, pointer, 0);
  }

  /** An invalid query parameter or header, named by {@code parameter}. */
  public static Problem invalidParameter(String parameter, String detail) {
    return new Problem(422, "invalid-parameter", "Invalid parameter", detail, parameter, 0);
  }

  /**
   * No credentials ({@code presented} false), or credentials that do not check out: answered
   * with {@code WWW-Authenticate: Bearer}, with {@code error="invalid_token"} for the latter.
   */
  public static Problem unauthorized(String detail, boolean presented) {
    return new Problem(401, presented ? "invalid-token" : "unauthorized", "Unauthorized", detail, null, 0);
  }

  /** The caller lacks the scope a request needs. */
  public static Problem forbidden(String detail) {
    return new Problem(403, "forbidden", "Forbidden", detail, null, 0);
  }

  /** What a 401 answers in {@code WWW-Authenticate}; null for any other problem. */
  public String challenge() {
    if (status != 401) {
      return null;
    }
    return slug.equals("invalid-token") ? "Bearer realm=\"taskloop\", error=\"invalid_token\"" : "Bearer realm=\"taskloop\"";
  }

  public static Problem tooLarge(String pointer, String detail) {
    return new Problem(413, "too-large", "Request too large", detail, pointer, 0);
  }

  public static Problem notFound(String what, String detail) {
    return new Problem(404, "not-found", what + " not found", detail, null, 0);
  }

  public static Problem conflict(String detail) {
    return new Problem(409, "state-conflict", "State conflict", detail, null, 0);
  }

  public static Problem tooManyTasks(String detail, long retryAfterSeconds) {
    return new Problem(429, "too-many-tasks", "Too many tasks held", detail, null, retryAfterSeconds);
  }

  /** A tenant made more creates this second than it may (tenant_creates_per_second). */
  public static Problem tooManyCreates(String detail) {
    return new Problem(429, "too-many-creates", "Too many creates", detail, null, 1);
  }

  public static Problem unavailable(String detail) {
    return new Problem(503, "unavailable", "Service unavailable", detail, null, 1);
  }

  /**
   * A 503 for something that, as the node asked sees the cluster, belongs to {@code owner}: the
   * node that passed the call on looks again and asks again for a short while before its client
   * sees this.
   */
  public static Problem moving(String detail, Owner owner) {
    return new Problem(503, "unavailable", "Service unavailable", detail, null, 1, owner);
  }

  /**
   * The task lives on another node now (it was taken over while the node asked was away):
   * the loop that asked re-asks {@code owner}; a client never sees this.
   */
  public static Problem misdirected(String taskId, Owner owner) {
    return new Problem(421, MISDIRECTED, "Misdirected", "task " + taskId + " lives on node " + owner.node() + " now", null,
        0, owner);
  }

  /** Where a misdirected request should go instead; null for any other problem. */
  public Owner livesOn() {
    return livesOn;
  }

  /** A bug on the server's side: the caller is answered at once, and the cause is logged where it happened. */
  public static Problem internal(String detail) {
    return of(500, "Internal error", detail);
  }

  public static Problem of(int status, String title, String detail) {
    return new Problem(status, "http-" + status, title, detail, null, 0);
  }

  public int status() {
    return status;
  }

  public String pointer() {
    return pointer;
  }

  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** The whole problem, for a node that answers another node's request. */
  public JsonObject toWire() {
    JsonObject json = new JsonObject().put("status", status).put("slug", slug).put("title", title)
        .put("detail", getMessage()).put("pointer", pointer).put("retry_after", retryAfterSeconds);
    if (livesOn != null) {
      json.put("lives_on", new JsonObject().put("node", livesOn.node()).put("loop", livesOn.loop()));
    }
    return json;
  }

  public static Problem fromWire(JsonObject json) {
    JsonObject at = json.getJsonObject("lives_on");
    return new Problem(json.getInteger("status"), json.getString("slug"), json.getString("title"),
        json.getString("detail"), json.getString("pointer"), json.getLong("retry_after", 0L),
        at == null ? null : new Owner(at.getString("node"), at.getInteger("loop")));
  }

  public JsonObject toJson(String instance) {
    JsonObject json = new JsonObject()
        .put("type", TYPE_PREFIX + slug)
        .put("title", title)
        .put("status", status)
        .put("detail", getMessage());
    if (instance != null) {
      json.put("instance", instance);
    }
    if (pointer != null) {
      // Body fields are JSON pointers ("/tasks/2/delay_ms"); query parameters and headers are named.
      String key = pointer.startsWith("/") || pointer.isEmpty() ? "pointer" : "parameter";
      json.put(key, pointer);
      json.put("errors", new JsonArray().add(new JsonObject().put(key, pointer).put("detail", getMessage())));
    }
    return json;
  }
}
