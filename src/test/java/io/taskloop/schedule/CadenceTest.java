package io.taskloop.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.taskloop.task.Problem;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The calendar a schedule fires on (DESIGN §8), on the days the clocks change in Berlin in
 * 2026: spring forward on 29 March at 01:00 UTC (02:00 CET becomes 03:00 CEST), fall back on
 * 25 October at 01:00 UTC (03:00 CEST becomes 02:00 CET).
 */
class CadenceTest {

  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

  @Test
  void ticksFallOnWholeSecondsWhateverTheInstantCountedFrom() {
    CronCadence everySecond = CronCadence.parse("* * * * * *", "UTC");
    long at = Instant.parse("2026-12-02T12:00:00.437Z").toEpochMilli();
    assertEquals(Instant.parse("2026-12-02T12:00:01Z").toEpochMilli(), everySecond.nextAfter(at));
    assertEquals(Instant.parse("2026-12-02T12:00:01Z").toEpochMilli(), everySecond.nextAfter(at - 437));
    assertEquals(Instant.parse("2026-12-02T12:01:00Z").toEpochMilli(),
        CronCadence.parse("* * * * *", "Europe/Berlin").nextAfter(at));
  }

  @Test
  void schedulesOfOneExpressionInOneZoneShareACadenceAndItsAnswers() {
    CronCadence a = CronCadence.parse("*/5 * * * *", "Europe/Berlin");
    assertSame(a, CronCadence.parse(" */5 * * * * ", "Europe/Berlin"));
    assertNotSame(a, CronCadence.parse("*/5 * * * *", "UTC"));
    assertNotSame(a, CronCadence.parse("*/10 * * * *", "Europe/Berlin"));
    long noon = Instant.parse("2026-12-02T12:00:00Z").toEpochMilli();
    long later = Instant.parse("2026-12-02T13:02:00Z").toEpochMilli();
    // Asked in turns, the kept answer never stands in for another instant's.
    for (int i = 0; i < 3; i++) {
      assertEquals(Instant.parse("2026-12-02T12:05:00Z").toEpochMilli(), a.nextAfter(noon));
      assertEquals(Instant.parse("2026-12-02T12:05:00Z").toEpochMilli(), a.nextAfter(noon));
      assertEquals(Instant.parse("2026-12-02T13:05:00Z").toEpochMilli(), a.nextAfter(later));
    }
  }

  @Test
  void aDaily0230InBerlinFiresOnceEachDayAcrossBothChanges() {
    CronCadence daily = CronCadence.parse("30 2 * * *", "Europe/Berlin");
    assertEquals(List.of("2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"),
        ticks(daily, "2026-03-28T00:00:00Z", 3), "02:30 does not exist on 29 March: the first instant after the gap");
    assertEquals(List.of("2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"),
        ticks(daily, "2026-10-24T00:00:00Z", 3), "02:30 happens twice on 25 October: once, the first time");
  }

  @Test
  void anHourlyScheduleFires23And25TimesOnTheDaysOfTheChanges() {
    CronCadence hourly = CronCadence.parse("0 0 * * * *", "Europe/Berlin");
    assertEquals(23, ticksOn(hourly, LocalDate.of(2026, 3, 29)));
    assertEquals(25, ticksOn(hourly, LocalDate.of(2026, 10, 25)));
    assertEquals(24, ticksOn(hourly, LocalDate.of(2026, 10, 26)));
    assertEquals(24, ticksOn(CronCadence.parse("0 * * * *", "Europe/Berlin"), LocalDate.of(2026, 7, 1)));
  }

  @Test
  void ticksInTheSpringGapFireOnceAtItsEnd() {
    CronCadence quarterly = CronCadence.parse("*/15 * * * *", "Europe/Berlin");
    assertEquals(List.of("2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z"),
        ticks(quarterly, "2026-03-29T00:30:00Z", 3), "02:00-02:45 local do not exist; 03:00 is the first after them");
  }

  @Test
  void february29FiresOnlyInLeapYears() {
    CronCadence leap = CronCadence.parse("0 12 29 2 *", "UTC");
    assertEquals(List.of("2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"), ticks(leap, "2026-01-01T00:00:00Z", 2));
  }

  @Test
  void sixFieldsCountSeconds() {
    assertEquals(List.of("2026-01-01T00:00:10Z", "2026-01-01T00:00:20Z"),
        ticks(CronCadence.parse("*/10 * * * * *", "UTC"), "2026-01-01T00:00:00Z", 2));
  }

  @Test
  void everyMsKeepsThePhaseOfItsAnchor() {
    EveryCadence every = new EveryCadence(60_000, Instant.parse("2026-01-01T00:00:07Z").toEpochMilli());
    assertEquals(List.of("2026-01-01T00:00:07Z", "2026-01-01T00:01:07Z", "2026-01-01T00:02:07Z"),
        ticks(every, "2025-12-31T00:00:00Z", 3), "before the anchor, the anchor is the first tick");
    assertEquals(List.of("2026-01-01T00:05:07Z"), ticks(every, "2026-01-01T00:04:07Z", 1), "strictly after");
    assertEquals("/every_ms", assertThrows(Problem.class, () -> new EveryCadence(999, 0)).pointer());
  }

  @Test
  void badExpressionsAndZonesAreRefusedNamingTheField() {
    for (String bad : new String[] {"61 * * * *", "* * *", "* * * * * * *", "", "0 0 31 2 *", "every minute"}) {
      Problem p = assertThrows(Problem.class, () -> CronCadence.parse(bad, "UTC"), bad);
      assertEquals("/cron", p.pointer(), bad);
      assertEquals(422, p.status(), bad);
    }
    assertEquals("/time_zone", assertThrows(Problem.class, () -> CronCadence.parse("* * * * *", "Mars/Olympus")).pointer());
    assertEquals("/time_zone", assertThrows(Problem.class, () -> CronCadence.parse("* * * * *", "CEST+25")).pointer());
  }

  private static List<String> ticks(Cadence cadence, String after, int n) {
    List<String> out = new ArrayList<>();
    long t = Instant.parse(after).toEpochMilli();
    for (int i = 0; i < n; i++) {
      t = cadence.nextAfter(t);
      out.add(Instant.ofEpochMilli(t).toString());
    }
    return out;
  }

  private static int ticksOn(Cadence cadence, LocalDate day) {
    long start = day.atStartOfDay(BERLIN).toInstant().toEpochMilli();
    long end = day.plusDays(1).atStartOfDay(BERLIN).toInstant().toEpochMilli();
    int n = 0;
    for (long t = cadence.nextAfter(start - 1); t < end; t = cadence.nextAfter(t)) {
      n++;
    }
    return n;
  }
}
