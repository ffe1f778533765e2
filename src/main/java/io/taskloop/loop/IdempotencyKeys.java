package io.taskloop.loop;

import io.vertx.core.Future;

/**
 * Who holds an {@code Idempotency-Key}: the first create that claims a key names the task; any
 * later create with the key, sent to any loop of any node, gets that task back. A key lives as
 * long as its task is held. Keyed creates run on the loop the key hashes to, so a node's claims
 * for one key are made on one thread; across nodes, {@code cluster/} arbitrates.
 */
public interface IdempotencyKeys {

  /** The keys of a node that runs alone: a map of the loop's own (the loop the keys hash to). */
  static IdempotencyKeys local() {
    return new LocalKeys();
  }

  /** A key's first use: the task it named and the canonical body it came with. */
  record Claim(String taskId, String fingerprint) {
  }

  /** Claims {@code key}; answers null when this claim won, else the claim that holds the key. */
  Future<Claim> claim(String key, Claim claim);

  /** The key's task {@code taskId} is gone (or its create failed): the key may be used afresh. */
  void release(String key, String taskId);
}
