package io.taskloop.loop;

import java.util.HashMap;

/**
 * A map that never grows all at once: {@link #SHARDS} HashMaps, a key going to the one its
 * hash picks. A HashMap doubles by walking every entry it holds, which for a loop's tens of
 * thousands of keys held the loop for milliseconds in the middle of a burst of creates (a
 * cron tick firing a thousand schedules); here each shard doubles on its own, with a
 * sixty-fourth of the entries. Keys spread over the shards evenly, so each shard has its own
 * load factor, from 0.75 down to about 0.5, and they reach their thresholds at different
 * moments. One loop's, no locks; only what its users need of a map.
 */
final class ShardedMap<K, V> {

  static final int SHARD_BITS = 6;
  static final int SHARDS = 1 << SHARD_BITS;

  @SuppressWarnings("unchecked")
  private final HashMap<K, V>[] shards = new HashMap[SHARDS];
  private int size;

  ShardedMap() {
    for (int i = 0; i < SHARDS; i++) {
      shards[i] = new HashMap<>(16, 0.75f - 0.25f * i / SHARDS);
    }
  }

  /** A hash mixed (Fibonacci hashing), so near values spread over its top bits. */
  static int mixed(int hash) {
    return hash * 0x9E3779B9;
  }

  /** The shard of a mixed hash: its top bits, which a HashMap's own bucket index does not use. */
  static int shardOf(int mixed) {
    return mixed >>> (32 - SHARD_BITS);
  }

  private HashMap<K, V> shard(Object key) {
    return shards[shardOf(mixed(key.hashCode()))];
  }

  V get(Object key) {
    return shard(key).get(key);
  }

  V put(K key, V value) {
    HashMap<K, V> s = shard(key);
    int before = s.size();
    V old = s.put(key, value);
    size += s.size() - before;
    return old;
  }

  V putIfAbsent(K key, V value) {
    HashMap<K, V> s = shard(key);
    int before = s.size();
    V old = s.putIfAbsent(key, value);
    size += s.size() - before;
    return old;
  }

  V remove(Object key) {
    HashMap<K, V> s = shard(key);
    int before = s.size();
    V old = s.remove(key);
    size += s.size() - before;
    return old;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }
}
