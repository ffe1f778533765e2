package io.taskloop.schedule;

import static io.taskloop.support.TestServer.START;
import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.sleep;
import static io.taskloop.support.TestServer.within;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.TestServer;
import io.taskloop.support.Watching;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code /v1/schedules} on one node with the injected clock: what a client makes, reads, pages,
 * replaces, pauses, triggers and deletes; that each tick fires one task carrying its schedule
 * and tick (seen on the node's stream as it happens); the four overlap policies; the catch-up
 * window after a pause and after a restart on the same data_dir; and bad input answered at the
 * field at fault.
 */
@ExtendWith(VertxExtension.class)
class SchedulesTest {

  private Vertx vertx;
  private TestServer server;
  private Watching watching;
  private Path dataDir;

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    dataDir = TestServer.freshDataDir();
    server = TestServer.start(vertx, config("data_dir", dataDir.toString()));
    watching = Watching.start(vertx, server);
  }

  @AfterEach
  void stop() {
    if (watching != null) {
      watching.close();
    }
    server.stop();
  }

  private static JsonObject every(long ms, JsonObject task) {
    return new JsonObject().put("every_ms", ms).put("task", task);
  }

  private static String at(long millis) {
    return Instant.ofEpochMilli(millis).toString();
  }

  /** The ticks of the tasks schedule {@code id} fired, read back from the tasks by their label. */
  private List<String> fired(String id) {
    List<String> ticks = new ArrayList<>();
    for (Object o : server.get("/v1/tasks?limit=1000&label=schedule=" + id).expect(200).items()) {
      JsonObject task = (JsonObject) o;
      assertEquals(id, task.getJsonObject("labels").getString("schedule"));
      ticks.add(task.getJsonObject("schedule").getString("tick"));
    }
    ticks.sort(String::compareTo);
    return ticks;
  }

  private void awaitFired(String id, int n) {
    within(10, n + " tasks fired by " + id, () -> fired(id).size() >= n);
  }

  @Test
  void aScheduleIsMadeReadPagedReplacedAndDeleted() {
    TestServer.Resp made = server.post("/v1/schedules", every(60_000, sleep(0, "hi")).put("id", "minutely")
        .put("labels", new JsonObject().put("team", "a"))).expect(201);
    assertEquals("/v1/schedules/minutely", made.header("Location"));
    JsonObject s = made.json();
    assertEquals("minutely", s.getString("id"));
    assertEquals(60_000L, s.getLong("every_ms"));
    assertNull(s.getString("cron"));
    assertEquals("UTC", s.getString("time_zone"));
    assertEquals("skip", s.getString("overlap"));
    assertEquals(60_000L, s.getLong("catchup_window_ms"));
    assertEquals(false, s.getBoolean("paused"));
    assertEquals(new JsonArray().add(at(START + 60_000)).add(at(START + 120_000)).add(at(START + 180_000))
        .add(at(START + 240_000)).add(at(START + 300_000)), s.getJsonArray("next_fires"));
    assertEquals(0, s.getJsonArray("recent_runs").size());
    assertEquals(0L, s.getJsonObject("skipped").getLong("count"));
    assertEquals(s, server.get("/v1/schedules/minutely").expect(200).json());
    server.post("/v1/schedules", every(60_000, sleep(0, "hi")).put("id", "minutely")).problem(409, null);

    String generated = server.post("/v1/schedules", new JsonObject().put("cron", "0 3 * * *").put("time_zone", "Europe/Berlin")
        .put("task", external())).expect(201).json().getString("id");
    assertTrue(ScheduleSpec.ID.matcher(generated).matches(), generated);
    for (int i = 0; i < 5; i++) {
      server.put("/v1/schedules/page-" + i, every(3_600_000, external())).expect(201);
    }
    List<String> ids = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject page = server.get("/v1/schedules?limit=3" + (cursor == null ? "" : "&cursor=" + cursor)).expect(200).json();
      page.getJsonArray("items").forEach(o -> ids.add(((JsonObject) o).getString("id")));
      cursor = page.getString("next_cursor");
    } while (cursor != null);
    List<String> expected = new ArrayList<>(List.of("minutely", "page-0", "page-1", "page-2", "page-3", "page-4", generated));
    expected.sort(String::compareTo);
    assertEquals(expected, ids, "every schedule once, by id");

    JsonObject replaced = server.put("/v1/schedules/minutely", new JsonObject().put("cron", "*/5 * * * *")
        .put("task", sleep(0, "new"))).expect(200).json();
    assertEquals("*/5 * * * *", replaced.getString("cron"));
    assertNull(replaced.getValue("every_ms"));
    assertEquals(s.getString("created_at"), replaced.getString("created_at"));
    assertTrue(replaced.getLong("version") > s.getLong("version"));
    server.delete("/v1/schedules/minutely").expect(204);
    server.get("/v1/schedules/minutely").problem(404, null);
    server.delete("/v1/schedules/minutely").problem(404, null);
    server.post("/v1/schedules/minutely/pause", null).problem(404, null);
    server.post("/v1/schedules", every(60_000, sleep(0, "again")).put("id", "minutely")).expect(201);
  }

  @Test
  void eachTickFiresOneTaskThatCarriesItsScheduleAndTick() {
    server.post("/v1/schedules", every(1_000, sleep(0, "tick")).put("id", "sec")).expect(201);
    for (int i = 1; i <= 3; i++) {
      server.advance(1_000);
      awaitFired("sec", i);
    }
    assertEquals(List.of(at(START + 1_000), at(START + 2_000), at(START + 3_000)), fired("sec"));
    JsonArray tasks = server.get("/v1/tasks?label=schedule=sec").items();
    for (Object o : tasks) {
      JsonObject t = (JsonObject) o;
      assertEquals(t.getJsonObject("schedule").getString("tick"), t.getString("created_at"), "fired at its tick, to the ms");
      assertEquals(false, t.getJsonObject("schedule").getBoolean("manual"));
      within(10, "the stream showed " + t.getString("id"), () -> watching.streamedIds().contains(t.getString("id")));
    }
    JsonObject s = server.get("/v1/schedules/sec").json();
    assertEquals(at(START + 3_000), s.getString("last_tick"));
    JsonArray runs = s.getJsonArray("recent_runs");
    assertEquals(3, runs.size());
    assertEquals(at(START + 3_000), runs.getJsonObject(0).getString("tick"), "newest first");
    assertEquals("succeeded", runs.getJsonObject(0).getString("state"));

    JsonObject run = server.post("/v1/schedules/sec/trigger", null).expect(200).json();
    assertEquals("fired", run.getString("outcome"));
    JsonObject manual = server.task(run.getString("task_id"));
    assertEquals(true, manual.getJsonObject("schedule").getBoolean("manual"));
    assertEquals(at(START + 4_000), server.get("/v1/schedules/sec").json().getJsonArray("next_fires").getString(0),
        "a trigger leaves the cadence as it was");
  }

  @Test
  void aTickPreparedAheadFiresTheDefinitionInForceAtItsTick() {
    server.post("/v1/schedules", every(1_000, sleep(0, "old")).put("id", "prep")).expect(201);
    server.advance(1_000);
    awaitFired("prep", 1);
    // The next tick was made ready after the first fired; a replace before it is what it fires.
    server.put("/v1/schedules/prep", every(1_000, sleep(0, "new"))).expect(200);
    server.advance(1_000);
    awaitFired("prep", 2);
    List<Object> results = new ArrayList<>();
    for (Object o : server.get("/v1/tasks?label=schedule=prep").items()) {
      JsonObject t = (JsonObject) o;
      within(10, "task " + t.getString("id") + " ended", () -> "succeeded".equals(server.task(t.getString("id")).getString("state")));
      results.add(t.getJsonObject("schedule").getString("tick") + "=" + server.task(t.getString("id")).getValue("result"));
    }
    results.sort(null);
    assertEquals(List.of(at(START + 1_000) + "=old", at(START + 2_000) + "=new"), results);
    // A schedule far off is armed for its preparation first; its tick still fires on time.
    server.post("/v1/schedules", every(60_000, sleep(0, "far")).put("id", "far")).expect(201);
    server.advance(58_000);
    assertEquals(List.of(), fired("far"), "nothing before its tick");
    server.advance(2_000);
    awaitFired("far", 1);
    assertEquals(List.of(at(START + 62_000)), fired("far"));
  }

  @Test
  void skipRecordsTheTicksWhileTheRunIsUnfinished() {
    server.post("/v1/schedules", every(1_000, external()).put("id", "skip")).expect(201);
    server.advance(1_000);
    awaitFired("skip", 1);
    server.advance(1_000);
    within(10, "tick 2 skipped", () -> server.get("/v1/schedules/skip").json().getJsonObject("skipped").getLong("count") == 1);
    String first = server.get("/v1/tasks?label=schedule=skip").items().getJsonObject(0).getString("id");
    server.post("/v1/tasks/" + first + "/complete", new JsonObject().put("result", 1)).expect(200);
    server.advance(1_000);
    awaitFired("skip", 2);
    assertEquals(List.of(at(START + 1_000), at(START + 3_000)), fired("skip"));
    JsonObject skipped = server.get("/v1/schedules/skip").json().getJsonObject("skipped");
    assertEquals(new JsonArray().add(at(START + 2_000)), skipped.getJsonArray("recent"));
  }

  @Test
  void allowFiresEveryTickWhateverRuns() {
    server.post("/v1/schedules", every(1_000, external()).put("id", "allow").put("overlap", "allow")).expect(201);
    for (int i = 1; i <= 3; i++) {
      server.advance(1_000);
      awaitFired("allow", i);
    }
    assertEquals(3, fired("allow").size());
  }

  @Test
  void bufferOneHoldsOneTickUntilTheRunEndsAndSkipsTheRest() {
    server.post("/v1/schedules", every(1_000, external()).put("id", "buf").put("overlap", "buffer_one")).expect(201);
    server.advance(1_000);
    awaitFired("buf", 1);
    server.advance(1_000);
    within(10, "tick 2 buffered", () -> at(START + 2_000).equals(server.get("/v1/schedules/buf").json().getString("buffered")));
    server.advance(1_000);
    within(10, "tick 3 skipped", () -> server.get("/v1/schedules/buf").json().getJsonObject("skipped").getLong("count") == 1);
    String first = server.get("/v1/tasks?label=schedule=buf").items().getJsonObject(0).getString("id");
    server.post("/v1/tasks/" + first + "/complete", new JsonObject().put("result", 1)).expect(200);
    awaitFired("buf", 2);
    assertEquals(List.of(at(START + 1_000), at(START + 2_000)), fired("buf"), "the buffered tick fires as itself");
    assertNull(server.get("/v1/schedules/buf").json().getValue("buffered"));
  }

  @Test
  void cancelOtherCancelsTheRunningTaskAndFires() {
    server.post("/v1/schedules", every(1_000, external()).put("id", "co").put("overlap", "cancel_other")).expect(201);
    server.advance(1_000);
    awaitFired("co", 1);
    String first = server.get("/v1/tasks?label=schedule=co").items().getJsonObject(0).getString("id");
    server.advance(1_000);
    awaitFired("co", 2);
    assertEquals("cancelled", server.awaitDone(first).getString("state"));
  }

  @Test
  void pausedTicksDoNotFireUnlessTheCatchUpWindowSaysSo() {
    server.post("/v1/schedules", every(1_000, sleep(0, null)).put("id", "strict").put("catchup_window_ms", 0)).expect(201);
    server.post("/v1/schedules", every(1_000, sleep(0, null)).put("id", "lenient").put("catchup_window_ms", 10_000)).expect(201);
    assertEquals(true, server.post("/v1/schedules/strict/pause", null).expect(200).json().getBoolean("paused"));
    server.post("/v1/schedules/lenient/pause", null).expect(200);
    assertEquals(0, server.get("/v1/schedules/strict").json().getJsonArray("next_fires").size());
    server.advance(5_500);
    assertEquals(List.of(), fired("strict"));
    server.post("/v1/schedules/strict/resume", null).expect(200);
    server.post("/v1/schedules/lenient/resume", null).expect(200);
    awaitFired("lenient", 5);
    JsonObject strict = server.get("/v1/schedules/strict").json();
    assertEquals(5L, strict.getJsonObject("missed").getLong("count"), strict::encode);
    assertEquals(List.of(), fired("strict"), "outside a window of 0 nothing catches up");
    assertEquals(List.of(at(START + 1_000), at(START + 2_000), at(START + 3_000), at(START + 4_000), at(START + 5_000)),
        fired("lenient"), "inside the window each paused tick fires once");
    server.advance(500);
    awaitFired("strict", 1);
    awaitFired("lenient", 6);
  }

  @Test
  void aGapTooLongToCountIsPassedOverAndTheScheduleCarriesOn() {
    server.post("/v1/schedules", new JsonObject().put("id", "long-gap").put("cron", "* * * * * *")
        .put("catchup_window_ms", 0).put("task", sleep(0, null))).expect(201);
    server.post("/v1/schedules/long-gap/pause", null).expect(200);
    server.advance(2L * 24 * 3600 * 1000); // two days of one tick a second: 172,800 ticks
    server.post("/v1/schedules/long-gap/resume", null).expect(200);
    within(30, "the gap was passed over", () -> server.get("/v1/schedules/long-gap").json().getJsonObject("missed")
        .getLong("count") >= 100_000);
    JsonObject s = server.get("/v1/schedules/long-gap").json();
    assertEquals(100_000L, s.getJsonObject("missed").getLong("count"), "counted one by one up to 100,000, the rest passed over");
    assertEquals(at(START + 2L * 24 * 3600 * 1000 + 1_000), s.getJsonArray("next_fires").getString(0));
    server.advance(1_000);
    awaitFired("long-gap", 1);
  }

  @Test
  void endAtStopsItAndStartAtBeginsIt() {
    server.post("/v1/schedules", every(1_000, sleep(0, null)).put("id", "window")
        .put("start_at", at(START + 2_000)).put("end_at", at(START + 4_000))).expect(201);
    server.advance(1_000);
    server.advance(1_000);
    awaitFired("window", 1);
    server.advance(1_000);
    server.advance(1_000);
    awaitFired("window", 3);
    server.advance(1_000);
    server.advance(1_000);
    assertEquals(List.of(at(START + 2_000), at(START + 3_000), at(START + 4_000)), fired("window"));
    assertEquals(0, server.get("/v1/schedules/window").json().getJsonArray("next_fires").size());
  }

  @Test
  void aRestartOnTheSameDataDirFiresTheMissedTicksOnceAndNoneTwice() {
    server.post("/v1/schedules", every(1_000, sleep(0, null)).put("id", "durable").put("catchup_window_ms", 2_500)).expect(201);
    server.advance(1_000);
    server.advance(1_000);
    awaitFired("durable", 2);
    watching.close();
    watching = null;
    server.stop();
    // Down for 5 s: ticks 3..7 passed; those inside the 2.5 s window (5, 6, 7) fire once each.
    server = TestServer.start(vertx, config("data_dir", dataDir.toString()), START + 7_000);
    awaitFired("durable", 5);
    assertEquals(List.of(at(START + 1_000), at(START + 2_000), at(START + 5_000), at(START + 6_000), at(START + 7_000)),
        fired("durable"));
    JsonObject s = server.get("/v1/schedules/durable").expect(200).json();
    assertEquals(2L, s.getJsonObject("missed").getLong("count"), s::encode);
    server.advance(1_000);
    awaitFired("durable", 6);
    assertEquals(6, fired("durable").size());
  }

  @Test
  void badSchedulesAreAnsweredWithTheFieldAtFault() {
    server.post("/v1/schedules", new JsonObject().put("task", sleep(0, null))).problem(422, "/cron");
    server.post("/v1/schedules", new JsonObject().put("cron", "61 * * * *").put("task", sleep(0, null))).problem(422, "/cron");
    server.post("/v1/schedules", new JsonObject().put("cron", "* * *").put("task", sleep(0, null))).problem(422, "/cron");
    server.post("/v1/schedules", new JsonObject().put("cron", "0 0 30 2 *").put("task", sleep(0, null))).problem(422, "/cron");
    server.post("/v1/schedules", new JsonObject().put("cron", "* * * * *").put("time_zone", "Mars/Olympus")
        .put("task", sleep(0, null))).problem(422, "/time_zone");
    server.post("/v1/schedules", every(999, sleep(0, null))).problem(422, "/every_ms");
    server.post("/v1/schedules", every(1_000, sleep(0, null)).put("cron", "* * * * *")).problem(422, "/every_ms");
    server.post("/v1/schedules", new JsonObject().put("every_ms", 1_000)).problem(422, "/task");
    server.post("/v1/schedules", every(1_000, new JsonObject().put("type", "sleep"))).problem(422, "/task/delay_ms");
    server.post("/v1/schedules", every(1_000, sleep(0, null).put("start_in_ms", 5))).problem(422, "/task/start_in_ms");
    server.post("/v1/schedules", every(1_000, sleep(0, null).put("labels", new JsonObject().put("schedule", "x"))))
        .problem(422, "/task/labels/schedule");
    server.post("/v1/schedules", every(1_000, sleep(0, null)).put("overlap", "sometimes")).problem(422, "/overlap");
    server.post("/v1/schedules", every(1_000, sleep(0, null)).put("catchup_window_ms", -1)).problem(422, "/catchup_window_ms");
    server.post("/v1/schedules", every(1_000, sleep(0, null)).put("start_at", "soon")).problem(422, "/start_at");
    server.post("/v1/schedules", every(1_000, sleep(0, null)).put("start_at", at(START + 10_000))
        .put("end_at", at(START))).problem(422, "/end_at");
    server.post("/v1/schedules", every(1_000, sleep(0, null)).put("paused", "yes")).problem(422, "/paused");
    server.post("/v1/schedules", every(1_000, sleep(0, null)).put("colour", "red")).problem(422, "/colour");
    server.post("/v1/schedules", every(1_000, sleep(0, null)).put("id", "no spaces")).problem(422, "/id");
    server.put("/v1/schedules/a", every(1_000, sleep(0, null)).put("id", "b")).problem(422, "/id");
    server.put("/v1/schedules/no%20spaces", every(1_000, sleep(0, null))).problem(422, "id");
    server.post("/v1/tasks", sleep(0, null), Map.of("Idempotency-Key", "schedule:x:1")).problem(422, "Idempotency-Key");
    server.sendRaw("/v1/schedules", "{not json", "application/json").problem(400, null);
    assertEquals(0, server.get("/v1/schedules").json().getJsonArray("items").size(), "nothing was made");
  }
}
