package io.taskloop.loop;

import static io.taskloop.support.TestServer.config;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.taskloop.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Retention on the loop's own beat, with nothing ticking the clock for it: finished tasks past
 * their retention leave a slice at a time, and the slices go on until every expired one is
 * gone, however many more than a slice there are; the ones still in retention stay.
 */
@ExtendWith(VertxExtension.class)
class RetentionBeatTest {

  private static final int CHILDREN = 100;

  private TestServer server;

  @BeforeEach
  void start(Vertx vertx) {
    server = TestServer.start(vertx, config("loops", 1, "retention_ms", 1_000, "store", "memory"));
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  @Test
  void expiredTasksLeaveOnTheBeatInSlicesUntilNoneIsLeft() {
    int gathers = 2 * Retention.SWEEP_SLICE / CHILDREN + 3;
    List<String> old = new ArrayList<>();
    for (int i = 0; i < gathers; i++) {
      old.add(gatherOfSleeps().getString("id"));
    }
    int expired = gathers * (CHILDREN + 1);
    assertEquals(expired, held(), "every gather and child is held while in retention");

    server.clock.advance(600);
    String recent = gatherOfSleeps().getString("id");
    // Past the first tasks' retention but not the last gather's; the clock is not ticked, so
    // only the loop's beat (real time) can see it.
    server.clock.advance(600);
    TestServer.within(TestServer.BOUND_S, "the " + expired + " expired tasks leave, more than two slices of them",
        () -> held() == CHILDREN + 1);
    for (String id : old) {
      server.get("/v1/tasks/" + id).problem(404, null);
    }
    JsonObject kept = server.get("/v1/tasks/" + recent).expect(200).json();
    assertEquals("succeeded", kept.getString("state"));
  }

  private JsonObject gatherOfSleeps() {
    JsonArray tasks = new JsonArray();
    for (int i = 0; i < CHILDREN; i++) {
      tasks.add(new JsonObject().put("type", "sleep").put("delay_ms", 0));
    }
    JsonObject gathered = server.post("/v1/gather", new JsonObject().put("tasks", tasks)).expect(200).json();
    assertEquals("succeeded", gathered.getString("state"), gathered::encode);
    return gathered;
  }

  private int held() {
    return server.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0).getInteger("tasks_held");
  }
}
