package io.taskloop.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.taskloop.task.OutboundGuard;
import io.taskloop.task.SpecDecoder;
import io.taskloop.task.Tenancy;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The record a fire writes is the same JSON as the record built as an object, in every state a schedule passes through. */
class ScheduleRecordTest {

  private static final SpecDecoder TASKS = new SpecDecoder(1000, 32, new OutboundGuard(List.of("*"), List.of()));
  private static final long T0 = 1_796_296_968_000L;

  @Test
  void theWrittenTextIsTheRecord() {
    JsonObject body = new JsonObject().put("cron", "*/5 * * * * *").put("time_zone", "Europe/Berlin")
        .put("overlap", "buffer_one").put("labels", new JsonObject().put("team", "a \"quoted\" \\ name"))
        .put("task", new JsonObject().put("type", "sleep").put("delay_ms", 10).put("result", "é\n\u0001"));
    Schedule s = new Schedule(ScheduleSpec.decode(body, Tenancy.qualified("acme", "nightly"), T0, TASKS), T0, T0 * 1000);
    same(s);
    s.fired(T0 + 5_000, "t-1", false, "pending", T0 + 5_001);
    same(s);
    s.buffer(T0 + 10_000, T0 + 10_001);
    s.skipped(T0 + 15_000, T0 + 15_001);
    s.fired(T0 + 20_000, null, true, null, T0 + 20_002);
    same(s);
    s.runEnded("t-1", "succeeded");
    s.missed(3, T0 + 35_000, T0 + 35_000, T0 + 40_000);
    for (int i = 0; i < 2 * Schedule.RECENT; i++) {
      s.fired(T0 + 40_000 + 5_000L * i, "t-" + (i + 2), false, "running", T0 + 40_000 + 5_000L * i);
    }
    same(s);
    s.pause(true, T0 + 200_000);
    same(s);
    s.delete(T0 + 300_000);
    same(s);
  }

  private static void same(Schedule s) {
    JsonObject written = new JsonObject(s.recordText());
    assertEquals(new JsonObject().put("id", s.id()).put("version", s.version()).put("deleted", s.deleted())
        .put("definition", s.spec().toRequest()).put("created_at", s.createdAt()).put("cursor", s.cursor())
        .put("buffered", s.buffered()).put("latest", s.latest()).put("runs", count(s.runs())),
        new JsonObject().put("id", written.getString("id")).put("version", written.getLong("version"))
            .put("deleted", written.getBoolean("deleted")).put("definition", written.getJsonObject("definition"))
            .put("created_at", written.getLong("created_at")).put("cursor", written.getLong("cursor"))
            .put("buffered", written.getLong("buffered")).put("latest", written.getString("latest"))
            .put("runs", written.getJsonArray("runs").size()));
    assertEquals(s.toRecord(), Schedule.fromRecord(written, 0, TASKS).toRecord(), "read back as it was");
  }

  private static int count(Iterable<?> items) {
    int n = 0;
    for (Object ignored : items) {
      n++;
    }
    return n;
  }
}
