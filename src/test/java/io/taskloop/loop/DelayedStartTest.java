package io.taskloop.loop;

import static io.taskloop.support.TestServer.START;
import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.composite;
import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.taskloop.support.TestServer;
import io.taskloop.support.Watching;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * asyncio's {@code call_later} / {@code call_at}: a task created with {@code start_in_ms} or
 * {@code start_at} is pending until its instant, then runs as if made then (its timeout counts
 * from its start, its inline children start with it); cancelled before, it never runs. Watched
 * as a client watches: a long poll open across the start, the node's stream, the done address.
 */
@ExtendWith(VertxExtension.class)
class DelayedStartTest {

  private static final long HORIZON_MS = 3_600_000;

  private Vertx vertx;
  private TestServer server;
  private Watching watching;
  private Path dataDir;

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    dataDir = TestServer.freshDataDir();
    server = TestServer.start(vertx, config("loops", 1, "start_horizon_ms", HORIZON_MS, "data_dir", dataDir.toString()));
    watching = Watching.start(vertx, server);
  }

  @AfterEach
  void stop() {
    if (watching != null) {
      watching.close();
    }
    server.stop();
  }

  @Test
  void aDelayedTaskIsPendingUntilItsInstantAndItsTimeoutCountsFromThere() {
    JsonObject created = server.create(sleep(100, "late").put("timeout_ms", 150).put("start_in_ms", 1_000));
    String id = created.getString("id");
    assertEquals("pending", created.getString("state"));
    assertEquals(Instant.ofEpochMilli(START + 1_000).toString(), created.getString("start_at"));
    assertNull(created.getString("started_at"));
    assertNull(created.getString("deadline"), "the timeout counts from the start");
    Future<JsonObject> poll = watching.longPoll(id);
    watching.awaitWaiting(1);

    server.advance(999);
    assertEquals("pending", server.task(id).getString("state"));
    server.advance(1);
    JsonObject running = server.task(id);
    assertEquals("running", running.getString("state"));
    assertEquals(Instant.ofEpochMilli(START + 1_000).toString(), running.getString("started_at"));
    assertEquals(Instant.ofEpochMilli(START + 1_150).toString(), running.getString("deadline"));
    server.advance(100);

    JsonObject seen = bounded(poll);
    assertEquals("succeeded", seen.getString("state"), seen::encode);
    assertEquals("late", seen.getString("result"));
    assertEquals(Instant.ofEpochMilli(START + 1_100).toString(), seen.getString("finished_at"));
    watching.settle(1);
    assertEquals(List.of("pending", "running", "succeeded"),
        watching.streamed(id).stream().map(t -> t.getString("state")).toList(), "the stream shows each step once");
    assertEquals(1, watching.published(id).size(), "published once on the done address");
  }

  @Test
  void aDelayedTaskTimesOutByItsOwnStartNotByItsCreate() {
    String id = server.create(sleep(500, null).put("timeout_ms", 300).put("start_in_ms", 1_000)).getString("id");
    server.advance(1_000);
    server.advance(299);
    assertEquals("running", server.task(id).getString("state"), "300 ms after its start, not its create");
    server.advance(1);
    JsonObject ended = server.awaitDone(id);
    assertEquals("timed_out", ended.getString("state"));
    assertEquals("TimeoutError", ended.getJsonObject("error").getString("type"));
  }

  @Test
  void aDelayedTaskCancelledBeforeItsStartNeverRunsNorDoItsInlineChildren() {
    AtomicInteger requests = new AtomicInteger();
    HttpServer target = bounded(vertx.createHttpServer().requestHandler(r -> {
      requests.incrementAndGet();
      r.response().end("{}");
    }).listen(0, "127.0.0.1"));
    try {
      JsonObject call = new JsonObject().put("type", "http")
          .put("request", new JsonObject().put("method", "POST").put("url", "http://127.0.0.1:" + target.actualPort() + "/"));
      JsonObject gather = server.create(composite("gather", call, sleep(10, null)).put("start_in_ms", 500));
      String id = gather.getString("id");
      List<String> children = gather.getJsonArray("children").stream().map(String.class::cast).toList();
      for (String child : children) {
        assertEquals("pending", server.task(child).getString("state"), "an inline child waits with its parent");
      }
      Future<JsonObject> poll = watching.longPoll(id);
      watching.awaitWaiting(1);

      JsonObject cancelled = server.post("/v1/tasks/" + id + "/cancel", null).expect(200).json();
      assertEquals("cancelled", cancelled.getString("state"));
      assertEquals("cancelled", bounded(poll).getString("state"));
      TestServer.within(10, "children cancelled", () -> children.stream()
          .allMatch(c -> server.task(c).getString("state").equals("cancelled")));

      server.advance(1_000);
      watching.settle(1);
      assertEquals(0, requests.get(), "the http child never sent its request");
      for (String child : children) {
        assertEquals(List.of("pending", "cancelled"),
            watching.streamed(child).stream().map(t -> t.getString("state")).toList(), "child " + child);
      }
    } finally {
      bounded(target.close());
    }
  }

  @Test
  void aDelayedGatherStartsWithItsChildrenAtItsInstant() {
    JsonObject gather = server.create(composite("gather", sleep(0, "a"), sleep(20, "b")).put("start_in_ms", 300));
    String id = gather.getString("id");
    Future<JsonObject> poll = watching.longPoll(id);
    watching.awaitWaiting(1);
    server.advance(300);
    String first = gather.getJsonArray("children").getString(0);
    assertEquals("succeeded", server.task(first).getString("state"), "the sleep 0 ran at the gather's start");
    assertEquals(Instant.ofEpochMilli(START + 300).toString(), server.task(first).getString("started_at"));
    server.advance(20);
    JsonObject done = bounded(poll);
    assertEquals("succeeded", done.getString("state"), done::encode);
    assertEquals(new JsonArray().add("a").add("b"), done.getJsonArray("result"));
  }

  @Test
  void aStartAtAlreadyPastStartsAtOnceAndIsShownAsAsked() {
    String past = Instant.ofEpochMilli(START - 3_600_000).toString();
    JsonObject done = server.post("/v1/tasks", sleep(0, "now").put("start_at", past), Map.of("Prefer", "wait=5"))
        .expect(201).json();
    assertEquals("succeeded", done.getString("state"));
    assertEquals(past, done.getString("start_at"));
    assertEquals(Instant.ofEpochMilli(START).toString(), done.getString("started_at"));
  }

  @Test
  void aStartAtWithAnOffsetIsThatInstant() {
    JsonObject created = server.create(sleep(0, null).put("start_at", "2023-11-14T23:13:20.5+01:00"));
    // START is 2023-11-14T22:13:20Z; the offset puts the instant half a second after it.
    assertEquals("2023-11-14T22:13:20.500Z", created.getString("start_at"));
    assertEquals("pending", created.getString("state"));
    server.advance(500);
    assertEquals("succeeded", server.awaitDone(created.getString("id")).getString("state"));
  }

  @Test
  void aDelayedTaskWaitsThroughARestart() {
    String id = server.create(sleep(0, "after restart").put("start_in_ms", 60_000)).getString("id");
    watching.close();
    watching = null;
    server.stop();
    server = TestServer.start(vertx, config("loops", 1, "start_horizon_ms", HORIZON_MS, "data_dir", dataDir.toString()));
    JsonObject back = server.task(id);
    assertEquals("pending", back.getString("state"), back::encode);
    assertEquals(Instant.ofEpochMilli(START + 60_000).toString(), back.getString("start_at"));
    server.advance(59_999);
    assertEquals("pending", server.task(id).getString("state"));
    server.advance(1);
    assertEquals("after restart", server.awaitDone(id).getString("result"));
  }

  @Test
  void badStartsAreAnsweredWithTheFieldAtFault() {
    server.post("/v1/tasks", sleep(0, null).put("start_in_ms", 5).put("start_at", "2030-01-01T00:00:00Z"))
        .problem(422, "/start_in_ms");
    server.post("/v1/tasks", sleep(0, null).put("start_at", "tomorrow")).problem(422, "/start_at");
    server.post("/v1/tasks", sleep(0, null).put("start_at", "2030-01-01T00:00:00")).problem(422, "/start_at");
    server.post("/v1/tasks", sleep(0, null).put("start_at", 17)).problem(422, "/start_at");
    server.post("/v1/tasks", sleep(0, null).put("start_in_ms", -1)).problem(422, "/start_in_ms");
    server.post("/v1/tasks", sleep(0, null).put("start_in_ms", 1.5)).problem(422, "/start_in_ms");
    JsonObject far = server.post("/v1/tasks", sleep(0, null).put("start_in_ms", HORIZON_MS + 1)).problem(422, "/start_in_ms");
    assertEquals(true, far.getString("detail").contains("start_horizon_ms"), far::encode);
    server.post("/v1/tasks", sleep(0, null).put("start_at", Instant.ofEpochMilli(START + HORIZON_MS + 1).toString()))
        .problem(422, "/start_at");
    server.post("/v1/tasks", composite("gather", sleep(0, null).put("start_in_ms", 10))).problem(422, "/tasks/0/start_in_ms");
    server.post("/v1/gather", new JsonObject().put("tasks", new JsonArray().add(sleep(0, null))).put("start_in_ms", "soon"))
        .problem(422, "/start_in_ms");
    assertEquals(0, server.get("/v1/tasks").items().size(), "nothing was made");
  }
}
