package io.taskloop.loop;

import io.taskloop.schedule.ScheduleSpec;
import io.taskloop.task.Owner;
import io.taskloop.task.Problem;
import io.taskloop.task.Tenancy;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Where a client's call on a schedule goes, from HTTP or the event bus: to the schedule's home
 * loop on the node that owns it (one event-bus hop when that is another node, whose loop 0
 * passes it on). Answers are {@code {"status", "body"}}, the status as HTTP would give it.
 */
public final class ScheduleCalls {

  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * How long a call on a schedule keeps asking while two nodes disagree on its owner. Both look
   * again at once, so it is a bound, not a wait: they disagree only while Hazelcast's members do.
   */
  private static final long SETTLE_MS = 2_000;
  private static final long FIRST_PAUSE_MS = 20;

  private final NodeContext node;
  private final LoopLink link;

  public ScheduleCalls(NodeContext node, LoopLink link) {
    this.node = node;
    this.link = link;
  }

  /** The id a create names: the body's, else a new random one. */
  public static String newId(JsonObject body) {
    StringBuilder sb = new StringBuilder("s");
    for (int i = 0; i < 15; i++) {
      sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return ScheduleSpec.id(body, null, sb.toString());
  }

  /** {@code op} on schedule {@code id}: create, put, get, delete, pause, resume, trigger. */
  public Future<JsonObject> call(String op, String id, JsonObject body) {
    return call(new LoopCommand.ScheduleCall(op, id, body), 0, FIRST_PAUSE_MS);
  }

  /**
   * Asks the owner this node sees. A node that owns the schedule by this node's view but not
   * by its own answers {@link Problem#moving} before it changes anything, and looks again; so
   * does this node, and asks again after a pause (doubling), until {@link #SETTLE_MS} is spent.
   */
  private Future<JsonObject> call(LoopCommand.ScheduleCall call, long waited, long pause) {
    String owner = node.scheduleOwners().ownerOf(call.id());
    Future<JsonObject> asked = owner == null || owner.equals(node.nodeId())
        ? link.ask(node.homeOf(call.id()), call)
        : link.ask(new Owner(owner, 0), call);
    return asked.recover(err -> {
      if (!(err instanceof Problem p && p.status() == 503 && p.livesOn() != null) || waited + pause > SETTLE_MS) {
        return Future.failedFuture(err);
      }
      node.scheduleOwners().refresh();
      return link.vertx().timer(pause).compose(v -> call(call, waited + pause, pause * 2));
    });
  }

  /**
   * A page of {@code tenant}'s schedules by id after {@code after} (the id a client saw; null:
   * from the first): {@code {items, last}}, {@code last} the id to go on after.
   */
  public Future<JsonObject> list(String tenant, String after, int limit) {
    String from = after == null ? null : Tenancy.qualified(tenant, after);
    Future<List<JsonObject>> shared = node.scheduleOwners().list(tenant, from, limit + 1, node.clock().millis());
    if (shared != null) {
      return shared.map(items -> page(items, limit));
    }
    List<Future<JsonObject>> pages = new ArrayList<>(node.loops());
    JsonObject ask = new JsonObject().put("limit", limit + 1).put("tenant", tenant);
    for (int loop = 0; loop < node.loops(); loop++) {
      pages.add(link.ask(loop, new LoopCommand.ScheduleCall("list", from, ask)));
    }
    return Future.all(pages).map(all -> {
      List<JsonObject> merged = new ArrayList<>();
      for (int loop = 0; loop < node.loops(); loop++) {
        JsonArray items = all.<JsonObject>resultAt(loop).getJsonArray("body");
        items.forEach(item -> merged.add((JsonObject) item));
      }
      merged.sort(Comparator.comparing(s -> s.getString("id")));
      return page(merged, limit);
    });
  }

  private static JsonObject page(List<JsonObject> sorted, int limit) {
    List<JsonObject> page = sorted.size() > limit ? sorted.subList(0, limit) : sorted;
    return new JsonObject().put("items", new JsonArray(new ArrayList<>(page)))
        .put("last", sorted.size() > limit ? page.get(page.size() - 1).getString("id") : null);
  }
}
