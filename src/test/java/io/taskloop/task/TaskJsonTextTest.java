package io.taskloop.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A task's text written directly is, character for character, the encoding of its JSON object. */
class TaskJsonTextTest {

  private static final SpecDecoder SPECS = new SpecDecoder(1000, 32, new OutboundGuard(List.of("*"), List.of()));
  private static final String AWKWARD = "q\"uote \\ back / slash \n\r\t\b\f \u0001\u001f \u00e9 \u4e2d \ud83d\ude00 \u2028";

  @Test
  void valuesAreWrittenAsVertxWritesThem() {
    Map<String, Object> raw = new LinkedHashMap<>();
    raw.put("list", new ArrayList<>(List.of(1, "two", 3.5)));
    raw.put("map", new LinkedHashMap<>(Map.of("k", true)));
    Object[] values = {null, "", AWKWARD, 0, -7, Long.MAX_VALUE, Long.MIN_VALUE, 1.0, -0.0, 1e-7, 1.5e300, 0.1f,
        true, false, new BigInteger("123456789012345678901234567890"), new BigDecimal("1.50"), new BigDecimal("1E+3"),
        new JsonObject().put(AWKWARD, AWKWARD).putNull("n").put("nested", new JsonArray().add(new JsonObject())),
        new JsonArray().add(1).addNull().add(new JsonArray()).add(2.25), new JsonObject(raw), new JsonObject(),
        new JsonArray(), new JsonObject("{\"a\":[1,2,{\"b\":null}],\"c\":\"\\u0000\",\"d\":12345678901234567890}")};
    for (Object v : values) {
      StringBuilder b = new StringBuilder();
      JsonText.value(b, v);
      assertEquals(Json.encode(v), b.toString(), "value " + v);
    }
  }

  @Test
  void everyKindOfRecordIsWrittenAsItsObjectEncodes() {
    String node = "n1";
    List<JsonObject> records = List.of(
        record("n1-0-1", "sleep", "running", new JsonObject().put("type", "sleep").put("delay_ms", 5).put("name", AWKWARD)
            .put("labels", new JsonObject().put("team", AWKWARD).put("b", "2"))),
        record("n1-0-2", "sleep", "succeeded", new JsonObject().put("type", "sleep").put("delay_ms", 0)
            .put("result", new JsonObject().put("x", new JsonArray().add(1.25).add(AWKWARD).addNull()))),
        record("n1-0-3", "external", "failed", new JsonObject().put("type", "external").put("timeout_ms", 100))
            .put("error", new JsonObject().put("type", "Boom").put("message", AWKWARD).put("data", new JsonArray().add(1))),
        record("n1-0-4", "external", "cancelled", new JsonObject().put("type", "external"))
            .put("error", new JsonObject().put("type", "CancelledError").put("message", "cancelled")),
        record("n1-0-5", "gather", "succeeded", new JsonObject().put("type", "gather").put("tasks", new JsonArray()
            .add("n1-0-6").add("n1-0-7")).put("return_exceptions", true))
            .put("children", new JsonArray().add("n1-0-6").add("n1-0-7"))
            .put("result", new JsonArray().add(1).add(new JsonObject().put("type", "E").put("message", "m")))
            .put("error_slots", new JsonArray().add(1)),
        record("n1-0-8", "http", "running", new JsonObject().put("type", "http").put("request", new JsonObject()
            .put("method", "POST").put("url", "https://example.com/x?q=1").put("headers", new JsonObject().put("X-A", AWKWARD))
            .put("body", new JsonObject().put("k", 1))).put("expect_status", new JsonArray().add(200).add("2xx"))
            .put("attempt_timeout_ms", 1000).put("retry", new JsonObject().put("max_attempts", 3).put("backoff_ms", 10)
                .put("multiplier", 2.0).put("max_backoff_ms", 100).put("on", new JsonArray().add("5xx"))))
            .put("attempt", 2).put("attempts", new JsonArray()
                .add(new JsonObject().put("number", 1).put("started_at", "2026-12-03T05:00:00.001Z")
                    .put("finished_at", "2026-12-03T05:00:01Z").put("error", new JsonObject().put("type", "HttpStatus")
                        .put("message", "503")))
                .add(new JsonObject().put("number", 2).put("started_at", "2026-12-03T05:00:02.120Z")
                    .putNull("finished_at").putNull("error"))),
        record("n1-0-9", "wait_for", "timed_out", new JsonObject().put("type", "wait_for").put("task", "n1-0-10")
            .put("timeout_ms", 50)).put("children", new JsonArray().add("n1-0-10")).put("parent", "n1-0-11")
            .put("error", new JsonObject().put("type", "TimeoutError").put("message", "t")),
        record("n1-0-12", "event", "pending", new JsonObject().put("type", "event").put("event", "orders.ready@eu/1")
            .put("labels", new JsonObject().put("schedule", "nightly"))
            .put("schedule", new JsonObject().put("id", "nightly").put("tick", "2026-12-03T03:00:00Z")))
            .put("start_at", "2026-12-03T06:00:00Z"));
    for (JsonObject json : records) {
      Task t = TaskJson.fromJson(json, SPECS);
      assertEquals(TaskJson.task(t).encode(), TaskJson.text(t), "record " + json.getString("id"));
      assertEquals(t.json(), TaskJson.text(t));
      // Read back from its text (another node's answer), a record keeps that text, and it is
      // what the record read back encodes to: answering it again cannot change a character.
      Task back = TaskJson.fromText(t.json(), SPECS);
      assertEquals(t.json(), back.json(), "record " + json.getString("id") + " read from its text");
      assertEquals(t.json(), TaskJson.text(back), "record " + json.getString("id") + " encoded again");
      assertEquals(TaskJson.task(t), TaskJson.task(back));
    }
  }

  private static JsonObject record(String id, String type, String state, JsonObject spec) {
    boolean started = !state.equals("pending");
    boolean finished = !state.equals("pending") && !state.equals("running");
    return new JsonObject().put("id", id).put("type", type).put("state", state).put("spec", spec)
        .put("created_at", "2026-12-03T05:00:00Z").putNull("start_at")
        .put("started_at", started ? "2026-12-03T05:00:00.007Z" : null)
        .put("finished_at", finished ? "2026-12-03T05:00:03.250Z" : null)
        .put("deadline", spec.containsKey("timeout_ms") ? "2026-12-03T05:00:09.999Z" : null)
        .put("loop", new JsonObject().put("node", "n1").put("index", 0))
        .putNull("parent").put("children", new JsonArray()).put("version", 4);
  }
}
