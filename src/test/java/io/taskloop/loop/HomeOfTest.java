package io.taskloop.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.taskloop.task.Tenancy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A schedule's tick keys live on the schedule's own loop; every other name by its own hash. */
class HomeOfTest {

  @Test
  void aTickKeyLivesWhereItsScheduleDoes() {
    List<String> ids = List.of("nightly", "a.b-c", Tenancy.qualified("acme", "hourly"), Tenancy.qualified("t:manual", "x"), "s-42");
    for (int loops : new int[] {1, 2, 3, 8}) {
      for (String id : ids) {
        int home = NodeContext.homeOf(id, loops);
        for (long tick : new long[] {0, 1_796_296_968_000L}) {
          assertEquals(home, NodeContext.homeOf(NodeContext.tickKey(id, tick, false), loops), id + " tick " + tick);
          assertEquals(home, NodeContext.homeOf(NodeContext.tickKey(id, tick, true), loops), id + " manual");
        }
      }
    }
  }

  @Test
  void otherNamesHashAsThemselves() {
    for (String name : List.of("ready", "order:42", "schedules", "schedule")) {
      assertEquals(Math.floorMod(name.hashCode(), 8), NodeContext.homeOf(name, 8), name);
    }
  }
}
