package io.taskloop.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.field.CronFieldName;
import com.cronutils.model.field.expression.Always;
import com.cronutils.model.field.expression.Every;
import com.cronutils.model.field.expression.FieldExpression;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.taskloop.task.Problem;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A cron expression in an IANA time zone: 5 fields (minute hour day-of-month month day-of-week,
 * as Unix cron) or 6 with seconds first. cron-utils parses it and finds the next matching
 * wall-clock time; what a wall-clock time means on a day the clocks change is decided here, as
 * DESIGN §8 says:
 *
 * <ul>
 *   <li>a local time that does not exist that day (in the spring gap) fires once, at the first
 *       instant after the gap;</li>
 *   <li>a local time that happens twice (the autumn overlap) fires once, at its first
 *       occurrence, unless the expression fires every hour ({@code *} or {@code *}{@code /n} in
 *       the hour field): then both occurrences are hours that pass, and both fire, so an hourly
 *       schedule fires 25 times on that day and 23 on the spring one.</li>
 * </ul>
 */
public final class CronCadence implements Cadence {

  private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser WITH_SECONDS = new CronParser(withSeconds());

  /**
   * Cadences parsed lately, by a hash of expression and zone: a cadence is an immutable value,
   * so the many schedules of one expression (every hour, every minute) share one, and with it
   * its last answer. A slot another thread overwrites only costs a parse.
   */
  private static final AtomicReferenceArray<CronCadence> RECENT = new AtomicReferenceArray<>(1024);

  private final String expression;
  private final ZoneId zone;
  private final ExecutionTime times;
  private final boolean everyHour;
  /** The last {@link #nextAfter} answer; any loop may read or replace it (an immutable pair). */
  private volatile Answer last = new Answer(Long.MIN_VALUE, Long.MIN_VALUE);

  private CronCadence(String expression, ZoneId zone, Cron cron) {
    this.expression = expression;
    this.zone = zone;
    this.times = ExecutionTime.forCron(cron);
    FieldExpression hour = cron.retrieve(CronFieldName.HOUR).getExpression();
    this.everyHour = hour instanceof Always || hour instanceof Every;
  }

  /**
   * Parses {@code expression} in {@code timeZone} (IANA, e.g. {@code Europe/Berlin}); a bad one is
   * a 422 at {@code /cron} or {@code /time_zone} saying why.
   */
  public static CronCadence parse(String expression, String timeZone) {
    ZoneId zone = zone(timeZone);
    if (expression == null || expression.isBlank()) {
      throw Problem.invalid("/cron", "cron must be an expression of 5 fields, or 6 with seconds first");
    }
    String trimmed = expression.trim();
    int slot = (trimmed.hashCode() * 31 + zone.hashCode()) & (RECENT.length() - 1);
    CronCadence seen = RECENT.getAcquire(slot);
    if (seen != null && seen.expression.equals(trimmed) && seen.zone.equals(zone)) {
      return seen;
    }
    int fields = trimmed.split("\\s+").length;
    CronParser parser = switch (fields) {
      case 5 -> UNIX;
      case 6 -> WITH_SECONDS;
      default -> throw Problem.invalid("/cron", "cron must have 5 fields (minute hour day month weekday), or 6 with"
          + " seconds first; '" + trimmed + "' has " + fields);
    };
    Cron cron;
    try {
      cron = parser.parse(trimmed).validate();
    } catch (IllegalArgumentException e) {
      throw Problem.invalid("/cron", "cron '" + trimmed + "' is not valid: " + e.getMessage());
    }
    CronCadence cadence = new CronCadence(trimmed, zone, cron);
    if (cadence.nextLocal(LocalDateTime.of(2000, 1, 1, 0, 0)).isEmpty()) {
      throw Problem.invalid("/cron", "cron '" + trimmed + "' never fires");
    }
    RECENT.setRelease(slot, cadence);
    return cadence;
  }

  /** An IANA zone by name ({@code Europe/Berlin}, {@code UTC}); a bad one is a 422 at {@code /time_zone}. */
  public static ZoneId zone(String timeZone) {
    try {
      return ZoneId.of(timeZone);
    } catch (DateTimeException e) {
      throw Problem.invalid("/time_zone", "time_zone must be an IANA zone such as Europe/Berlin or UTC: " + e.getMessage());
    }
  }

  public String expression() {
    return expression;
  }

  public ZoneId zone() {
    return zone;
  }

  /**
   * The next fire after {@code afterMs}: a pure function of it, so the last answer is kept. The
   * schedules of one expression in one zone share this cadence ({@link #parse}), and at a tick
   * every one of them asks for the fire after that same tick; cron-utils' search allocated
   * about 10 KB per answer, the largest share of what a fire allocated.
   */
  @Override
  public long nextAfter(long afterMs) {
    Answer last = this.last;
    if (last.afterMs == afterMs) {
      return last.nextMs;
    }
    long next = search(afterMs);
    this.last = new Answer(afterMs, next);
    return next;
  }

  private record Answer(long afterMs, long nextMs) { }

  private long search(long afterMs) {
    Instant after = Instant.ofEpochMilli(afterMs);
    ZoneRules rules = zone.getRules();
    // Ticks fall on whole seconds: from the second under afterMs, the next is past afterMs too.
    LocalDateTime cursor = LocalDateTime.ofInstant(after, zone).truncatedTo(ChronoUnit.SECONDS);
    // Inside an overlap, a wall-clock time before this one may still have an occurrence ahead.
    for (ZoneOffsetTransition t : new ZoneOffsetTransition[] {rules.previousTransition(after.plusMillis(1)),
        rules.nextTransition(after)}) {
      if (t != null && t.isOverlap() && !cursor.isBefore(t.getDateTimeAfter()) && cursor.isBefore(t.getDateTimeBefore())) {
        LocalDateTime start = t.getDateTimeAfter().minusSeconds(1);
        cursor = start.isBefore(cursor) ? start : cursor;
      }
    }
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 100_000; i++) {
      Optional<LocalDateTime> next = nextLocal(cursor);
      if (next.isEmpty()) {
        return best;
      }
      LocalDateTime local = next.get();
      List<ZoneOffset> offsets = rules.getValidOffsets(local);
      long first;
      if (offsets.isEmpty()) {
        first = rules.getTransition(local).getInstant().toEpochMilli(); // in the gap: when it ends
      } else {
        first = local.toInstant(offsets.get(0)).toEpochMilli();
        if (offsets.size() > 1 && everyHour) {
          long second = local.toInstant(offsets.get(1)).toEpochMilli();
          if (second > afterMs) {
            best = Math.min(best, second);
          }
        }
      }
      if (first > afterMs) {
        // Later wall-clock times never come earlier than this one's first occurrence.
        return Math.min(best, first);
      }
      cursor = local;
    }
    return best;
  }

  /** The next matching wall-clock time strictly after {@code local}: read on a zone without changes. */
  private Optional<LocalDateTime> nextLocal(LocalDateTime local) {
    return times.nextExecution(local.atZone(ZoneOffset.UTC)).map(ZonedDateTime::toLocalDateTime);
  }

  /** Six fields: second minute hour day-of-month month day-of-week, the Unix fields with seconds first. */
  private static CronDefinition withSeconds() {
    return CronDefinitionBuilder.defineCron()
        .withSeconds().and()
        .withMinutes().and()
        .withHours().and()
        .withDayOfMonth().supportsL().supportsW().supportsQuestionMark().and()
        .withMonth().and()
        .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0).supportsHash().supportsL()
        .supportsQuestionMark().and()
        .instance();
  }

  @Override
  public String toString() {
    return expression + " in " + zone;
  }
}
