package io.taskloop.http;

import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.SseClient;
import io.taskloop.support.SseClient.Event;
import io.taskloop.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Live streams of state changes over real HTTP connections. */
@ExtendWith(VertxExtension.class)
class StreamsTest {

  private Vertx vertx;
  private TestServer server;

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    server = TestServer.start(vertx, config("stream_heartbeat_ms", 50, "stream_buffer", 5));
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private SseClient open(String path, Map<String, String> headers) {
    SseClient sse = SseClient.open(vertx, server.node.port(), path, headers);
    assertEquals(200, sse.response().statusCode());
    assertEquals("text/event-stream", sse.response().getHeader("Content-Type"));
    return sse;
  }

  private int streamsOpen() {
    return server.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0).getInteger("streams_open");
  }

  @Test
  void aTaskStreamSendsEachChangeAndEndsWhenTheTaskFinishes() {
    String id = server.create(sleep(1_000, "done")).getString("id");
    SseClient sse = open("/v1/tasks/" + id + "/stream", Map.of());
    Event running = sse.next();
    assertEquals("task", running.event());
    assertEquals("running", running.json().getString("state"));
    assertEquals("2", running.id(), "a task stream's event id is the task version");
    server.advance(1_000);
    Event finished = sse.next();
    assertEquals("succeeded", finished.json().getString("state"));
    assertEquals("done", finished.json().getString("result"));
    assertTrue(sse.ends(), "the stream ends with the task");
    sse.close();
  }

  @Test
  void aTaskStreamResumesAfterLastEventId() {
    String id = server.create(external()).getString("id");
    server.post("/v1/tasks/" + id + "/complete", new JsonObject().put("result", 1)).expect(200);
    SseClient sse = open("/v1/tasks/" + id + "/stream", Map.of("Last-Event-ID", "2"));
    Event e = sse.next();
    assertEquals("3", e.id());
    assertEquals("succeeded", e.json().getString("state"));
    assertTrue(sse.ends());
    sse.close();
  }

  @Test
  void aTaskStreamResumedPastTheFinalStateEndsAtOnce() {
    String id = server.create(external()).getString("id");
    server.post("/v1/tasks/" + id + "/complete", new JsonObject().put("result", 1)).expect(200);
    SseClient sse = open("/v1/tasks/" + id + "/stream", Map.of("Last-Event-ID", "3"));
    assertTrue(sse.ends(), "nothing is left to send");
    sse.close();
  }

  @Test
  void theNodeStreamSendsWhatTheFilterMatchesWithHeartbeats() {
    SseClient sse = open("/v1/stream?type=external&label=team=a", Map.of());
    assertEquals(":", sse.nextAny().event(), "the stream opens with a comment");
    String wanted = server.create(external().put("labels", new JsonObject().put("team", "a"))).getString("id");
    server.create(external().put("labels", new JsonObject().put("team", "b")));
    server.create(sleep(0, null));
    Event created = sse.next();
    assertEquals(wanted, created.json().getString("id"));
    assertEquals("running", created.json().getString("state"));
    server.post("/v1/tasks/" + wanted + "/complete", new JsonObject().put("result", "x")).expect(200);
    Event completed = sse.next();
    assertEquals(wanted, completed.json().getString("id"));
    assertEquals("succeeded", completed.json().getString("state"));
    Event beat;
    do {
      beat = sse.nextAny();
    } while (!beat.event().equals(":") || !beat.data().equals("heartbeat"));
    sse.close();
  }

  @Test
  void theNodeStreamResumesWithLastEventIdWhileChangesAreHeld() {
    SseClient first = open("/v1/stream", Map.of());
    String a = server.create(external()).getString("id");
    Event seen = first.next();
    assertEquals(a, seen.json().getString("id"));
    first.close();
    TestServer.eventually("the closed stream is torn down", () -> streamsOpen() == 0);

    String b = server.create(external()).getString("id");
    SseClient second = open("/v1/stream", Map.of("Last-Event-ID", seen.id()));
    Event missed = second.next();
    assertEquals(b, missed.json().getString("id"), "the change made while disconnected is replayed");
    String c = server.create(external()).getString("id");
    assertEquals(c, second.next().json().getString("id"), "then the stream goes live");
    second.close();
  }

  @Test
  void aResumeBeyondWhatIsHeldSaysSo() {
    SseClient first = open("/v1/stream", Map.of());
    server.create(external());
    Event seen = first.next();
    first.close();
    for (int i = 0; i < 20; i++) {
      server.create(external()); // more than the 5 changes each loop holds
    }
    SseClient second = open("/v1/stream", Map.of("Last-Event-ID", seen.id()));
    assertEquals("gap", second.next().event());
    second.close();
  }

  @Test
  void streamsAreTornDownWhenTheClientGoesAway() {
    SseClient a = open("/v1/stream", Map.of());
    SseClient b = open("/v1/tasks/" + server.create(external()).getString("id") + "/stream", Map.of());
    assertEquals(2, streamsOpen());
    a.close();
    b.close();
    TestServer.eventually("both streams are closed", () -> streamsOpen() == 0);
  }

  @Test
  void badStreamRequestsAreProblems() {
    server.get("/v1/tasks/" + server.node.id() + "-0-424242/stream").problem(404, null);
    server.get("/v1/tasks/nope/stream").problem(404, null);
    server.get("/v1/stream?state=sleeping").problem(422, "state");
    String id = server.create(external()).getString("id");
    server.send(io.vertx.core.http.HttpMethod.GET, "/v1/tasks/" + id + "/stream", null, Map.of("Last-Event-ID", "x"))
        .problem(422, "Last-Event-ID");
    server.send(io.vertx.core.http.HttpMethod.GET, "/v1/stream", null, Map.of("Last-Event-ID", "garbage"))
        .problem(422, "Last-Event-ID");
    TestServer.eventually("no stream is left open", () -> streamsOpen() == 0);
  }
}
