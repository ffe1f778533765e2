package io.taskloop.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import io.taskloop.loop.IdempotencyKeys;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.Serializable;
import java.util.Map;

/**
 * Idempotency keys across the cluster: one entry per key in the cluster map
 * {@code taskloop.keys} (one backup), claimed with an atomic put-if-absent, so the same key sent
 * to any node at the same moment names one task. Only keyed creates pay the round trip. The
 * answers come back on the loop that asked.
 */
public final class ClusterKeys implements IdempotencyKeys {

  public static final String KEYS_MAP = "taskloop.keys";

  private final Vertx vertx;
  private final IMap<String, String> claims;

  public ClusterKeys(Vertx vertx, HazelcastInstance hz) {
    this.vertx = vertx;
    this.claims = hz.getMap(KEYS_MAP);
  }

  @Override
  public Future<Claim> claim(String key, Claim claim) {
    Context loop = vertx.getOrCreateContext();
    return Future.fromCompletionStage(claims.submitToKey(key, new PutIfAbsent(encode(claim))), loop)
        .map(ClusterKeys::decode);
  }

  /**
   * An atomic put-if-absent run on the key's partition owner (the map has no asynchronous one):
   * answers the value already held, or null when this one was put. Every member has this class.
   */
  static final class PutIfAbsent implements EntryProcessor<String, String, String>, Serializable {
    private static final long serialVersionUID = 1L;
    private final String value;

    PutIfAbsent(String value) {
      this.value = value;
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
      String held = entry.getValue();
      if (held == null) {
        entry.setValue(value);
      }
      return held;
    }
  }

  @Override
  public void release(String key, String taskId) {
    claims.getAsync(key).thenAccept(held -> {
      if (held != null && decode(held).taskId().equals(taskId)) {
        claims.removeAsync(key);
      }
    });
  }

  private static String encode(Claim claim) {
    return claim.taskId() + " " + claim.fingerprint();
  }

  private static Claim decode(String value) {
    if (value == null) {
      return null;
    }
    int space = value.indexOf(' ');
    return new Claim(value.substring(0, space), value.substring(space + 1));
  }
}
