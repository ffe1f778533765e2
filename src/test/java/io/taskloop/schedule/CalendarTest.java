package io.taskloop.schedule;

import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.sleep;
import static io.taskloop.support.TestServer.within;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.taskloop.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Schedules across the calendar's edges, through the running service with the injected clock:
 * a nightly 02:30 in Europe/Berlin over both clock changes of 2026 (the gap in March fires at
 * 03:00 CEST, the repeated hour in October fires once), an hourly six-field cron that fires 23
 * and 25 times on those days, and a 29 February cron that fires in leap years only.
 */
@ExtendWith(VertxExtension.class)
class CalendarTest {

  /** Fired tasks are kept long enough to be counted after the clock has moved over months. */
  private static final long YEAR_MS = 3L * 366 * 24 * 3600 * 1000;

  private TestServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop();
    }
  }

  private List<String> fired(String id) {
    List<String> ticks = new ArrayList<>();
    for (Object o : server.get("/v1/tasks?limit=1000&label=schedule=" + id).expect(200).items()) {
      ticks.add(((JsonObject) o).getJsonObject("schedule").getString("tick"));
    }
    ticks.sort(String::compareTo);
    return ticks;
  }

  /** Moves the clock to {@code until} from one fire to the next, as a clock would, letting each tick fire first. */
  private void walk(String id, long until) {
    while (true) {
      int before = fired(id).size();
      JsonArray next = server.get("/v1/schedules/" + id).json().getJsonArray("next_fires");
      long tick = next.isEmpty() ? Long.MAX_VALUE : Instant.parse(next.getString(0)).toEpochMilli();
      if (tick > until) {
        server.advance(until - server.clock.millis());
        return;
      }
      server.advance(tick - server.clock.millis());
      within(10, "the tick at " + Instant.ofEpochMilli(tick) + " fired", () -> fired(id).size() > before);
    }
  }

  private static long at(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  @Test
  void aNightlyBerlinScheduleFiresOnceADayAcrossBothClockChanges(Vertx vertx) {
    server = TestServer.start(vertx, config("loops", 2, "retention_ms", YEAR_MS), at("2026-03-28T00:00:00Z"));
    server.post("/v1/schedules", new JsonObject().put("id", "nightly").put("cron", "30 2 * * *")
        .put("time_zone", "Europe/Berlin").put("task", sleep(0, null))).expect(201);
    walk("nightly", at("2026-03-31T00:00:00Z"));
    assertEquals(List.of("2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"), fired("nightly"),
        "02:30 CET; 02:30 does not exist on 29 March, so 03:00 CEST; then 02:30 CEST");
    server.advance(at("2026-10-24T00:00:00Z") - server.clock.millis());
    // Ticks from April to October passed in one step: beyond the catch-up window, recorded as missed.
    within(10, "the jump was handled", () -> server.get("/v1/schedules/nightly").json().getJsonObject("missed")
        .getLong("count") > 0);
    int before = fired("nightly").size();
    walk("nightly", at("2026-10-27T00:00:00Z"));
    List<String> october = fired("nightly").subList(before, fired("nightly").size());
    assertEquals(List.of("2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"), october,
        "02:30 CEST; on 25 October 02:30 happens twice and fires at the first; then 02:30 CET");
  }

  @Test
  void anHourlyCronFires23And25TimesOnTheChangeDays(Vertx vertx) {
    server = TestServer.start(vertx, config("loops", 2, "retention_ms", YEAR_MS), at("2026-03-28T22:59:59Z")); // a second before 00:00 CET, 29 March
    server.post("/v1/schedules", new JsonObject().put("id", "hourly").put("cron", "0 0 * * * *")
        .put("time_zone", "Europe/Berlin").put("task", sleep(0, null)).put("overlap", "allow")).expect(201);
    walk("hourly", at("2026-03-29T21:59:59Z")); // to a second before 00:00 CEST, 30 March
    List<String> march = fired("hourly");
    assertEquals(23, march.size(), march::toString);
    assertEquals(List.of("2026-03-28T23:00:00Z", "2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z"), march.subList(0, 3),
        "00:00 CET, 01:00 CET, then 03:00 CEST: 02:00 did not happen");
    assertEquals("2026-03-29T21:00:00Z", march.get(22), "23:00 CEST");
    server.stop();
    server = TestServer.start(vertx, config("loops", 2, "retention_ms", YEAR_MS), at("2026-10-24T21:59:59Z")); // a second before 00:00 CEST
    server.post("/v1/schedules", new JsonObject().put("id", "hourly").put("cron", "0 0 * * * *")
        .put("time_zone", "Europe/Berlin").put("task", sleep(0, null)).put("overlap", "allow")).expect(201);
    walk("hourly", at("2026-10-25T22:59:59Z")); // to a second before 00:00 CET, 26 October
    List<String> ticks = fired("hourly");
    assertEquals(25, ticks.size(), ticks::toString);
    assertEquals("2026-10-24T22:00:00Z", ticks.get(0));
    assertEquals(List.of("2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z"), ticks.subList(2, 4),
        "02:00 CEST and 02:00 CET: an hourly cron fires at both");
  }

  @Test
  void aLeapDayCronFiresOnlyInLeapYears(Vertx vertx) {
    server = TestServer.start(vertx, config("loops", 1, "retention_ms", YEAR_MS), at("2026-12-01T00:00:00Z"));
    JsonObject s = server.post("/v1/schedules", new JsonObject().put("id", "leap").put("cron", "0 12 29 2 *")
        .put("task", sleep(0, null))).expect(201).json();
    assertEquals(new JsonArray().add("2028-02-29T12:00:00Z").add("2032-02-29T12:00:00Z").add("2036-02-29T12:00:00Z")
        .add("2040-02-29T12:00:00Z").add("2044-02-29T12:00:00Z"), s.getJsonArray("next_fires"));
    server.advance(at("2028-02-29T11:59:59Z") - server.clock.millis());
    server.advance(1_000);
    within(10, "the leap-day tick fired", () -> fired("leap").size() == 1);
    assertEquals(List.of("2028-02-29T12:00:00Z"), fired("leap"));
  }
}
