package io.taskloop.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.taskloop.support.TestCluster;
import io.taskloop.support.TestServer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes that see the cluster differently for a moment: right after a node joins, each node
 * knows of it only from its next look at who is live. Here that look comes every minute, so
 * the nodes started first keep an older view for the whole test: node 0 sees itself alone,
 * node 1 sees nodes 0 and 1, node 2 sees all three (the members start in that order).
 */
class ScheduleViewsTest {

  private TestCluster cluster;
  private final List<String> ids = new ArrayList<>();

  @BeforeEach
  void start() {
    cluster = TestCluster.start(3, Map.of("schedule_look_ms", 60_000L));
    for (int i = 0; i < 3; i++) {
      ids.add(cluster.node(i).node.id());
    }
  }

  @AfterEach
  void stop() {
    cluster.stop();
  }

  private static List<String> sorted(String... nodes) {
    return java.util.Arrays.stream(nodes).sorted().toList();
  }

  /** A schedule id for which {@code test} holds. */
  private static String idWhere(Predicate<String> test) {
    for (int i = 0; i < 10_000; i++) {
      String id = "views-" + i;
      if (test.test(id)) {
        return id;
      }
    }
    throw new AssertionError("no schedule id of the kind asked for");
  }

  private static JsonObject everySecond(String id) {
    return new JsonObject().put("id", id).put("every_ms", 1_000)
        .put("task", new JsonObject().put("type", "sleep").put("delay_ms", 0));
  }

  @Test
  void aCreateThatReachesANodeWhoseViewIsNewerIsAnswered201ByTheOwnerBothSeeAfterALook() {
    List<String> all = sorted(ids.get(0), ids.get(1), ids.get(2));
    // Node 0 looks now; node 1 still sees only nodes 0 and 1. A schedule that node 2 owns, as
    // node 0's list of schedules names its owner, shows when node 0 sees node 2.
    String probe = idWhere(s -> Adoption.chooseAdopter(s, all).equals(ids.get(2)));
    cluster.node(2).post("/v1/schedules", everySecond(probe)).expect(201);
    cluster.node(0).node.lookAtWhoIsLive();
    TestServer.within(15, "node 0 sees node 2", () -> cluster.node(0).get("/v1/schedules").expect(200).json()
        .getJsonArray("items").stream().map(JsonObject.class::cast)
        .anyMatch(s -> s.getString("id").equals(probe) && ids.get(2).equals(s.getString("owner"))));
    // Node 1 sends the create to node 0, which sees node 2 as the owner.
    String id = idWhere(s -> !s.equals(probe) && Adoption.chooseAdopter(s, all).equals(ids.get(2))
        && Adoption.chooseAdopter(s, sorted(ids.get(0), ids.get(1))).equals(ids.get(0)));
    JsonObject created = cluster.node(1).post("/v1/schedules", everySecond(id)).expect(201).json();
    assertEquals(id, created.getString("id"));
    JsonObject read = cluster.node(1).get("/v1/schedules/" + id).expect(200).json();
    assertEquals(ids.get(2), read.getString("owner"), read::encode);
  }

  /**
   * A schedule that nodes 1 and 2 see as node 1's, created through node 0: node 0 sees itself
   * alone, so it takes the create itself.
   */
  private String createdOnNode0ForNode1() {
    String id = idWhere(s -> Adoption.chooseAdopter(s, sorted(ids.get(0), ids.get(1), ids.get(2))).equals(ids.get(1)));
    cluster.node(0).post("/v1/schedules", everySecond(id)).expect(201);
    return id;
  }

  @Test
  void aScheduleCreatedOnANodeWhoseViewIsBehindIsTakenUpByItsOwnerAndFiresThere() {
    String id = createdOnNode0ForNode1();
    cluster.node(0).node.lookAtWhoIsLive();
    // Node 0 lets the schedule go; node 1's own look ran before the schedule existed, so only
    // node 0's word makes node 1 take it up. Nothing asks node 1 about it meanwhile (a call
    // would take it up too): its ticks show it.
    TestServer.within(15, "node 1 fired a tick of " + id, () -> {
      cluster.advance(1_000);
      return !cluster.node(1).get("/v1/tasks?label=schedule=" + id).expect(200).json().getJsonArray("items").isEmpty();
    });
    JsonObject read = cluster.node(0).get("/v1/schedules/" + id).expect(200).json();
    assertEquals(ids.get(1), read.getString("owner"), read::encode);
  }

  @Test
  void aCallThatReachesTheOwnerBeforeTheScheduleDoesIsAnsweredFromTheClustersRecord() {
    // Node 0 holds the schedule; node 2 sends calls to node 1, which owns it but has not taken it up.
    String id = createdOnNode0ForNode1();
    JsonObject read = cluster.node(2).get("/v1/schedules/" + id).expect(200).json();
    assertEquals(ids.get(1), read.getString("owner"), read::encode);
    JsonObject replaced = cluster.node(2).put("/v1/schedules/" + id, everySecond(id).put("every_ms", 2_000)).expect(200).json();
    assertEquals(2_000, replaced.getLong("every_ms"), replaced::encode);
    cluster.node(2).delete("/v1/schedules/" + id).expect(204);
    cluster.node(2).get("/v1/schedules/" + id).expect(404);
  }
}
