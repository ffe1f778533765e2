package io.taskloop.loop;

import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.taskloop.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The tasks-held cap: finished tasks make room early, unfinished ones are never dropped. */
@ExtendWith(VertxExtension.class)
class CapacityTest {

  private TestServer server;

  @BeforeEach
  void start(Vertx vertx) {
    // One loop, so every task shares one finished queue and the counts are exact. The memory
    // store keeps finished tasks in memory for their whole retention.
    server = TestServer.start(vertx, config("loops", 1, "max_tasks", 4, "retention_ms", 600_000, "min_retention_ms", 1_000,
        "store", "memory"));
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  @Test
  void atTheCapOldFinishedTasksAreEvictedEarlyToMakeRoom() {
    List<String> done = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      done.add(server.awaitDone(server.create(sleep(0, i)).getString("id")).getString("id"));
    }
    server.post("/v1/tasks", external()).problem(429, null);
    server.advance(1_000);
    String fresh = server.create(external()).getString("id");
    server.get("/v1/tasks/" + done.get(0)).problem(404, null);
    server.get("/v1/tasks/" + fresh).expect(200);
  }

  @Test
  void unfinishedTasksAreNeverEvictedToMakeRoom() {
    for (int i = 0; i < 4; i++) {
      server.create(external());
    }
    server.advance(60_000);
    server.post("/v1/tasks", external()).problem(429, null);
    JsonObject node = server.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0);
    assertEquals(4, node.getInteger("tasks_held"));
  }
}
