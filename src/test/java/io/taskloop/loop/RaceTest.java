package io.taskloop.loop;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.TestCluster;
import io.taskloop.support.TestServer;
import io.taskloop.support.Watching;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Races every way a task can end against the others, on every task type: a deadline, a cancel,
 * a complete or fail, a child's end, an outbound success or failure, an event set, a sleep's
 * end, and (on a cluster) adoption after the owner's crash. Each trial fires two or three
 * enders at once without waiting between them; the loop takes them in whatever order they
 * arrive. Whatever wins, the task has one final record that one of the fired enders explains,
 * a long poll and a later GET agree on it, and every effect happened once: one publication on
 * {@code taskloop.v1.task.done}, one webhook, one end on the node's stream, one count.
 */
@ExtendWith(VertxExtension.class)
class RaceTest {

  private static final Logger LOG = LoggerFactory.getLogger(RaceTest.class);
  private static final int TRIALS = 160;
  private static final long TIMEOUT_MS = 1_000;
  private static final String GATE = "race.gate";

  enum Ender { DEADLINE, CANCEL, COMPLETE, FAIL, SLEEP_ENDS, EVENT_SET, OUTBOUND_OK, OUTBOUND_FAILS,
    CHILD_SUCCEEDS, CHILD_FAILS, CHILD_CANCELLED, ADOPTION }

  private static final List<String> TYPES =
      List.of("sleep", "external", "event", "http", "eventbus", "gather", "wait", "wait_for", "shield");

  /** A request or message held until a trial decides how it ends. */
  private final Map<String, HttpServerRequest> heldRequests = new ConcurrentHashMap<>();
  private final Map<String, Message<Object>> heldMessages = new ConcurrentHashMap<>();
  private HttpServer gate;
  private MessageConsumer<Object> gateConsumer;

  private void openGate(Vertx vertx) {
    gate = bounded(vertx.createHttpServer().requestHandler(req -> heldRequests.put(req.path().substring(1), req))
        .listen(0, "127.0.0.1"));
    gateConsumer = vertx.eventBus().consumer(GATE, msg -> heldMessages.put(msg.headers().get("trial"), msg));
    bounded(gateConsumer.completion());
  }

  private void closeGate() {
    heldRequests.values().forEach(r -> r.response().setStatusCode(200).end());
    bounded(gateConsumer.unregister());
    bounded(gate.close());
  }

  /** One trial's task: its id, its type, its inline child (composites), and what was fired at it. */
  private record Trial(int n, String type, String id, String child, long deadline, List<Ender> fired) {

    static Trial of(int n, String type, JsonObject created, List<Ender> fired) {
      JsonArray children = created.getJsonArray("children");
      return new Trial(n, type, created.getString("id"), children.isEmpty() ? null : children.getString(0),
          java.time.Instant.parse(created.getString("deadline")).toEpochMilli(), fired);
    }
  }

  // ---------------------------------------------------------------- on one node

  @Test
  void whateverWinsARaceATaskEndsOnceAndEveryWatcherAgrees(Vertx vertx) {
    TestServer server = TestServer.start(vertx, config("loops", 2));
    Watching watching = Watching.start(vertx, server);
    openGate(vertx);
    WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(server.node.port()));
    long seed = Long.getLong("race.seed", System.nanoTime());
    LOG.info("race seed {} (rerun with -Drace.seed={})", seed, seed);
    Random random = new Random(seed);
    List<Trial> trials = new ArrayList<>();
    try {
      for (int n = 0; n < TRIALS; n++) {
        String type = TYPES.get(random.nextInt(TYPES.size()));
        JsonObject created = server.create(spec(n, type, watching.hookUrl(), TIMEOUT_MS));
        Trial trial = Trial.of(n, type, created, pick(random, enders(type, false)));
        awaitInFlight(trial);
        Future<JsonObject> poll = watching.longPoll(trial.id());
        watching.awaitWaiting(1);
        List<Future<Integer>> fired = new ArrayList<>();
        for (Ender e : trial.fired()) {
          fired.add(fire(e, trial, server, client));
        }
        answered(trial, fired, 15);
        JsonObject polled = bounded(poll);
        checkEnd(trial, polled, server.task(trial.id()));
        trials.add(trial);
      }
      finishChildren(server, trials);
      watching.settle(2);
      checkEffectsOnce(watching, server, trials);
    } finally {
      client.close();
      closeGate();
      watching.close();
      server.stop();
    }
  }

  // ---------------------------------------------------------------- adoption

  @Test
  void adoptionRacesTheOtherEndersAndEachTaskStillEndsOnce() {
    TestCluster cluster = TestCluster.start(2, Map.of());
    Vertx survivorVertx = cluster.vertxes.get(1);
    TestServer owner = cluster.node(0);
    TestServer survivor = cluster.node(1);
    Watching watching = Watching.start(survivorVertx, survivor);
    openGate(survivorVertx);
    WebClient client = WebClient.create(survivorVertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(survivor.node.port()));
    long seed = Long.getLong("race.seed", System.nanoTime());
    LOG.info("adoption race seed {}", seed);
    Random random = new Random(seed);
    List<Trial> trials = new ArrayList<>();
    try {
      for (int n = 0; n < 40; n++) {
        String type = TYPES.get(random.nextInt(TYPES.size()));
        // Each trial's deadline is its own, so a DEADLINE ender reaches only its trial's.
        JsonObject created = owner.create(spec(n, type, watching.hookUrl(), TIMEOUT_MS * (n + 1)));
        trials.add(Trial.of(n, type, created, pick(random, enders(type, true))));
      }
      for (Trial t : trials) {
        awaitInFlight(t);
      }
      TestServer.within(10, "every record is replicated", () -> trials.stream().allMatch(t ->
          cluster.managers.get(1).getHazelcastInstance().getMap("taskloop.tasks").containsKey(t.id())));
      cluster.crash(0);
      // The enders go to the survivor while it adopts; a task being adopted answers 503, asked again.
      // Each trial has ended before the next one's enders fire (a later deadline never ends it).
      for (Trial t : trials) {
        List<Future<Integer>> fired = new ArrayList<>();
        for (Ender e : t.fired()) {
          if (e != Ender.ADOPTION) {
            fired.add(retryWhileAdopting(survivorVertx, () -> fire(e, t, survivor, client), 200));
          }
        }
        answered(t, fired, 60);
        JsonObject polled = bounded(retryWhileAdopting(survivorVertx, () -> watching.longPoll(t.id()), 200));
        checkEnd(t, polled, survivor.task(t.id()));
      }
      finishChildren(survivor, trials);
      watching.settle(2);
      checkEffectsOnce(watching, survivor, trials);
    } finally {
      client.close();
      closeGate();
      watching.close();
      cluster.stop();
    }
  }

  /** Asks again (every 50 ms, a bounded number of times) while the survivor answers 503: the task is being adopted. */
  private static <T> Future<T> retryWhileAdopting(Vertx vertx, Supplier<Future<T>> call, int tries) {
    return call.get().recover(err -> {
      if (tries <= 1 || !String.valueOf(err.getMessage()).contains("503")) {
        return Future.failedFuture(err);
      }
      Promise<T> again = Promise.promise();
      vertx.setTimer(50, t -> retryWhileAdopting(vertx, call, tries - 1).onComplete(again));
      return again.future();
    });
  }

  /** Every ender of a trial was answered, each 200 or a 409 for one that lost the race. */
  private static void answered(Trial t, List<Future<Integer>> fired, long seconds) {
    bounded(Future.join(fired).otherwiseEmpty(), seconds);
    for (Future<Integer> f : fired) {
      assertTrue(f.succeeded(), () -> "trial " + t.n() + " " + t.fired() + ": an ender failed: " + f.cause());
      assertTrue(f.result() == 200 || f.result() == 409, () -> "trial " + t.n() + " " + t.fired() + ": answered " + f.result());
    }
  }

  // ---------------------------------------------------------------- one trial

  /** Trial {@code n}'s task; a sleep's end is at its timeout's instant, so the two race. */
  private JsonObject spec(int n, String type, String hook, long timeoutMs) {
    JsonObject child = new JsonObject().put("type", "external");
    JsonObject spec = switch (type) {
      case "sleep" -> new JsonObject().put("type", "sleep").put("delay_ms", timeoutMs).put("result", n);
      case "external" -> new JsonObject().put("type", "external");
      case "event" -> new JsonObject().put("type", "event").put("event", "race-" + n);
      case "http" -> new JsonObject().put("type", "http").put("attempt_timeout_ms", 30_000).put("request",
          new JsonObject().put("method", "GET").put("url", "http://127.0.0.1:" + gate.actualPort() + "/" + n));
      case "eventbus" -> new JsonObject().put("type", "eventbus").put("address", GATE).put("attempt_timeout_ms", 30_000)
          .put("headers", new JsonObject().put("trial", Integer.toString(n)));
      case "gather", "wait" -> new JsonObject().put("type", type).put("tasks", new JsonArray().add(child));
      default -> new JsonObject().put("type", type).put("task", child);
    };
    return spec.put("timeout_ms", timeoutMs).put("on_done", new JsonObject().put("url", hook));
  }

  private static EnumSet<Ender> enders(String type, boolean adoption) {
    EnumSet<Ender> all = EnumSet.of(Ender.DEADLINE, Ender.CANCEL);
    switch (type) {
      case "sleep" -> all.add(Ender.SLEEP_ENDS);
      case "external" -> all.addAll(List.of(Ender.COMPLETE, Ender.FAIL));
      case "event" -> all.add(Ender.EVENT_SET);
      case "http", "eventbus" -> {
        if (!adoption) {
          all.addAll(List.of(Ender.OUTBOUND_OK, Ender.OUTBOUND_FAILS)); // the owner holding the attempt is gone
        }
      }
      default -> all.addAll(List.of(Ender.CHILD_SUCCEEDS, Ender.CHILD_FAILS, Ender.CHILD_CANCELLED));
    }
    if (adoption) {
      all.add(Ender.ADOPTION);
    }
    return all;
  }

  /** Two or three of the enders, in a random order (adoption, when it is one, is always there). */
  private static List<Ender> pick(Random random, EnumSet<Ender> from) {
    List<Ender> pool = new ArrayList<>(from);
    Collections.shuffle(pool, random);
    List<Ender> out = new ArrayList<>(pool.subList(0, Math.min(pool.size(), 2 + random.nextInt(2))));
    if (from.contains(Ender.ADOPTION) && !out.contains(Ender.ADOPTION)) {
      out.set(0, Ender.ADOPTION);
    }
    return out;
  }

  private void awaitInFlight(Trial t) {
    if (t.type().equals("http")) {
      TestServer.within(10, "trial " + t.n() + "'s request is held", () -> heldRequests.containsKey(Integer.toString(t.n())));
    } else if (t.type().equals("eventbus")) {
      TestServer.within(10, "trial " + t.n() + "'s message is held", () -> heldMessages.containsKey(Integer.toString(t.n())));
    }
  }

  /** Fires one ender without waiting for it to take effect; the future is its request's answer. */
  private Future<Integer> fire(Ender e, Trial t, TestServer server, WebClient client) {
    String key = Integer.toString(t.n());
    return switch (e) {
      case DEADLINE, SLEEP_ENDS -> {
        // To the trial's deadline (a sleep's end too): which of the two wins is the loop's to say.
        server.clock.advance(Math.max(0, t.deadline() - server.clock.millis()));
        yield server.node.tick().map(v -> 200);
      }
      case CANCEL -> post(client, "/v1/tasks/" + t.id() + "/cancel", null);
      case COMPLETE -> post(client, "/v1/tasks/" + t.id() + "/complete", new JsonObject().put("result", "done"));
      case FAIL -> post(client, "/v1/tasks/" + t.id() + "/fail", failure());
      case EVENT_SET -> answer(client.put("/v1/events/race-" + t.n()).sendJsonObject(new JsonObject().put("payload", "set")));
      case CHILD_SUCCEEDS -> post(client, "/v1/tasks/" + t.child() + "/complete", new JsonObject().put("result", "child"));
      case CHILD_FAILS -> post(client, "/v1/tasks/" + t.child() + "/fail", failure());
      case CHILD_CANCELLED -> post(client, "/v1/tasks/" + t.child() + "/cancel", null);
      case OUTBOUND_OK, OUTBOUND_FAILS -> {
        boolean ok = e == Ender.OUTBOUND_OK;
        HttpServerRequest request = heldRequests.remove(key);
        Message<Object> message = heldMessages.remove(key);
        if (request != null) {
          request.response().setStatusCode(ok ? 200 : 500).end(ok ? "ok" : "no");
        } else if (message != null) {
          if (ok) {
            message.reply("ok");
          } else {
            message.fail(500, "no");
          }
        }
        yield Future.succeededFuture(200); // a second outbound ender finds the attempt answered already
      }
      case ADOPTION -> Future.succeededFuture(200);
    };
  }

  private static JsonObject failure() {
    return new JsonObject().put("error", new JsonObject().put("type", "RaceError").put("message", "failed on purpose"));
  }

  /** A request that may lose the race (409 once the task ended another way). */
  private static Future<Integer> post(WebClient client, String path, JsonObject body) {
    var request = client.post(path);
    return answer(body == null ? request.send() : request.sendJsonObject(body));
  }

  /** The status of an answer; a 503 (the task is being adopted) fails, so that it is asked again. */
  private static Future<Integer> answer(Future<HttpResponse<Buffer>> sent) {
    return sent.compose(r -> {
      if (r.statusCode() == 503) {
        return Future.failedFuture("503 " + r.bodyAsString());
      }
      if (r.statusCode() != 200 && r.statusCode() != 409) {
        LOG.warn("answered {}: {}", r.statusCode(), r.bodyAsString());
      }
      return Future.succeededFuture(r.statusCode());
    });
  }

  /** The final state one ender leads to on its own. */
  private static Set<String> outcomes(String type, Ender e) {
    if (type.equals("sleep") && (e == Ender.DEADLINE || e == Ender.SLEEP_ENDS)) {
      return Set.of("succeeded", "timed_out"); // the same instant: either may come first
    }
    return switch (e) {
      case CANCEL -> Set.of("cancelled");
      case DEADLINE -> Set.of(type.equals("wait") ? "succeeded" : "timed_out");
      case COMPLETE, SLEEP_ENDS, EVENT_SET, OUTBOUND_OK, CHILD_SUCCEEDS -> Set.of("succeeded");
      case FAIL, OUTBOUND_FAILS -> Set.of("failed");
      case CHILD_FAILS -> Set.of(type.equals("wait") ? "succeeded" : "failed");
      case CHILD_CANCELLED -> Set.of(type.equals("wait") ? "succeeded" : "cancelled");
      // An outbound attempt in flight on the crashed owner fails with OwnerLost (no retry policy).
      case ADOPTION -> type.equals("http") || type.equals("eventbus") ? Set.of("failed") : Set.of();
    };
  }

  private static void checkEnd(Trial t, JsonObject polled, JsonObject later) {
    Set<String> explained = t.fired().stream().flatMap(e -> outcomes(t.type(), e).stream()).collect(Collectors.toSet());
    String state = polled.getString("state");
    assertTrue(explained.contains(state), () -> "trial " + t.n() + " (" + t.type() + ", " + t.fired() + ") ended " + state
        + ", which none of the enders explains: " + polled.encode());
    assertEquals(state, later.getString("state"), () -> "trial " + t.n() + ": the long poll and a later GET disagree");
    assertEquals(polled.getInteger("version"), later.getInteger("version"), () -> "trial " + t.n() + ": versions differ");
  }

  /** Children that the race left running (wait and shield do not cancel them) are cancelled, so everything ends. */
  private static void finishChildren(TestServer server, List<Trial> trials) {
    for (Trial t : trials) {
      if (t.child() != null && !TestServer.isFinished(server.task(t.child()))) {
        server.post("/v1/tasks/" + t.child() + "/cancel", null).expect(200);
      }
    }
  }

  private static void checkEffectsOnce(Watching watching, TestServer server, List<Trial> trials) {
    for (Trial t : trials) {
      List<String> ids = t.child() == null ? List.of(t.id()) : List.of(t.id(), t.child());
      for (String id : ids) {
        String what = "trial " + t.n() + " (" + t.type() + ", " + t.fired() + ") task " + id;
        assertEquals(1, watching.published(id).size(), () -> what + " published " + watching.published(id).size() + " times");
        assertEquals(1, watching.streamedEnds(id).size(), () -> what + " streamed " + watching.streamedEnds(id));
        JsonObject now = server.task(id);
        assertEquals(now.getInteger("version"), watching.published(id).get(0).getInteger("version"), what);
        int last = 0;
        for (JsonObject change : watching.streamed(id)) {
          assertTrue(change.getInteger("version") > last, () -> what + ": stream versions go back " + watching.streamed(id));
          last = change.getInteger("version");
        }
      }
      assertEquals(1, watching.webhooks(t.id()).size(), () -> "trial " + t.n() + " webhooks " + watching.webhooks(t.id()));
    }
  }
}
