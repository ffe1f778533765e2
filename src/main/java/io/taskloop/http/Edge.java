package io.taskloop.http;

import io.taskloop.task.Problem;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a loop's HTTP server does before a request reaches the API, so a slow or greedy client
 * cannot hold the node: a connection must send a whole request head within
 * {@code http_read_timeout_ms} of opening (and of its previous answer, which also closes
 * connections left idle that long), and the body within as long again once the head came, else
 * it is closed (with a 408 when the head came); past {@code http_max_connections} open on the
 * node, a connection's requests are answered 503 and it is closed; heads the decoder refuses
 * (headers over their limit) and URIs over {@code http_max_uri_bytes} are answered 431 / 414 /
 * 400 as problem+json (a request line over 64 KiB is Vert.x's own bare 414); a
 * client that goes away is logged at DEBUG, not as an error. One per loop: its connections are
 * that loop's, so its state needs no locks; the count of open connections is the node's.
 */
final class Edge {

  private static final Logger LOG = LoggerFactory.getLogger(Edge.class);

  private final Vertx vertx;
  private final long readTimeoutMs;
  private final int maxConnections;
  private final AtomicInteger open;
  private final int maxUriBytes;
  /** Each connection's pending timer (head or idle), and whether it is over the cap. */
  private final Map<HttpConnection, long[]> timers = new IdentityHashMap<>();
  private final Map<HttpConnection, Boolean> shed = new IdentityHashMap<>();

  Edge(Vertx vertx, long readTimeoutMs, int maxConnections, int maxUriBytes, AtomicInteger open) {
    this.vertx = vertx;
    this.maxUriBytes = maxUriBytes;
    this.readTimeoutMs = readTimeoutMs;
    this.maxConnections = maxConnections;
    this.open = open;
  }

  /** A new connection: counted, and given {@code http_read_timeout_ms} for its first request head. */
  void opened(HttpConnection conn) {
    if (open.incrementAndGet() > maxConnections) {
      shed.put(conn, Boolean.TRUE);
    }
    timers.put(conn, new long[] {-1});
    conn.closeHandler(v -> {
      open.decrementAndGet();
      shed.remove(conn);
      long[] timer = timers.remove(conn);
      if (timer != null && timer[0] >= 0) {
        vertx.cancelTimer(timer[0]);
      }
    });
    conn.exceptionHandler(err -> LOG.debug("connection from {}: {}", conn.remoteAddress(), err.toString()));
    awaitHead(conn);
  }

  private void awaitHead(HttpConnection conn) {
    long[] timer = timers.get(conn);
    if (timer == null) {
      return; // closed meanwhile
    }
    if (timer[0] >= 0) {
      vertx.cancelTimer(timer[0]);
    }
    timer[0] = vertx.setTimer(readTimeoutMs, id -> {
      timer[0] = -1;
      LOG.debug("closing a connection from {}: no request head within {} ms", conn.remoteAddress(), readTimeoutMs);
      conn.close();
    });
  }

  /** The first route of every request: the head came in time; the body must follow as fast. */
  void request(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    HttpConnection conn = req.connection();
    long[] timer = timers.get(conn);
    if (timer != null && timer[0] >= 0) {
      vertx.cancelTimer(timer[0]);
      timer[0] = -1;
    }
    if (shed.containsKey(conn)) {
      ctx.response().putHeader("Connection", "close");
      ctx.addEndHandler(v -> conn.close());
      ctx.fail(Problem.unavailable("this node has " + maxConnections + " connections open (http_max_connections);"
          + " retry, or reach another node"));
      return;
    }
    if (req.uri().length() > maxUriBytes) {
      ctx.response().putHeader("Connection", "close");
      ctx.addEndHandler(v -> conn.close());
      ctx.fail(Problem.of(414, "URI too long", "the request's path and query are " + req.uri().length()
          + " bytes, over this server's limit of " + maxUriBytes + " (http_max_uri_bytes)"));
      return;
    }
    long body = req.isEnded() ? -1 : vertx.setTimer(readTimeoutMs, id -> {
      if (!req.isEnded()) {
        LOG.debug("closing a connection from {}: the body did not arrive within {} ms", conn.remoteAddress(), readTimeoutMs);
        if (!ctx.response().headWritten()) {
          Problems.send(ctx.response().putHeader("Connection", "close"), Problem.of(408, "Request timeout",
              "the request's body did not arrive within " + readTimeoutMs + " ms (http_read_timeout_ms)"), req.path());
        }
        conn.close();
      }
    });
    ctx.addEndHandler(v -> {
      if (body >= 0) {
        vertx.cancelTimer(body);
      }
      awaitHead(conn); // the next request's head, or the connection closes idle
    });
    ctx.next();
  }

  /**
   * A request the HTTP decoder refused before any route saw it: a request line over
   * {@code max_initial_line_length}, headers over {@code http_max_header_bytes}, or bytes that
   * are not HTTP. Answered as problem+json, then the connection is closed.
   */
  static void invalid(HttpServerRequest req) {
    Throwable cause = req.decoderResult().cause();
    String name = cause == null ? "" : cause.getClass().getSimpleName();
    Problem problem;
    if (name.equals("TooLongHttpLineException")) {
      problem = Problem.of(414, "URI too long", "the request line is over this server's limit");
    } else if (name.equals("TooLongHttpHeaderException")) {
      problem = Problem.of(431, "Request header fields too large", "the request's headers are over this server's limit"
          + " (http_max_header_bytes)");
    } else {
      problem = Problem.malformed("the request could not be read as HTTP");
    }
    LOG.debug("refused a request head from {}: {}", req.remoteAddress(), cause == null ? "-" : cause.getMessage());
    Problems.send(req.response().putHeader("Connection", "close"), problem, "").onComplete(v -> req.connection().close());
  }

  /** A connection failed outside any request (a reset, say): the client's doing, logged at DEBUG. */
  static void failed(Throwable err) {
    LOG.debug("HTTP connection: {}", err.toString());
  }
}
