package io.taskloop.http;

import io.taskloop.task.Problem;
import io.vertx.core.Vertx;
import io.micrometer.core.instrument.Timer;
import io.taskloop.metrics.Metrics;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
  private final long readTimeoutNs;
  private final int maxConnections;
  private final AtomicInteger open;
  private final int maxUriBytes;
  /**
   * Each open connection's one deadline. A sweep checks them a few times per timeout instead of
   * each request arming and cancelling timers of its own: two timers set and two cancelled per
   * request were 5.7% of a create-and-await's CPU.
   */
  private final Map<HttpConnection, Watch> watches = new IdentityHashMap<>();
  private final long sweepMs;
  private boolean sweeping;
  private final Metrics metrics;
  /** This loop's request timers by method and status code, resolved once each. */
  private final Map<HttpMethod, Timer[]> timed = new HashMap<>();

  /** What a connection owes and by when: its next request head, or the body of the request in hand. */
  private static final class Watch {
    /** {@link System#nanoTime()} by which it is owed; {@link #NONE} while nothing is. */
    long deadline = NONE;
    /** The request whose body is owed; null while a head is. */
    RoutingContext body;
    final boolean shed;

    Watch(boolean shed) {
      this.shed = shed;
    }
  }

  private static final long NONE = Long.MIN_VALUE;

  Edge(Vertx vertx, long readTimeoutMs, int maxConnections, int maxUriBytes, AtomicInteger open, Metrics metrics) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.maxUriBytes = maxUriBytes;
    this.readTimeoutMs = readTimeoutMs;
    this.readTimeoutNs = TimeUnit.MILLISECONDS.toNanos(readTimeoutMs);
    // A connection is cut off between its timeout and a thirtieth more, never more than 1 s late.
    this.sweepMs = Math.max(10, Math.min(1_000, readTimeoutMs / 30));
    this.maxConnections = maxConnections;
    this.open = open;
  }

  /** A new connection: counted, and given {@code http_read_timeout_ms} for its first request head. */
  void opened(HttpConnection conn) {
    Watch watch = new Watch(open.incrementAndGet() > maxConnections);
    watches.put(conn, watch);
    conn.closeHandler(v -> {
      open.decrementAndGet();
      watches.remove(conn);
    });
    conn.exceptionHandler(err -> LOG.debug("connection from {}: {}", conn.remoteAddress(), err.toString()));
    owe(watch, null);
    if (!sweeping) {
      sweeping = true; // on this loop's context, as every handler here
      vertx.setPeriodic(sweepMs, id -> sweep());
    }
  }

  private void owe(Watch watch, RoutingContext body) {
    watch.body = body;
    watch.deadline = System.nanoTime() + readTimeoutNs;
  }

  /** Closes the connections past their deadline: a head that did not come, or a body that did not. */
  private void sweep() {
    long now = System.nanoTime();
    List<HttpConnection> late = null;
    for (Map.Entry<HttpConnection, Watch> e : watches.entrySet()) {
      long deadline = e.getValue().deadline;
      if (deadline != NONE && now - deadline >= 0) {
        late = late == null ? new ArrayList<>() : late;
        late.add(e.getKey());
      }
    }
    if (late == null) {
      return;
    }
    for (HttpConnection conn : late) {
      Watch watch = watches.get(conn);
      RoutingContext ctx = watch.body;
      watch.deadline = NONE;
      watch.body = null;
      if (ctx == null) {
        LOG.debug("closing a connection from {}: no request head within {} ms", conn.remoteAddress(), readTimeoutMs);
        conn.close();
      } else if (!ctx.request().isEnded()) {
        LOG.debug("closing a connection from {}: the body did not arrive within {} ms", conn.remoteAddress(), readTimeoutMs);
        if (!ctx.response().headWritten()) {
          Problems.send(ctx.response().putHeader("Connection", "close"), Problem.of(408, "Request timeout",
              "the request's body did not arrive within " + readTimeoutMs + " ms (http_read_timeout_ms)"), ctx.request().path());
        }
        conn.close();
      } // else the body came and the answer is being waited for (a long poll): nothing is owed
    }
  }

  /** The first route of every request: the head came in time; the body must follow as fast. */
  void request(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    HttpConnection conn = req.connection();
    long began = System.nanoTime();
    Watch watch = watches.get(conn);
    ctx.addEndHandler(v -> {
      timer(req.method(), ctx.response().getStatusCode()).record(System.nanoTime() - began, TimeUnit.NANOSECONDS);
      if (watch != null && watches.get(conn) == watch) {
        owe(watch, null); // the next request's head, or the connection closes idle
      }
    });
    if (watch == null) {
      ctx.next(); // closed meanwhile
      return;
    }
    watch.deadline = NONE;
    if (watch.shed) {
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
    if (!req.isEnded()) {
      owe(watch, ctx);
    }
    ctx.next();
  }

  private Timer timer(HttpMethod method, int code) {
    Timer[] byCode = timed.computeIfAbsent(method, m -> new Timer[600]);
    int slot = code >= 100 && code < 600 ? code : 0;
    Timer timer = byCode[slot];
    if (timer == null) {
      timer = metrics.httpRequests(method.name(), code);
      byCode[slot] = timer;
    }
    return timer;
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
