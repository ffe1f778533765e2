package io.taskloop.config;

import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * A node's settings. Each comes from, in rising order of precedence: the default here, the
 * JSON config file ({@code TASKLOOP_CONFIG} names it), and the environment variable
 * {@code TASKLOOP_<KEY>} ({@code http_port} → {@code TASKLOOP_HTTP_PORT}).
 */
public record Config(
    String httpHost,
    int httpPort,
    int loops,
    long retentionMs,
    long maxTasks,
    long maxBodyBytes,
    long maxWaitMs,
    int maxChildren,
    int maxDepth) {

  /** Every key, with its default. The key is the JSON name; the environment name derives from it. */
  public static final Map<String, Object> DEFAULTS = Map.of(
      "http_host", "127.0.0.1",
      "http_port", 8080,
      "loops", Runtime.getRuntime().availableProcessors(),
      "retention_ms", 300_000L,
      "max_tasks", 1_000_000L,
      "max_body_bytes", 1_048_576L,
      "max_wait_ms", 30_000L,
      "max_children", 1_000,
      "max_depth", 32);

  public static String envName(String key) {
    return "TASKLOOP_" + key.toUpperCase(java.util.Locale.ROOT);
  }

  public static Config defaults() {
    return from(new JsonObject(), Map.of());
  }

  /**
   * Builds a config from a file's JSON and an environment; unknown keys and bad values fail
   * with a message that names the key, so a typo never silently falls back to a default.
   */
  public static Config from(JsonObject file, Map<String, String> env) {
    for (String key : file.fieldNames()) {
      if (!DEFAULTS.containsKey(key) && !key.startsWith("x_")) {
        throw new IllegalArgumentException("unknown config key '" + key + "'; known keys: " + DEFAULTS.keySet());
      }
    }
    Values v = new Values(file, env);
    Config config = new Config(
        v.string("http_host"),
        (int) v.number("http_port", 0, 65_535),
        (int) v.number("loops", 1, 1_024),
        v.number("retention_ms", 0, Long.MAX_VALUE),
        v.number("max_tasks", 1, Long.MAX_VALUE),
        v.number("max_body_bytes", 64, Integer.MAX_VALUE),
        v.number("max_wait_ms", 0, 86_400_000L),
        (int) v.number("max_children", 1, 1_000_000),
        (int) v.number("max_depth", 1, 1_000));
    return config;
  }

  public Config withHttpPort(int port) {
    return new Config(httpHost, port, loops, retentionMs, maxTasks, maxBodyBytes, maxWaitMs, maxChildren, maxDepth);
  }

  public Config withLoops(int n) {
    return new Config(httpHost, httpPort, n, retentionMs, maxTasks, maxBodyBytes, maxWaitMs, maxChildren, maxDepth);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("http_host", httpHost).put("http_port", httpPort).put("loops", loops)
        .put("retention_ms", retentionMs).put("max_tasks", maxTasks).put("max_body_bytes", maxBodyBytes)
        .put("max_wait_ms", maxWaitMs).put("max_children", maxChildren).put("max_depth", maxDepth);
  }

  private record Values(JsonObject file, Map<String, String> env) {

    Object raw(String key) {
      String fromEnv = env.get(envName(key));
      if (fromEnv != null && !fromEnv.isBlank()) {
        return fromEnv.trim();
      }
      Object fromFile = file.getValue(key);
      return fromFile != null ? fromFile : DEFAULTS.get(key);
    }

    String string(String key) {
      return String.valueOf(raw(key));
    }

    long number(String key, long min, long max) {
      Object raw = raw(key);
      long value;
      try {
        value = raw instanceof Number n ? n.longValue() : Long.parseLong(raw.toString());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(key + " (" + envName(key) + ") must be an integer, got '" + raw + "'");
      }
      if (value < min || value > max) {
        throw new IllegalArgumentException(key + " (" + envName(key) + ") must be in [" + min + ", " + max + "], got " + value);
      }
      return value;
    }
  }
}
