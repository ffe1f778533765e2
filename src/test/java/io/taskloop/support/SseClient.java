package io.taskloop.support;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A server-sent-events reader over a real HTTP connection, with bounded waits for each event. */
public final class SseClient {

  /** One event; comments (heartbeats) arrive with {@code event} ":" and the comment as data. */
  public record Event(String id, String event, String data) {
    public JsonObject json() {
      return new JsonObject(data);
    }
  }

  private final HttpClient client;
  private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final StringBuilder pending = new StringBuilder();
  private final CountDownLatch ended = new CountDownLatch(1);

  private HttpClientResponse response;

  private SseClient(HttpClient client) {
    this.client = client;
  }

  public HttpClientResponse response() {
    return response;
  }

  public static SseClient open(Vertx vertx, int port, String path, Map<String, String> headers) {
    HttpClient client = vertx.createHttpClient();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI(path);
    headers.forEach(options::putHeader);
    SseClient sse = new SseClient(client);
    sse.response = TestServer.bounded(streaming(client, options, response -> {
      response.handler(sse::onChunk);
      response.endHandler(v -> sse.ended.countDown());
    }));
    return sse;
  }

  /**
   * Sends a request whose body is read as it arrives, with {@code reading} setting the
   * response's handlers before any of the body can be handed on. Vert.x drops body chunks that
   * arrive before a handler is set, so a listener added from the test's thread after the chain
   * is built is too late whenever that thread is descheduled for a moment: the response's head
   * and first chunks may come and go meanwhile (seen under the full suite as a stream's first
   * events missing). Here the listener is added on the event loop before the request is sent.
   */
  public static Future<HttpClientResponse> streaming(HttpClient client, RequestOptions options,
      Handler<HttpClientResponse> reading) {
    return client.request(options).compose(request -> {
      Future<HttpClientResponse> response = request.response().onSuccess(reading);
      request.end();
      return response;
    });
  }

  private synchronized void onChunk(Buffer chunk) {
    pending.append(chunk.toString());
    int end;
    while ((end = pending.indexOf("\n\n")) >= 0) {
      String block = pending.substring(0, end);
      pending.delete(0, end + 2);
      events.add(parse(block));
    }
  }

  /** One block of a stream (the lines between blank lines) as an event, or a comment. */
  public static Event parse(String block) {
    String id = null;
    String event = "message";
    StringBuilder data = new StringBuilder();
    for (String line : block.split("\n")) {
      if (line.startsWith(":")) {
        event = ":";
        data.append(line.substring(1).trim());
      } else if (line.startsWith("id: ")) {
        id = line.substring(4);
      } else if (line.startsWith("event: ")) {
        event = line.substring(7);
      } else if (line.startsWith("data: ")) {
        data.append(line.substring(6));
      } else {
        throw new AssertionError("a line that is not server-sent events: " + line);
      }
    }
    return new Event(id, event, data.toString());
  }

  /** The next event other than a comment, waiting at most the test bound. */
  public Event next() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TestServer.BOUND_S);
    while (System.nanoTime() < deadline) {
      Event e = nextAny();
      if (!e.event().equals(":")) {
        return e;
      }
    }
    throw new AssertionError("only comments for " + TestServer.BOUND_S + " s");
  }

  /** The next event or comment, waiting at most the test bound. */
  public Event nextAny() {
    try {
      Event e = events.poll(TestServer.BOUND_S, TimeUnit.SECONDS);
      if (e == null) {
        throw new AssertionError("no server-sent event within " + TestServer.BOUND_S + " s");
      }
      return e;
    } catch (InterruptedException ex) {
      throw new AssertionError(ex);
    }
  }

  /** Whether the server ends the stream within the test bound. */
  public boolean ends() {
    try {
      return ended.await(TestServer.BOUND_S, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  public void close() {
    TestServer.bounded(client.close());
  }
}
