package io.taskloop.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The sharded map against a HashMap, and its keys spread over the shards so none grows much ahead of the others. */
class ShardedMapTest {

  @Test
  void behavesAsAMap() {
    Random random = new Random(5);
    ShardedMap<String, String> map = new ShardedMap<>();
    Map<String, String> model = new HashMap<>();
    for (int step = 0; step < 200_000; step++) {
      String key = "node-0-" + random.nextInt(40_000);
      String value = "v" + step;
      switch (random.nextInt(4)) {
        case 0 -> assertEquals(model.put(key, value), map.put(key, value));
        case 1 -> assertEquals(model.putIfAbsent(key, value), map.putIfAbsent(key, value));
        case 2 -> assertEquals(model.remove(key), map.remove(key));
        default -> assertEquals(model.get(key), map.get(key));
      }
    }
    assertEquals(model.size(), map.size());
    model.forEach((k, v) -> assertEquals(v, map.get(k)));
  }

  @Test
  void idsMadeInSequenceSpreadOverEveryShard() {
    int[] perShard = new int[ShardedMap.SHARDS];
    int n = 64_000;
    for (int seq = 1; seq <= n; seq++) {
      perShard[ShardedMap.shardOf(ShardedMap.mixed(("k1bqkw-0-" + seq).hashCode()))]++;
    }
    int expected = n / ShardedMap.SHARDS;
    for (int count : perShard) {
      assertTrue(Math.abs(count - expected) < expected / 5, "a shard holds " + count + " of " + n + ", expected about " + expected);
    }
  }
}
