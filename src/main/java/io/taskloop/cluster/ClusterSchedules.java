package io.taskloop.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import io.taskloop.loop.LoopCommand;
import io.taskloop.loop.LoopLink;
import io.taskloop.loop.NodeContext;
import io.taskloop.loop.ScheduleOwners;
import io.taskloop.schedule.Schedule;
import io.taskloop.task.Problem;
import io.taskloop.task.Tenancy;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Schedules across a cluster. Every schedule's record lives in the cluster map
 * {@code taskloop.schedules} (one backup; a newer version always wins, a deleted schedule stays
 * as a tombstone). Each schedule is owned by one live node, chosen by rendezvous hashing of its
 * id over the live node ids, so every node agrees without talk; when the live nodes change
 * (a node dies, leaves or joins) each node takes up the schedules that are its own now from
 * their records and lets go of the others. Two nodes that briefly both think they own one fire
 * the same ticks under the same keys, which name one task per tick.
 *
 * <p>A node looks at who is live every {@code schedule_look_ms}, and at once when a call shows
 * that another node sees the cluster otherwise ({@link #refresh()}). A schedule created on a node
 * whose view was behind is its for a moment; when it lets go, it tells the owner it now sees to
 * take the schedule up, since that node's own rebalance may have run before the schedule existed.
 */
public final class ClusterSchedules implements ScheduleOwners {

  public static final String SCHEDULES_MAP = "taskloop.schedules";
  private static final Logger LOG = LoggerFactory.getLogger(ClusterSchedules.class);
  /** How many times a schedule let go is passed on to the owner its receiver sees, at most. */
  private static final int TAKE_UP_HOPS = 3;

  private final Vertx vertx;
  private final NodeContext node;
  private final NodeReport report;
  private final IMap<String, String> records;
  private volatile List<String> live;
  /** Where looks and rebalances run, one at a time; set at start. */
  private Context context;
  private long timer = -1;
  private MessageConsumer<JsonObject> takeUps;
  private boolean rebalancing;
  private boolean again;
  /** A look asked for by {@link #refresh()} is running: asks meanwhile add nothing (their callers ask again). */
  private boolean refreshing;

  public ClusterSchedules(Vertx vertx, NodeContext node, HazelcastInstance hz) {
    this.vertx = vertx;
    this.node = node;
    this.report = new NodeReport(vertx, node, null, hz);
    this.records = hz.getMap(SCHEDULES_MAP);
    this.live = List.of(node.nodeId());
  }

  // ---------------------------------------------------------------- ScheduleOwners

  @Override
  public String ownerOf(String id) {
    List<String> nodes = live;
    return nodes.isEmpty() ? node.nodeId() : Adoption.chooseAdopter(id, nodes);
  }

  @Override
  public void refresh() {
    Context on = context;
    if (on != null) {
      on.runOnContext(v -> {
        if (!refreshing) {
          refreshing = true;
          look().onComplete(ar -> refreshing = false);
        }
      });
    }
  }

  @Override
  public Future<JsonObject> record(String id) {
    return Future.fromCompletionStage(records.getAsync(id), vertx.getOrCreateContext())
        .map(text -> text == null ? null : new JsonObject(text));
  }

  @Override
  public Future<Void> claim(String id, JsonObject record) {
    return Future.fromCompletionStage(records.submitToKey(id, new ClaimNew(record.encode())), vertx.getOrCreateContext())
        .compose(held -> held == null ? Future.succeededFuture()
            : Future.failedFuture(Problem.conflict("schedule '" + Tenancy.unqualified(id) + "' exists; PUT /v1/schedules/"
                + Tenancy.unqualified(id) + " replaces it")));
  }

  @Override
  public void unclaim(String id, long version) {
    records.submitToKey(id, new RemoveVersion(version));
  }

  @Override
  public void share(String id, long version, String record) {
    records.submitToKey(id, new NewerWins(record, version));
  }

  @Override
  public Future<List<JsonObject>> list(String tenant, String after, int limit, long now) {
    return vertx.executeBlocking(() -> {
      TreeSet<String> ids = new TreeSet<>();
      for (String id : records.keySet()) {
        if (Tenancy.holds(tenant, id)) {
          ids.add(id);
        }
      }
      List<JsonObject> out = new ArrayList<>();
      List<String> chunk = new ArrayList<>();
      for (String id : after == null ? ids : ids.tailSet(after, false)) {
        chunk.add(id);
        if (chunk.size() == limit) {
          readInto(chunk, out, now);
          chunk.clear();
          if (out.size() >= limit) {
            break;
          }
        }
      }
      readInto(chunk, out, now);
      return out.size() > limit ? out.subList(0, limit) : out;
    });
  }

  private void readInto(List<String> ids, List<JsonObject> out, long now) {
    if (ids.isEmpty()) {
      return;
    }
    Map<String, String> page = records.getAll(new HashSet<>(ids));
    for (String id : ids) {
      String value = page.get(id);
      JsonObject record = value == null ? null : new JsonObject(value);
      if (record != null && !record.getBoolean("deleted", false)) {
        out.add(Schedule.fromRecord(record, 0, node.decoder()).toJson(now).put("owner", ownerOf(id)));
      }
    }
  }

  // ---------------------------------------------------------------- ownership

  /**
   * Starts on loop 0 once the node is listed: the schedules its store held go into the cluster
   * map (where a newer record from another node wins), then it takes up its own and keeps
   * looking at who is live.
   */
  public Future<Void> start(List<JsonObject> stored) {
    io.vertx.core.Promise<Void> started = io.vertx.core.Promise.promise();
    // One context of its own: looks and rebalances run one at a time on it.
    Context on = vertx.getOrCreateContext();
    on.runOnContext(v -> {
      takeUps = vertx.eventBus().consumer(takeUpAddress(node.nodeId()), m -> takeUp(m.body().getString("id"),
          m.body().getInteger("hops")));
      offer(stored).onComplete(ar -> {
        context = on;
        started.handle(ar);
      });
    });
    return started.future();
  }

  private Future<Void> offer(List<JsonObject> stored) {
    List<Future<Object>> offered = new ArrayList<>();
    for (JsonObject record : stored) {
      offered.add(Future.fromCompletionStage(records.submitToKey(record.getString("id"),
          new NewerWins(record.encode(), record.getLong("version")))));
    }
    return Future.all(offered).compose(v -> look()).onSuccess(v ->
        timer = vertx.setPeriodic(node.config().scheduleLookMs(), t -> look()));
  }

  public void stop() {
    vertx.cancelTimer(timer);
    if (takeUps != null) {
      takeUps.unregister();
    }
  }

  /** Reads who is live; if that changed, each loop takes up its schedules now owned here and lets the others go. */
  private Future<Void> look() {
    if (node.isLeaving()) {
      return Future.succeededFuture();
    }
    return report.members().compose(members -> {
      List<String> nodes = new ArrayList<>();
      for (String id : members) {
        if (!node.hasDeparted(id) || id.equals(node.nodeId())) {
          nodes.add(id);
        }
      }
      if (!nodes.contains(node.nodeId())) {
        nodes.add(node.nodeId());
      }
      nodes.sort(String::compareTo);
      if (nodes.equals(live) && timer >= 0) {
        return Future.succeededFuture();
      }
      LOG.info("live nodes for schedules: {}", nodes);
      live = List.copyOf(nodes);
      return rebalance();
    });
  }

  private Future<Void> rebalance() {
    if (rebalancing) {
      again = true;
      return Future.succeededFuture();
    }
    rebalancing = true;
    long started = System.nanoTime();
    List<Future<List<String>>> held = new ArrayList<>();
    for (int loop = 0; loop < node.loops(); loop++) {
      held.add(LoopLink.askFromAnywhere(vertx, node, loop, new LoopCommand.ScheduleIds(), 30_000));
    }
    return Future.all(held).compose(all -> {
      Set<String> mineNow = new HashSet<>();
      for (int loop = 0; loop < node.loops(); loop++) {
        mineNow.addAll(all.<List<String>>resultAt(loop));
      }
      return vertx.executeBlocking(() -> Map.copyOf(records)).compose(everything -> {
        int took = 0;
        int let = 0;
        List<Future<Void>> moves = new ArrayList<>();
        for (Map.Entry<String, String> e : everything.entrySet()) {
          String id = e.getKey();
          boolean mine = node.nodeId().equals(ownerOf(id));
          JsonObject record = new JsonObject(e.getValue());
          if (mine && !mineNow.contains(id) && !record.getBoolean("deleted", false)) {
            took++;
            moves.add(LoopLink.askFromAnywhere(vertx, node, node.homeOf(id), new LoopCommand.InstallSchedule(record, 0),
                30_000));
          } else if (!mine && mineNow.contains(id)) {
            let++;
            String owner = ownerOf(id);
            moves.add(LoopLink.askFromAnywhere(vertx, node, node.homeOf(id), new LoopCommand.UninstallSchedule(id), 30_000)
                .onSuccess(v -> passOn(id, owner, TAKE_UP_HOPS)));
          }
        }
        int taken = took;
        int left = let;
        return Future.join(moves).onComplete(ar -> {
          if (taken + left > 0) {
            LOG.info("node {} took up {} schedules and let {} go to other nodes in {} ms", node.nodeId(), taken, left,
                (System.nanoTime() - started) / 1_000_000);
          }
        }).mapEmpty();
      });
    }).transform(ar -> {
      rebalancing = false;
      if (ar.failed()) {
        LOG.warn("taking up schedules failed ({}); trying again", ar.cause().getMessage());
        live = List.of(); // look again at the next look
      }
      if (again) {
        again = false;
        return rebalance();
      }
      return Future.succeededFuture();
    });
  }

  // ---------------------------------------------------------------- take-up of a schedule let go

  static String takeUpAddress(String nodeId) {
    return "taskloop.schedules." + nodeId + ".take-up";
  }

  private void passOn(String id, String owner, int hops) {
    if (hops > 0) {
      vertx.eventBus().send(takeUpAddress(owner), new JsonObject().put("id", id).put("hops", hops - 1));
    }
  }

  /**
   * A node let schedule {@code id} go to this one. This node looks at who is live first, so its
   * view is as new as the sender's; then it takes the schedule up from its record if it is its
   * own (a schedule it holds already is left as it is), else passes it on to the owner it sees.
   */
  private void takeUp(String id, int hops) {
    if (node.isLeaving()) {
      return;
    }
    look().compose(v -> record(id)).onComplete(ar -> {
      // The map unreachable (the next change of who is live rebalances), or the schedule gone:
      // nothing to take up.
      JsonObject record = ar.succeeded() ? ar.result() : null;
      if (record == null || record.getBoolean("deleted", false)) {
        return;
      }
      String owner = ownerOf(id);
      if (!owner.equals(node.nodeId())) {
        passOn(id, owner, hops);
        return;
      }
      LoopLink.askFromAnywhere(vertx, node, node.homeOf(id), new LoopCommand.InstallSchedule(record, 0), 30_000)
          .onFailure(err -> LOG.warn("taking up schedule {} let go by another node failed: {}", id, err.getMessage()));
    });
  }

  // ---------------------------------------------------------------- entry processors (every member has these classes)

  /** Puts a new schedule's record unless a live one holds the id; answers the one holding it, or null. */
  static final class ClaimNew implements EntryProcessor<String, String, String>, Serializable {
    private static final long serialVersionUID = 1L;
    private final String record;

    ClaimNew(String record) {
      this.record = record;
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
      String held = entry.getValue();
      if (held != null && !new JsonObject(held).getBoolean("deleted", false)) {
        return held;
      }
      entry.setValue(record);
      return null;
    }
  }

  /** Puts a record if it is newer than the one held. */
  static final class NewerWins implements EntryProcessor<String, String, Object>, Serializable {
    private static final long serialVersionUID = 1L;
    private final String record;
    private final long version;

    NewerWins(String record, long version) {
      this.record = record;
      this.version = version;
    }

    @Override
    public Object process(Map.Entry<String, String> entry) {
      String held = entry.getValue();
      if (held == null || new JsonObject(held).getLong("version") < version) {
        entry.setValue(record);
      }
      return null;
    }
  }

  /** Removes the record if it is still the one of {@code version} (a create that did not commit). */
  static final class RemoveVersion implements EntryProcessor<String, String, Object>, Serializable {
    private static final long serialVersionUID = 1L;
    private final long version;

    RemoveVersion(long version) {
      this.version = version;
    }

    @Override
    public Object process(Map.Entry<String, String> entry) {
      String held = entry.getValue();
      if (held != null && new JsonObject(held).getLong("version") == version) {
        entry.setValue(null);
      }
      return null;
    }
  }
}
