package io.taskloop.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {

  @Test
  void defaultsServeOneNodeOnPort8080() {
    Config c = Config.defaults();
    assertEquals(8080, c.httpPort());
    assertEquals("127.0.0.1", c.httpHost());
    assertEquals(30_000, c.maxWaitMs());
    assertTrue(c.loops() >= 1);
  }

  @Test
  void environmentOverridesTheFileWhichOverridesDefaults() {
    JsonObject file = new JsonObject().put("http_port", 9000).put("loops", 4).put("max_tasks", 10);
    Config c = Config.from(file, Map.of("TASKLOOP_HTTP_PORT", "9100", "TASKLOOP_LOOPS", "3", "TASKLOOP_RETENTION_MS", "5"));
    assertEquals(9100, c.httpPort());
    assertEquals(3, c.loops());
    assertEquals(10, c.maxTasks());
    assertEquals(5, c.retentionMs());
  }

  @Test
  void everyKeyHasAnEnvironmentName() {
    for (String key : Config.DEFAULTS.keySet()) {
      String env = Config.envName(key);
      boolean list = Config.DEFAULTS.get(key) instanceof java.util.List;
      Object fallback = Config.DEFAULTS.get(key);
      String value = key.equals("tenant_http_allow") ? "acme:a.example,acme:b.example" : list ? "a.example,b.example"
          : fallback instanceof Number ? "70"
          : key.equals("cluster_mode") ? "none" : key.equals("log_format") ? "json"
          : key.equals("store") ? "memory" : key.equals("auth") ? "none" : key.equals("auth_jwt_algorithm") ? "ES256"
          : fallback instanceof Boolean ? "true" : "some-value";
      // http_host some-value is beyond loopback: without auth: none the node would refuse it.
      Map<String, String> envs = new java.util.HashMap<>(Map.of(env, value));
      envs.putIfAbsent(Config.envName("auth"), "none");
      if (key.startsWith("cluster_tls_")) { // the three go together
        for (String tls : List.of("cluster_tls_cert_file", "cluster_tls_key_file", "cluster_tls_ca_file")) {
          envs.putIfAbsent(Config.envName(tls), value);
        }
      }
      Config c = Config.from(new JsonObject(), envs);
      Object read = c.toJson().getValue(key);
      assertEquals(key.equals("tenant_http_allow") ? new io.vertx.core.json.JsonArray().add("acme:a.example").add("acme:b.example")
          : list ? new io.vertx.core.json.JsonArray().add("a.example").add("b.example") : value,
          list ? read : String.valueOf(read), key);
    }
  }

  @Test
  void beyondLoopbackANodeWithoutAuthRefusesToStartUnlessToldToRunOpen() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Config.from(new JsonObject(), Map.of("TASKLOOP_HTTP_HOST", "0.0.0.0")));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("TASKLOOP_AUTH"), e.getMessage());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Config.from(new JsonObject(), Map.of("TASKLOOP_HTTP_HOST", "taskloop.example")));
    assertEquals("none", Config.from(new JsonObject(), Map.of("TASKLOOP_HTTP_HOST", "0.0.0.0", "TASKLOOP_AUTH", "none"))
        .auth().mode());
    for (String loopback : new String[] {"127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"}) {
      assertEquals("", Config.from(new JsonObject(), Map.of("TASKLOOP_HTTP_HOST", loopback)).auth().mode(), loopback);
    }
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Config.from(new JsonObject(), Map.of("TASKLOOP_AUTH", "keys")), "keys need a keys file");
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Config.from(new JsonObject(), Map.of("TASKLOOP_AUTH", "jwt")), "jwt needs a key");
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Config.from(new JsonObject(), Map.of("TASKLOOP_AUTH", "passwords")));
  }

  @Test
  void badValuesAndUnknownKeysAreRefusedByName() {
    var e = assertThrows(IllegalArgumentException.class, () -> Config.from(new JsonObject(), Map.of("TASKLOOP_LOOPS", "many")));
    assertTrue(e.getMessage().contains("TASKLOOP_LOOPS"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Config.from(new JsonObject().put("http_prot", 1), Map.of()));
    assertTrue(e.getMessage().contains("http_prot"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Config.from(new JsonObject().put("loops", 0), Map.of()));
  }
}
