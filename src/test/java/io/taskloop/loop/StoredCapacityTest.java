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
/** With a journal (the default store), the tasks-held cap counts what memory holds: finished tasks move to the store. */
@ExtendWith(VertxExtension.class)
class StoredCapacityTest {

  private TestServer stored;

  @BeforeEach
  void start(Vertx vertx) {
    stored = TestServer.start(vertx, config("loops", 1, "max_tasks", 4, "retention_ms", 600_000, "min_retention_ms", 1_000));
  }

  @AfterEach
  void stop() {
    stored.stop();
  }

  @Test
  void withAJournalFinishedTasksLeaveMemoryAtTheCapAndAreReadFromTheStore() {
    List<String> done = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      done.add(stored.awaitDone(stored.create(sleep(0, i)).getString("id")).getString("id"));
    }
    JsonObject node = stored.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0);
    assertEquals(true, node.getInteger("tasks_held") <= 4, "the cap counts what memory holds: " + node.encode());
    for (int i = 0; i < 10; i++) {
      JsonObject task = stored.task(done.get(i));
      assertEquals("succeeded", task.getString("state"));
      assertEquals(i, task.getInteger("result"));
    }
    assertEquals(10, stored.get("/v1/tasks?state=succeeded").items().size(), "the list reads the store too");
    List<String> newestFirst = new ArrayList<>();
    String cursor = null;
    do { // pages of 3, newest first, across what memory holds and what the store keeps
      JsonObject page = stored.get("/v1/tasks?state=succeeded&order=newest&limit=3"
          + (cursor == null ? "" : "&cursor=" + cursor)).expect(200).json();
      page.getJsonArray("items").forEach(t -> newestFirst.add(((JsonObject) t).getString("id")));
      cursor = page.getString("next_cursor");
    } while (cursor != null);
    List<String> reversed = new ArrayList<>(done);
    java.util.Collections.reverse(reversed);
    assertEquals(reversed, newestFirst);
    stored.advance(600_000);
    stored.get("/v1/tasks/" + done.get(0)).problem(404, null);
    assertEquals(0, stored.get("/v1/tasks?state=succeeded").items().size(), "past their retention they are gone");
  }

}
