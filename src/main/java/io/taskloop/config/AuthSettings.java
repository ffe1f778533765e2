package io.taskloop.config;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Who may call a node (DESIGN §9): {@code auth} is {@code none}, {@code keys}, {@code jwt} or
 * {@code keys,jwt}, or left unset (empty), which a node bound to loopback takes as {@code none}
 * and a node bound beyond it refuses to start with. Keys come from a JSON file of hashed keys;
 * JWTs are checked against a PEM public key or a JWKS file.
 *
 * @param tenantMaxTasks         tasks one tenant may hold on a node, 0 for no cap of its own
 * @param tenantCreatesPerSecond creates one tenant may make per second on a node, 0 for no cap
 * @param tenantHttpAllow        {@code tenant:rule} entries: a tenant named here reaches only the hosts its
 *                               rules allow (within http_allow and http_deny); others use http_allow alone
 */
public record AuthSettings(String mode, String keysFile, String jwtPublicKeyFile, String jwtJwksFile, String jwtAlgorithm,
    String jwtIssuer, String jwtAudience, String tenantClaim, String scopesClaim, boolean metricsOpen,
    long tenantMaxTasks, long tenantCreatesPerSecond, List<String> tenantHttpAllow) {

  /** {@link #tenantHttpAllow} by tenant. */
  public java.util.Map<String, List<String>> httpAllowByTenant() {
    java.util.Map<String, List<String>> out = new java.util.LinkedHashMap<>();
    for (String entry : tenantHttpAllow) {
      int colon = entry.indexOf(':');
      out.computeIfAbsent(entry.substring(0, colon), t -> new java.util.ArrayList<>()).add(entry.substring(colon + 1));
    }
    return out;
  }

  public static final List<String> MODES = List.of("", "none", "keys", "jwt", "keys,jwt", "jwt,keys");

  public boolean unset() {
    return mode.isEmpty();
  }

  /** Nobody is asked who they are: every caller may do everything, in one tenant. */
  public boolean open() {
    return mode.isEmpty() || mode.equals("none");
  }

  public boolean keys() {
    return mode.contains("keys");
  }

  public boolean jwt() {
    return mode.contains("jwt");
  }

  void check() {
    for (String entry : tenantHttpAllow) {
      int colon = entry.indexOf(':');
      if (colon <= 0 || colon == entry.length() - 1
          || !entry.substring(0, colon).matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
        throw new IllegalArgumentException("tenant_http_allow (TASKLOOP_TENANT_HTTP_ALLOW) entries are tenant:rule, such"
            + " as acme:*.acme.example; got '" + entry + "'");
      }
    }
    if (keys() && keysFile.isBlank()) {
      throw new IllegalArgumentException("auth keys needs auth_keys_file (TASKLOOP_AUTH_KEYS_FILE), a JSON file of hashed keys");
    }
    if (jwt() && jwtPublicKeyFile.isBlank() == jwtJwksFile.isBlank()) {
      throw new IllegalArgumentException("auth jwt needs one of auth_jwt_public_key_file (TASKLOOP_AUTH_JWT_PUBLIC_KEY_FILE,"
          + " a PEM public key) or auth_jwt_jwks_file (TASKLOOP_AUTH_JWT_JWKS_FILE, a JWKS)");
    }
  }

  JsonObject toJson() {
    return new JsonObject().put("auth", mode).put("auth_keys_file", keysFile)
        .put("auth_jwt_public_key_file", jwtPublicKeyFile).put("auth_jwt_jwks_file", jwtJwksFile)
        .put("auth_jwt_algorithm", jwtAlgorithm).put("auth_jwt_issuer", jwtIssuer).put("auth_jwt_audience", jwtAudience)
        .put("auth_jwt_tenant_claim", tenantClaim).put("auth_jwt_scopes_claim", scopesClaim)
        .put("metrics_open", metricsOpen).put("tenant_max_tasks", tenantMaxTasks)
        .put("tenant_creates_per_second", tenantCreatesPerSecond)
        .put("tenant_http_allow", new io.vertx.core.json.JsonArray(tenantHttpAllow));
  }
}
