package io.taskloop.http;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.taskloop.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * The node's edge, as a hostile or clumsy client meets it over raw TCP on loopback: a client
 * that dribbles its request head or body is cut off, a node over its connection cap sheds with
 * 503, heads over the limits get problem+json 414 / 431, and clients that vanish mid-request
 * leave no ERROR in the log.
 */
@ExtendWith(VertxExtension.class)
class HardenedEdgeTest {

  private static final long READ_TIMEOUT_MS = 400;

  private Vertx vertx;
  private TestServer server;
  private NetClient tcp;
  private final List<NetSocket> sockets = new ArrayList<>();

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    server = TestServer.start(vertx, config("http_read_timeout_ms", READ_TIMEOUT_MS, "http_max_connections", 4));
    tcp = vertx.createNetClient(new NetClientOptions().setSoLinger(0));
  }

  @AfterEach
  void stop() {
    sockets.forEach(s -> s.close());
    bounded(tcp.close());
    server.stop();
  }

  /** A raw connection; what it receives is kept, and {@code closed} completes when the server closes it. */
  private record Raw(NetSocket socket, StringBuilder received, Future<Void> closed) {
    String text() {
      synchronized (received) {
        return received.toString();
      }
    }
  }

  private Raw connect() {
    NetSocket socket = bounded(tcp.connect(server.node.port(), "127.0.0.1"));
    sockets.add(socket);
    StringBuilder received = new StringBuilder();
    Promise<Void> closed = Promise.promise();
    socket.handler(b -> {
      synchronized (received) {
        received.append(b.toString());
      }
    });
    socket.closeHandler(v -> closed.tryComplete());
    return new Raw(socket, received, closed.future());
  }

  /** Sends one byte of {@code text} every 100 ms until it is all sent or the socket closes. */
  private void dribble(Raw raw, String text) {
    int[] at = {0};
    vertx.setPeriodic(100, id -> {
      if (raw.closed().isComplete() || at[0] >= text.length()) {
        vertx.cancelTimer(id);
        return;
      }
      raw.socket().write(text.substring(at[0], at[0] + 1));
      at[0]++;
    });
  }

  @Test
  void aClientThatDribblesItsRequestHeadIsCutOff() {
    Raw raw = connect();
    long started = System.nanoTime();
    dribble(raw, "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "x".repeat(200) + "\r\n\r\n");
    bounded(raw.closed());
    long tookMs = (System.nanoTime() - started) / 1_000_000;
    assertTrue(tookMs >= READ_TIMEOUT_MS, "closed after " + tookMs + " ms, not before the timeout");
    assertEquals("", raw.text(), "nothing was answered: no head ever came");
  }

  @Test
  void aClientThatDribblesItsBodyGets408AndIsCutOff() {
    Raw raw = connect();
    raw.socket().write("POST /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Content-Length: 200\r\n\r\n{\"type\":");
    dribble(raw, "\"sleep\", \"delay_ms\": 0" + " ".repeat(150) + "}");
    bounded(raw.closed());
    assertTrue(raw.text().startsWith("HTTP/1.1 408"), raw.text());
    assertTrue(raw.text().contains("application/problem+json"), raw.text());
    assertTrue(raw.text().contains("http_read_timeout_ms"), raw.text());
    assertEquals(0, server.get("/v1/tasks").items().size(), "no task was made from half a body");
  }

  @Test
  void aConnectionLeftIdleAfterItsAnswerIsClosed() {
    Raw raw = connect();
    raw.socket().write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    bounded(raw.closed());
    assertTrue(raw.text().startsWith("HTTP/1.1 200"), raw.text());
  }

  @Test
  void overTheConnectionCapANodeShedsWith503() {
    List<Raw> held = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      held.add(connect());
    }
    TestServer.within(10, "the four connections counted", () -> {
      Raw probe = connect();
      probe.socket().write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      TestServer.within(10, "an answer", () -> probe.text().contains("\r\n\r\n"));
      probe.socket().close();
      return probe.text().startsWith("HTTP/1.1 503");
    });
    Raw over = connect();
    over.socket().write("GET /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    bounded(over.closed());
    assertTrue(over.text().startsWith("HTTP/1.1 503"), over.text());
    assertTrue(over.text().contains("http_max_connections"), over.text());
    held.forEach(r -> r.socket().close());
    TestServer.within(10, "room again once they closed", () -> {
      Raw again = connect();
      again.socket().write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      TestServer.within(10, "an answer", () -> again.text().contains("\r\n\r\n"));
      return again.text().startsWith("HTTP/1.1 200");
    });
  }

  @Test
  void headsOverTheLimitsAreProblems() {
    Raw longLine = connect();
    longLine.socket().write("GET /v1/events/" + "e".repeat(10_000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    bounded(longLine.closed());
    assertTrue(longLine.text().startsWith("HTTP/1.1 414"), longLine.text());
    assertProblem(longLine.text(), 414);

    Raw bigHeaders = connect();
    bigHeaders.socket().write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "h".repeat(20_000) + "\r\n\r\n");
    bounded(bigHeaders.closed());
    assertTrue(bigHeaders.text().startsWith("HTTP/1.1 431"), bigHeaders.text());
    assertProblem(bigHeaders.text(), 431);
  }

  @Test
  void clientsThatVanishMidRequestAreNoErrors() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    root.addAppender(seen);
    try {
      for (int i = 0; i < 50; i++) {
        Raw raw = connect();
        raw.socket().write("POST /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: 100\r\n\r\n{\"type\":\"sl");
        raw.socket().close(); // SO_LINGER 0: a reset, as a client killed mid-request
        bounded(raw.closed());
      }
      // The node sees the resets a moment after the client has closed: until then they count as open.
      TestServer.within(5, "the node serves again once it saw the resets", () -> server.get("/health/live").status() == 200);
      List<String> errors = seen.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
          .map(ILoggingEvent::getFormattedMessage).toList();
      assertEquals(List.of(), errors, "clients going away are logged at DEBUG at most");
    } finally {
      root.detachAppender(seen);
    }
  }

  private static void assertProblem(String response, int status) {
    assertTrue(response.contains("Content-Type: application/problem+json")
        || response.contains("content-type: application/problem+json"), response);
    JsonObject body = new JsonObject(Buffer.buffer(response.substring(response.indexOf("\r\n\r\n") + 4)));
    assertEquals(status, body.getInteger("status"), response);
  }
}
