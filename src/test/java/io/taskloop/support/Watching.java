package io.taskloop.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.taskloop.loop.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What clients of one node see while its tasks run, recorded as they see it: every publication
 * on {@code taskloop.v1.task.done}, every {@code on_done} webhook received (at {@link #hookUrl}),
 * every change on the node's live stream, and long polls opened before a task ends. Tests then
 * check each effect happened once and every watcher agrees with a later GET.
 */
public final class Watching implements AutoCloseable {

  private final Vertx vertx;
  private final TestServer server;
  private final HttpServer hooks;
  private final MessageConsumer<JsonObject> done;
  private final HttpClient streamClient;
  private final WebClient polls;
  private final Map<String, List<JsonObject>> published = new ConcurrentHashMap<>();
  private final Map<String, List<JsonObject>> webhooks = new ConcurrentHashMap<>();
  private final Map<String, List<JsonObject>> streamed = new ConcurrentHashMap<>();
  private final StringBuilder pending = new StringBuilder();

  private Watching(Vertx vertx, TestServer server) {
    this.vertx = vertx;
    this.server = server;
    this.hooks = TestServer.bounded(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      JsonObject task = body.toJsonObject();
      webhooks.computeIfAbsent(task.getString("id"), k -> new CopyOnWriteArrayList<>()).add(task);
      req.response().setStatusCode(204).end();
    })).listen(0, "127.0.0.1"));
    this.done = vertx.eventBus().consumer(Addresses.TASK_DONE, msg ->
        published.computeIfAbsent(msg.body().getString("id"), k -> new CopyOnWriteArrayList<>()).add(msg.body()));
    TestServer.bounded(done.completion());
    this.streamClient = vertx.createHttpClient();
    RequestOptions stream = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(server.node.port())
        .setURI("/v1/stream");
    TestServer.bounded(SseClient.streaming(streamClient, stream, response -> response.handler(this::onChunk)));
    this.polls = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.node.port()),
        new PoolOptions().setHttp1MaxSize(256));
  }

  /** Starts watching {@code server}'s node; its stream is open once this returns. */
  public static Watching start(Vertx vertx, TestServer server) {
    return new Watching(vertx, server);
  }

  public String hookUrl() {
    return "http://127.0.0.1:" + hooks.actualPort() + "/hook";
  }

  private synchronized void onChunk(Buffer chunk) {
    pending.append(chunk.toString());
    int end;
    while ((end = pending.indexOf("\n\n")) >= 0) {
      SseClient.Event e = SseClient.parse(pending.substring(0, end));
      pending.delete(0, end + 2);
      if (e.event().equals("task")) {
        JsonObject task = e.json();
        streamed.computeIfAbsent(task.getString("id"), k -> new CopyOnWriteArrayList<>()).add(task);
      }
    }
  }

  /** A long poll of the task (up to 10 s); the answer is the task as the poll saw it. */
  public Future<JsonObject> longPoll(String id) {
    return polls.get("/v1/tasks/" + id).putHeader("Prefer", "wait=10").send().map(r -> {
      assertEquals(200, r.statusCode(), () -> "long poll of " + id + ": " + r.bodyAsString());
      return r.bodyAsJsonObject();
    });
  }

  /** Waits (bounded) until the node holds at least {@code n} long polls open: they are open before a test ends tasks. */
  public void awaitWaiting(int n) {
    TestServer.within(10, n + " long polls open", () -> waiting() >= n);
  }

  private int waiting() {
    int sum = 0;
    JsonObject self = server.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0);
    for (Object loop : self.getJsonArray("loops")) {
      sum += ((JsonObject) loop).getInteger("waiting");
    }
    return sum;
  }

  public List<JsonObject> published(String id) {
    return published.getOrDefault(id, List.of());
  }

  public List<JsonObject> webhooks(String id) {
    return webhooks.getOrDefault(id, List.of());
  }

  public List<JsonObject> streamed(String id) {
    return streamed.getOrDefault(id, List.of());
  }

  /** Every task the stream showed. */
  public java.util.Set<String> streamedIds() {
    return java.util.Set.copyOf(streamed.keySet());
  }

  /** The changes the stream showed of a task that are a finished state. */
  public List<JsonObject> streamedEnds(String id) {
    List<JsonObject> out = new ArrayList<>();
    for (JsonObject t : streamed(id)) {
      if (TestServer.isFinished(t)) {
        out.add(t);
      }
    }
    return out;
  }

  /**
   * Lets every effect of what happened so far arrive: on each loop a sentinel task (an external
   * task with a webhook, created on that loop through its Idempotency-Key) is completed, and
   * each loop's effects leave in order, so once the sentinels' publication, webhook and stream
   * end have arrived, so has everything before them (a repeat would have left before too).
   */
  public void settle(int loops) {
    List<String> sentinels = new ArrayList<>();
    for (int loop = 0; loop < loops; loop++) {
      String key = keyFor(loop, loops);
      JsonObject spec = TestServer.external().put("on_done", new JsonObject().put("url", hookUrl()));
      int expected = loop;
      String id = server.post("/v1/tasks", spec, Map.of("Idempotency-Key", key)).json().getString("id");
      assertEquals(expected, loopOf(id), "the sentinel lands on its loop");
      server.post("/v1/tasks/" + id + "/complete", new JsonObject()).expect(200);
      sentinels.add(id);
    }
    for (String id : sentinels) {
      TestServer.within(10, "sentinel " + id + "'s effects arrive",
          () -> !published(id).isEmpty() && !webhooks(id).isEmpty() && !streamedEnds(id).isEmpty());
    }
  }

  private static int next;

  /** A fresh Idempotency-Key whose home is {@code loop} (the loop a key hashes to). */
  private static synchronized String keyFor(int loop, int loops) {
    while (true) {
      String key = "sentinel-" + (next++);
      if (Math.floorMod(key.hashCode(), loops) == loop) {
        return key;
      }
    }
  }

  /** The loop an id names: {@code <node>-<loop>-<seq>}. */
  private static int loopOf(String id) {
    return Integer.parseInt(id.split("-")[1]);
  }

  @Override
  public void close() {
    polls.close();
    TestServer.bounded(streamClient.close());
    TestServer.bounded(done.unregister());
    TestServer.bounded(hooks.close());
  }
}
