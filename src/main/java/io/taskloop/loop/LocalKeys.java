package io.taskloop.loop;

import io.vertx.core.Future;

/** The keys of a node that runs alone: a map on the loop the keys hash to, touched by that loop only. */
final class LocalKeys implements IdempotencyKeys {

  private final ShardedMap<String, Claim> claims = new ShardedMap<>();

  @Override
  public Future<Claim> claim(String key, Claim claim) {
    return Future.succeededFuture(claims.putIfAbsent(key, claim));
  }

  @Override
  public void release(String key, String taskId) {
    Claim held = claims.get(key);
    if (held != null && held.taskId().equals(taskId)) {
      claims.remove(key);
    }
  }
}
