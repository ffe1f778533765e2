package io.taskloop.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.task.OutboundGuard;
import io.taskloop.task.Owner;
import io.taskloop.task.SpecDecoder;
import io.taskloop.task.Task;
import io.taskloop.task.TaskSpec;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The loop's table of tasks against a HashMap of the same records, through puts, replacements, removals, growth and shrinking. */
class TaskMapTest {

  private static final TaskSpec SPEC = new SpecDecoder(1000, 32, new OutboundGuard(List.of("*"), List.of()))
      .decode(new JsonObject().put("type", "sleep").put("delay_ms", 1));

  private static Task task(String id) {
    return Task.born(id, new Owner("n", 0), SPEC, null, List.of(), 1_700_000_000_000L);
  }

  @Test
  void itsShardsGrowAtDifferentMomentsWhenIdsComeInSequence() {
    TaskMap map = new TaskMap();
    long[] resizesAfter = new long[200_001];
    for (int seq = 1; seq <= 200_000; seq++) {
      map.put(task("k1bqkw-0-" + seq));
      resizesAfter[seq] = map.resizes();
    }
    // 64 shards at the same load would all double within a few hundred puts of each other
    // (from 40,000 on, each doubling of the table is spread over 16,000 puts or more).
    long worst = 0;
    for (int seq = 40_000; seq <= 200_000; seq++) {
      worst = Math.max(worst, resizesAfter[seq] - resizesAfter[seq - 1_000]);
    }
    assertTrue(worst <= 8, "resizes within 1,000 puts: " + worst);
    assertEquals(200_000, map.size());
  }

  @Test
  void behavesAsAMapOfIdToRecord() {
    Random random = new Random(11);
    TaskMap map = new TaskMap();
    Map<String, Task> model = new HashMap<>();
    List<String> ids = new ArrayList<>();
    long next = 1;
    for (int step = 0; step < 400_000; step++) {
      int what = random.nextInt(10);
      // Phases that grow to ~60,000 and shrink to a few, so both resizes run many times.
      boolean growing = (step / 50_000) % 2 == 0;
      if (what < (growing ? 6 : 2)) {
        String id = (random.nextInt(4) == 0 ? "other" + random.nextInt(3) + "-1-" : "node-0-") + next++;
        Task t = task(id);
        assertEquals(model.put(id, t), map.put(t));
        ids.add(id);
      } else if (what < 7 && !ids.isEmpty()) { // a new record of a held id replaces the old
        String id = ids.get(random.nextInt(ids.size()));
        Task t = task(id);
        assertSame(model.put(id, t), map.put(t));
      } else if (!ids.isEmpty()) {
        int at = random.nextBoolean() ? 0 : random.nextInt(ids.size());
        String id = ids.get(at);
        ids.set(at, ids.get(ids.size() - 1));
        ids.remove(ids.size() - 1);
        assertSame(model.remove(id), map.remove(task(id)));
        assertEquals(null, map.remove(task(id)), "gone once removed");
      }
      if (step % 997 == 0) {
        assertEquals(model.size(), map.size());
        String probe = random.nextBoolean() && !ids.isEmpty() ? ids.get(random.nextInt(ids.size())) : "node-0-" + (next + 5);
        assertSame(model.get(probe), map.get(probe));
        Task key = task(probe);
        assertSame(model.get(probe), map.get(key), "by another record of the task");
        assertSame(model.get(probe), map.get(key.idPrefix(), key.seq()), "by prefix and sequence");
        String[] near = {"node-0-0" + (next - 1), "node-0-+" + (next - 1), "node-0-" + (next - 1) + " ", "xnode-0-" + (next - 1),
            "node-0" + (next - 1), "node-0-", "-0-1", ""};
        for (String bad : near) {
          assertEquals(null, map.get(bad), "no record answers the id '" + bad + "'");
        }
      }
    }
    for (Map.Entry<String, Task> e : model.entrySet()) {
      assertSame(e.getValue(), map.get(e.getKey()));
    }
    Map<String, Task> walked = new HashMap<>();
    map.forEach(t -> walked.put(t.id(), t));
    assertEquals(model, walked);
  }
}
