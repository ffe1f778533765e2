package io.taskloop.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
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
    long minRetentionMs,
    long maxTasks,
    long maxBodyBytes,
    long maxWaitMs,
    int maxChildren,
    int maxDepth,
    long startHorizonMs,
    long maxSchedules,
    long httpReadTimeoutMs,
    int httpMaxConnections,
    int httpMaxHeaderBytes,
    int httpMaxUriBytes,
    List<String> httpAllow,
    List<String> httpDeny,
    long httpMaxResponseBytes,
    int webhookAttempts,
    long webhookBackoffMs,
    int streamBuffer,
    long streamHeartbeatMs,
    String clusterMode,
    List<String> clusterMembers,
    int clusterPort,
    String clusterName,
    String clusterHost,
    String clusterServiceDns,
    String clusterPublicHost,
    String logFormat,
    String store,
    String dataDir,
    String postgresUrl,
    int journalBatchMax,
    int journalQueueMax,
    long journalLingerUs,
    AuthSettings auth,
    String clusterTlsCertFile,
    String clusterTlsKeyFile,
    String clusterTlsCaFile,
    int clusterBusPort,
    long scheduleLookMs) {

  public static final List<String> CLUSTER_MODES = List.of("none", "tcp", "kubernetes");
  public static final List<String> STORES = List.of("sqlite", "postgres", "memory");

  /** Every key, with its default. The key is the JSON name; the environment name derives from it. */
  public static final Map<String, Object> DEFAULTS = Map.ofEntries(
      Map.entry("http_host", "127.0.0.1"),
      Map.entry("http_port", 8080),
      Map.entry("loops", Runtime.getRuntime().availableProcessors()),
      Map.entry("retention_ms", 300_000L),
      // At the tasks-held cap, finished tasks older than this are evicted early to make room.
      Map.entry("min_retention_ms", 10_000L),
      Map.entry("max_tasks", 1_000_000L),
      Map.entry("max_body_bytes", 1_048_576L),
      Map.entry("max_wait_ms", 30_000L),
      Map.entry("max_children", 1_000),
      Map.entry("max_depth", 32),
      // How far ahead start_at / start_in_ms may put a task's start: a year.
      Map.entry("start_horizon_ms", 31_536_000_000L),
      // Schedules a node holds (those it owns); a create past it is a 429.
      Map.entry("max_schedules", 200_000L),
      // Who may call (DESIGN §9): unset means open on loopback and a refusal to start beyond it.
      Map.entry("auth", ""),
      Map.entry("auth_keys_file", ""),
      Map.entry("auth_jwt_public_key_file", ""),
      Map.entry("auth_jwt_jwks_file", ""),
      Map.entry("auth_jwt_algorithm", "RS256"),
      Map.entry("auth_jwt_issuer", ""),
      Map.entry("auth_jwt_audience", ""),
      Map.entry("auth_jwt_tenant_claim", "tenant"),
      Map.entry("auth_jwt_scopes_claim", "scope"),
      // GET /metrics needs the admin scope when auth is on, unless this is true.
      Map.entry("metrics_open", false),
      Map.entry("tenant_max_tasks", 0L),
      Map.entry("tenant_creates_per_second", 0L),
      // tenant:rule entries: the hosts a tenant's http tasks and webhooks may reach (within http_allow).
      Map.entry("tenant_http_allow", List.of()),
      // TLS on the clustered event bus (mutual: each node shows its certificate and checks the
      // other's against the CA): PEM files, all three or none.
      Map.entry("cluster_tls_cert_file", ""),
      Map.entry("cluster_tls_key_file", ""),
      Map.entry("cluster_tls_ca_file", ""),
      // The clustered event bus's port: 0 takes any free one; a fixed one lets a NetworkPolicy name it.
      Map.entry("cluster_bus_port", 0),
      // How often a clustered node reads who is live to know which schedules are its own: a
      // node that joined or died moves its schedules within about this long.
      Map.entry("schedule_look_ms", 500L),
      // The edge: a client must send a request's head (and then its body) within this long, and
      // a connection idle this long after an answer is closed; at most this many connections
      // are open on the node (503 beyond); request headers over this many bytes are a 431,
      // a path and query over this many a 414.
      Map.entry("http_read_timeout_ms", 30_000L),
      Map.entry("http_max_connections", 10_000),
      Map.entry("http_max_header_bytes", 8_192),
      Map.entry("http_max_uri_bytes", 8_192),
      // The SSRF guard of http tasks and webhooks: hosts (exact, *.suffix or an IP range in CIDR
      // form) that outbound requests may reach; deny wins. Cloud metadata endpoints are denied.
      Map.entry("http_allow", List.of("*")),
      Map.entry("http_deny", List.of("169.254.0.0/16", "fd00:ec2::254", "metadata.google.internal", "100.100.100.200")),
      Map.entry("http_max_response_bytes", 1_048_576L),
      Map.entry("webhook_attempts", 5),
      Map.entry("webhook_backoff_ms", 500L),
      Map.entry("stream_buffer", 10_000),
      Map.entry("stream_heartbeat_ms", 15_000L),
      // none: one node, no Hazelcast at all. tcp: join cluster_members (host:port list).
      // kubernetes: Hazelcast's DNS discovery through the headless service cluster_service_dns.
      Map.entry("cluster_mode", "none"),
      Map.entry("cluster_members", List.of()),
      Map.entry("cluster_port", 5701),
      Map.entry("cluster_name", "taskloop"),
      Map.entry("cluster_host", "127.0.0.1"),
      Map.entry("cluster_service_dns", ""),
      // The address other members reach this one at, when cluster_host is a wildcard (a pod IP).
      Map.entry("cluster_public_host", ""),
      Map.entry("log_format", "text"),
      // Where acknowledged changes are kept: sqlite (a file under data_dir), postgres (one
      // database a cluster shares, at postgres_url), or memory (nothing survives a restart).
      Map.entry("store", "sqlite"),
      Map.entry("data_dir", "./data"),
      Map.entry("postgres_url", ""),
      // Group commit: at most this many changes in one commit; more than journal_queue_max
      // waiting for their commit is answered 503 at once rather than held in memory.
      Map.entry("journal_batch_max", 2_000),
      Map.entry("journal_queue_max", 200_000),
      // Under load, how long the journal waits for a fuller batch before its next commit.
      Map.entry("journal_linger_us", 0L));

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
        v.number("min_retention_ms", 0, Long.MAX_VALUE),
        v.number("max_tasks", 1, Long.MAX_VALUE),
        v.number("max_body_bytes", 64, Integer.MAX_VALUE),
        v.number("max_wait_ms", 0, 86_400_000L),
        (int) v.number("max_children", 1, 1_000_000),
        (int) v.number("max_depth", 1, 1_000),
        v.number("start_horizon_ms", 0, 3_153_600_000_000L),
        v.number("max_schedules", 0, 100_000_000L),
        v.number("http_read_timeout_ms", 1, 3_600_000L),
        (int) v.number("http_max_connections", 1, 10_000_000),
        (int) v.number("http_max_header_bytes", 64, 1_048_576),
        (int) v.number("http_max_uri_bytes", 64, 60_000),
        v.strings("http_allow"),
        v.strings("http_deny"),
        v.number("http_max_response_bytes", 0, Integer.MAX_VALUE),
        (int) v.number("webhook_attempts", 1, 100),
        v.number("webhook_backoff_ms", 1, 3_600_000L),
        (int) v.number("stream_buffer", 1, 10_000_000),
        v.number("stream_heartbeat_ms", 10, 3_600_000L),
        v.oneOf("cluster_mode", CLUSTER_MODES),
        v.strings("cluster_members"),
        (int) v.number("cluster_port", 1, 65_535),
        v.string("cluster_name"),
        v.string("cluster_host"),
        v.string("cluster_service_dns"),
        v.string("cluster_public_host"),
        v.oneOf("log_format", List.of("text", "json")),
        v.oneOf("store", STORES),
        v.string("data_dir"),
        v.string("postgres_url"),
        (int) v.number("journal_batch_max", 1, 1_000_000),
        (int) v.number("journal_queue_max", 1, 100_000_000),
        v.number("journal_linger_us", 0, 100_000),
        new AuthSettings(v.oneOf("auth", AuthSettings.MODES), v.string("auth_keys_file"),
            v.string("auth_jwt_public_key_file"), v.string("auth_jwt_jwks_file"),
            v.oneOf("auth_jwt_algorithm", List.of("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384",
                "PS512", "EdDSA")),
            v.string("auth_jwt_issuer"), v.string("auth_jwt_audience"), v.string("auth_jwt_tenant_claim"),
            v.string("auth_jwt_scopes_claim"), v.bool("metrics_open"), v.number("tenant_max_tasks", 0, Long.MAX_VALUE),
            v.number("tenant_creates_per_second", 0, 100_000_000L), v.strings("tenant_http_allow")),
        v.string("cluster_tls_cert_file"), v.string("cluster_tls_key_file"), v.string("cluster_tls_ca_file"),
        (int) v.number("cluster_bus_port", 0, 65_535),
        v.number("schedule_look_ms", 50, 60_000L));
    long tlsFiles = java.util.stream.Stream.of(config.clusterTlsCertFile(), config.clusterTlsKeyFile(),
        config.clusterTlsCaFile()).filter(f -> !f.isBlank()).count();
    if (tlsFiles != 0 && tlsFiles != 3) {
      throw new IllegalArgumentException("TLS on the cluster's event bus needs all three of " + envName("cluster_tls_cert_file")
          + ", " + envName("cluster_tls_key_file") + " and " + envName("cluster_tls_ca_file") + " (PEM files)");
    }
    config.auth().check();
    if (config.auth().unset() && !loopback(config.httpHost())) {
      throw new IllegalArgumentException("http_host " + config.httpHost() + " is reachable beyond this machine and no auth"
          + " is configured: set auth (" + envName("auth") + ") to keys (with " + envName("auth_keys_file")
          + "), jwt (with " + envName("auth_jwt_public_key_file") + " or " + envName("auth_jwt_jwks_file")
          + ") or keys,jwt; or to none, to run open on purpose");
    }
    if (config.clusterMode().equals("kubernetes") && config.clusterServiceDns().isBlank()) {
      throw new IllegalArgumentException("cluster_mode kubernetes needs cluster_service_dns (" + envName("cluster_service_dns")
          + "), the DNS name of the headless service of the Hazelcast port");
    }
    if (config.clusterMode().equals("tcp") && config.clusterMembers().isEmpty()) {
      throw new IllegalArgumentException("cluster_mode tcp needs cluster_members (" + envName("cluster_members")
          + "), a list of host:port");
    }
    if (config.store().equals("postgres") && config.postgresUrl().isBlank()) {
      throw new IllegalArgumentException("store postgres needs postgres_url (" + envName("postgres_url")
          + "), postgresql://user[:password]@host:port/db");
    }
    if (config.store().equals("sqlite") && config.dataDir().isBlank()) {
      throw new IllegalArgumentException("store sqlite needs data_dir (" + envName("data_dir") + "), a directory");
    }
    return config;
  }

  /** Whether {@code host} is this machine only: localhost, or a loopback address written out (no DNS is asked). */
  static boolean loopback(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!h.matches("[0-9.]+") && !h.contains(":")) {
      return false; // a name: it may resolve anywhere
    }
    try {
      return java.net.InetAddress.getByName(h).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** Whether the clustered event bus runs over TLS. */
  public boolean clusterTls() {
    return !clusterTlsCertFile.isBlank();
  }

  public boolean clustered() {
    return !clusterMode.equals("none");
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("http_host", httpHost).put("http_port", httpPort).put("loops", loops)
        .put("retention_ms", retentionMs).put("min_retention_ms", minRetentionMs).put("max_tasks", maxTasks).put("max_body_bytes", maxBodyBytes)
        .put("max_wait_ms", maxWaitMs).put("max_children", maxChildren).put("max_depth", maxDepth)
        .put("start_horizon_ms", startHorizonMs).put("max_schedules", maxSchedules)
        .put("http_read_timeout_ms", httpReadTimeoutMs).put("http_max_connections", httpMaxConnections)
        .put("http_max_header_bytes", httpMaxHeaderBytes).put("http_max_uri_bytes", httpMaxUriBytes)
        .put("http_allow", new JsonArray(httpAllow)).put("http_deny", new JsonArray(httpDeny))
        .put("http_max_response_bytes", httpMaxResponseBytes)
        .put("webhook_attempts", webhookAttempts).put("webhook_backoff_ms", webhookBackoffMs)
        .put("stream_buffer", streamBuffer).put("stream_heartbeat_ms", streamHeartbeatMs)
        .put("cluster_mode", clusterMode).put("cluster_members", new JsonArray(clusterMembers))
        .put("cluster_port", clusterPort).put("cluster_name", clusterName).put("cluster_host", clusterHost)
        .put("cluster_service_dns", clusterServiceDns).put("cluster_public_host", clusterPublicHost)
        .put("log_format", logFormat)
        .put("store", store).put("data_dir", dataDir).put("postgres_url", postgresUrl)
        .put("journal_batch_max", journalBatchMax).put("journal_queue_max", journalQueueMax)
        .put("journal_linger_us", journalLingerUs)
        .mergeIn(auth.toJson())
        .put("cluster_tls_cert_file", clusterTlsCertFile).put("cluster_tls_key_file", clusterTlsKeyFile)
        .put("cluster_tls_ca_file", clusterTlsCaFile).put("cluster_bus_port", clusterBusPort)
        .put("schedule_look_ms", scheduleLookMs);
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

    /** A list: a JSON array in the file, comma-separated in the environment. */
    List<String> strings(String key) {
      Object raw = raw(key);
      List<String> out = new ArrayList<>();
      if (raw instanceof String s) {
        for (String part : s.split(",")) {
          if (!part.isBlank()) {
            out.add(part.trim());
          }
        }
      } else if (raw instanceof JsonArray a) {
        a.forEach(x -> out.add(String.valueOf(x)));
      } else if (raw instanceof List<?> l) {
        l.forEach(x -> out.add(String.valueOf(x)));
      } else {
        throw new IllegalArgumentException(key + " (" + envName(key) + ") must be a list of strings, got '" + raw + "'");
      }
      return List.copyOf(out);
    }

    String oneOf(String key, List<String> allowed) {
      String value = string(key);
      if (!allowed.contains(value)) {
        throw new IllegalArgumentException(key + " (" + envName(key) + ") must be one of " + allowed + ", got '" + value + "'");
      }
      return value;
    }

    String string(String key) {
      return String.valueOf(raw(key));
    }

    boolean bool(String key) {
      Object raw = raw(key);
      if (raw instanceof Boolean b) {
        return b;
      }
      if ("true".equals(raw) || "false".equals(raw)) {
        return Boolean.parseBoolean((String) raw);
      }
      throw new IllegalArgumentException(key + " (" + envName(key) + ") must be true or false, got '" + raw + "'");
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
