package io.taskloop;

import com.hazelcast.core.HazelcastInstance;
import io.taskloop.auth.Authenticator;
import io.taskloop.bus.TaskCodec;
import io.taskloop.bus.WireCodec;
import io.taskloop.http.UiAssets;
import io.taskloop.task.EncodedRecently;
import io.taskloop.cluster.Adoption;
import io.taskloop.cluster.ClusterDirectory;
import io.taskloop.cluster.ClusterSchedules;
import io.taskloop.cluster.NodeReport;
import io.taskloop.loop.Resume;
import io.taskloop.store.Backend;
import io.taskloop.cluster.ClusterSetup;
import io.taskloop.cluster.HandOver;
import io.taskloop.config.Config;
import io.taskloop.loop.Directory;
import io.taskloop.loop.LoopCommand;
import io.taskloop.loop.LoopLink;
import io.taskloop.loop.LoopVerticle;
import io.taskloop.loop.NodeContext;
import io.taskloop.metrics.Metrics;
import io.taskloop.store.Recovery;
import io.taskloop.store.StoredRecords;
import io.taskloop.store.Stores;
import io.taskloop.task.Task;
import io.taskloop.task.TaskJson;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A running taskloop node: its loops deployed on one Vert.x instance, and what wires them together. */
public final class Node {

  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
  /** How long a joining node waits for the cluster's partitions to have their backups before it is ready. */
  private static final long SAFE_BOUND_MS = 30_000;
  /** How often the store deletes what passed its retention. */
  private static final long EXPIRE_EVERY_MS = 10_000;
  /** How long a stopping node waits for the journal to write what it still holds. */
  private static final long CLOSE_BOUND_MS = 5_000;
  private static final Logger LOG = LoggerFactory.getLogger(Node.class);

  private final Vertx vertx;
  private final NodeContext context;
  private final LoopWiring wiring;
  private final HazelcastInstance hazelcast;
  private final String deploymentId;
  private final Stores.Opened opened;
  private final ClusterSchedules schedules;
  private long expiry = -1;
  /** Drops the JSON text of tasks encoded a while ago ({@link EncodedRecently}). */
  private long sweeper = -1;

  private Node(Vertx vertx, NodeContext context, LoopWiring wiring, HazelcastInstance hazelcast, String deploymentId,
      Stores.Opened opened, ClusterSchedules schedules) {
    this.schedules = schedules;
    this.vertx = vertx;
    this.context = context;
    this.wiring = wiring;
    this.hazelcast = hazelcast;
    this.deploymentId = deploymentId;
    this.opened = opened;
  }

  /** Deploys one loop per configured event-loop thread; the future completes once all serve HTTP. */
  public static Future<Node> start(Vertx vertx, Config config, Clock clock) {
    return start(vertx, config, clock, null);
  }

  /** Starts a node; a clustered one is given its Hazelcast member for replication and adoption. */
  public static Future<Node> start(Vertx vertx, Config config, Clock clock, HazelcastInstance hazelcast) {
    return start(vertx, config, clock, hazelcast, Metrics.standalone());
  }

  /**
   * Starts a node whose meters go to {@code metrics} (the registry Vert.x reports to, in Main):
   * opens its store, takes up what the store held for it, deploys its loops, and (in a cluster)
   * waits for the partitions to have their backups. The future completes once it is ready.
   */
  public static Future<Node> start(Vertx vertx, Config config, Clock clock, HazelcastInstance hazelcast, Metrics metrics) {
    registerCodec(vertx);
    long started = System.nanoTime();
    return Stores.open(vertx, config, metrics, Node::newNodeId).compose(opened -> {
      NodeContext context = new NodeContext(opened.nodeId(), config, clock,
          hazelcast == null ? n -> Directory.NONE : n -> new ClusterDirectory(vertx, hazelcast, n, config.store().equals("postgres")), metrics);
      context.keepIn(opened.journal());
      ClusterSchedules schedules = hazelcast == null ? null : new ClusterSchedules(vertx, context, hazelcast);
      if (schedules != null) {
        context.ownSchedulesWith(schedules);
      }
      AtomicBoolean deployed = new AtomicBoolean();
      Supplier<Boolean> ready = () -> deployed.get() && (opened.commit() == null || !opened.commit().failing());
      AtomicInteger next = new AtomicInteger();
      return notTakenOver(vertx, hazelcast, opened)
          .compose(store -> vertx.executeBlocking(() -> Authenticator.load(vertx, config.auth()))
              .compose(authenticator -> vertx.executeBlocking(UiAssets::load)
              .compose(ui -> vertx.fileSystem().readFile("openapi.yaml").compose(contract -> {
            LoopWiring wiring = new LoopWiring(vertx, context, contract, ui, hazelcast, ready, store, authenticator);
            return vertx.deployVerticle(() -> new LoopVerticle(context, next.getAndIncrement(), wiring),
                    new DeploymentOptions().setInstances(config.loops()))
                // Ready once the cluster's partitions have their backups: records written before could be lost.
                .compose(id -> hazelcast == null ? Future.succeededFuture(id)
                    : ClusterSetup.safe(vertx, hazelcast, SAFE_BOUND_MS).map(id))
                .compose(id -> adoptOrphans(vertx, context, hazelcast, opened).map(id))
                .compose(id -> takeUpSchedules(vertx, context, schedules, store.recovery()).map(id))
                .map(id -> {
                  Node node = new Node(vertx, context, wiring, hazelcast, id, opened, schedules);
                  node.startSweeps();
                  deployed.set(true);
                  if (opened.keeps()) {
                    LOG.info("node {} took up {} unfinished tasks, {} set events, {} idempotency keys and {} schedule"
                        + " records from {} in {} ms",
                        opened.nodeId(), store.recovery().unfinished().size(), store.recovery().events().size(),
                        store.recovery().keys().size(), store.recovery().schedules().size(), opened.commit().backend().name(),
                        (System.nanoTime() - started) / 1_000_000);
                  }
                  return node;
                });
          }))))
          .onFailure(err -> {
            if (opened.commit() != null) {
              vertx.executeBlocking(() -> {
                opened.commit().close(0);
                return null;
              });
            }
          });
    });
  }

  /**
   * In a cluster, a node that comes back on its data_dir takes up only what no other node took
   * over while it was away: a task the cluster map gives to another node is that node's now.
   */
  private static Future<Stores.Opened> notTakenOver(Vertx vertx, HazelcastInstance hazelcast, Stores.Opened opened) {
    List<Task> unfinished = opened.recovery().unfinished();
    if (hazelcast == null || unfinished.isEmpty()) {
      return Future.succeededFuture(opened);
    }
    IMap<String, HazelcastJsonValue> records = hazelcast.getMap(ClusterSetup.TASKS_MAP);
    Set<String> ids = new HashSet<>();
    unfinished.forEach(t -> ids.add(t.id()));
    return vertx.executeBlocking(() -> records.getAll(ids)).map(held -> {
      List<Task> mine = new ArrayList<>();
      for (Task t : unfinished) {
        HazelcastJsonValue record = held.get(t.id());
        JsonObject json = record == null ? null : new JsonObject(record.getValue());
        if (json == null || opened.nodeId().equals(json.getString("owner"))) {
          mine.add(t);
        } else {
          // The adopter's newer record goes into this node's store: a request that comes here
          // for the task is sent on to the node that has it.
          opened.journal().write(TaskJson.fromJson(json, StoredRecords.decoder()));
        }
      }
      if (mine.size() < unfinished.size()) {
        LOG.info("node {} leaves {} of its stored tasks to the nodes that adopted them while it was away",
            opened.nodeId(), unfinished.size() - mine.size());
      }
      Recovery r = opened.recovery();
      return new Stores.Opened(opened.nodeId(), opened.journal(), opened.commit(),
          new Recovery(mine, r.events(), r.keys(), r.ids(), r.schedules()));
    });
  }

  /**
   * A store the cluster shares (PostgreSQL) may hold unfinished tasks of nodes that are gone and
   * not coming back (a full restart on new nodes): the nodes alive share them out as adoption
   * does (rendezvous over the live node ids), each claiming its share in the store first, so no
   * task gets two owners however the starts interleave.
   */
  private static Future<Void> adoptOrphans(Vertx vertx, NodeContext context, HazelcastInstance hazelcast,
      Stores.Opened opened) {
    if (opened.commit() == null || !opened.commit().backend().name().equals("postgres")) {
      return Future.succeededFuture();
    }
    Future<List<String>> alive = hazelcast == null ? Future.succeededFuture(List.of(context.nodeId()))
        : new NodeReport(vertx, context, null, hazelcast).members().map(ids -> {
          List<String> all = new ArrayList<>(ids);
          if (!all.contains(context.nodeId())) {
            all.add(context.nodeId());
          }
          return all;
        });
    Backend store = opened.commit().backend();
    return alive.compose(nodes -> store.orphans(nodes).compose(orphans -> {
      List<Task> mine = new ArrayList<>();
      for (Task t : orphans) {
        if (context.nodeId().equals(Adoption.chooseAdopter(t.id(), nodes))) {
          mine.add(t);
        }
      }
      return store.claim(mine, context.nodeId());
    })).compose(claimed -> {
      List<Future<Task>> adopted = new ArrayList<>();
      for (Task t : claimed) {
        adopted.add(LoopLink.askFromAnywhere(vertx, context, context.loopFor(t.id()),
            new LoopCommand.Adopt(TaskJson.task(t), Resume.OWNER_LOST), 30_000));
      }
      return Future.all(adopted).onSuccess(v -> {
        if (!claimed.isEmpty()) {
          LOG.info("node {} adopted {} tasks of nodes that are gone from the shared store", context.nodeId(), claimed.size());
        }
      });
    }).mapEmpty();
  }

  /**
   * The schedules the store held: a node alone takes each up on its home loop (ticks missed
   * while it was down fire if inside their catch-up window); in a cluster they go into the
   * cluster's records, and each node takes up those it owns.
   */
  private static Future<Void> takeUpSchedules(Vertx vertx, NodeContext context, ClusterSchedules cluster,
      Recovery recovery) {
    List<JsonObject> records = new ArrayList<>();
    for (Recovery.StoredSchedule stored : recovery.schedules()) {
      JsonObject record = stored.record();
      records.add(record.put("cursor", Math.max(record.getLong("cursor"), stored.firedUpTo())));
    }
    if (cluster != null) {
      return cluster.start(records);
    }
    List<Future<Void>> installed = new ArrayList<>();
    for (JsonObject record : records) {
      if (!record.getBoolean("deleted", false)) {
        installed.add(LoopLink.askFromAnywhere(vertx, context, context.homeOf(record.getString("id")),
            new LoopCommand.InstallSchedule(record, 0), 30_000));
      }
    }
    return Future.all(installed).mapEmpty();
  }

  /**
   * The periodic sweeps: the cached JSON text of tasks encoded a while ago; and, now and then,
   * deleting from the store what passed its retention (memory forgets on its own).
   */
  private void startSweeps() {
    sweeper = vertx.setPeriodic(EncodedRecently.EVERY_MS, t -> vertx.executeBlocking(() -> {
      EncodedRecently.sweep();
      return null;
    }, false));
    if (opened.commit() == null) {
      return;
    }
    expiry = vertx.setPeriodic(EXPIRE_EVERY_MS, t -> opened.commit()
        .expire(context.clock().millis() - context.config().retentionMs())
        .onFailure(err -> LOG.warn("deleting expired tasks from the store failed: {}", err.getMessage())));
  }

  private static void registerCodec(Vertx vertx) {
    try {
      vertx.eventBus().registerCodec(new WireCodec());
      vertx.eventBus().registerCodec(new TaskCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // a second node on the same Vert.x instance (tests) shares the codecs
    }
  }

  private static String newNodeId() {
    SecureRandom random = new SecureRandom();
    StringBuilder sb = new StringBuilder(6);
    for (int i = 0; i < 6; i++) {
      sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  public String id() {
    return context.nodeId();
  }

  public int port() {
    return wiring.port();
  }

  public Config config() {
    return context.config();
  }

  /** Tells every loop the clock moved, so what is now due runs; completes when all have run it. */
  public Future<Void> tick() {
    List<Future<Void>> ticks = new ArrayList<>();
    for (int i = 0; i < context.loops(); i++) {
      ticks.add(LoopLink.askFromAnywhere(vertx, context, i, new LoopCommand.Tick(), 5_000));
    }
    return Future.all(ticks).mapEmpty();
  }

  /**
   * Leaves gracefully (from any thread): in a cluster the others adopt this node's tasks first,
   * within {@code boundMs}; a node that runs alone has no one to hand them to.
   */
  public Future<Void> leave(long boundMs) {
    return hazelcast == null ? Future.succeededFuture() : new HandOver(vertx, context, hazelcast).leave(boundMs);
  }

  /**
   * Drops this node's copies of tasks that the cluster map gives to other nodes: what a node
   * does when a partition heals (also run by hand by tests and operators). Answers how many.
   */
  public Future<Integer> reconcile() {
    return wiring.adoption() == null ? Future.succeededFuture(0) : wiring.adoption().reconcile();
  }

  /**
   * Looks at who is live now for the schedules, as the periodic look ({@code schedule_look_ms})
   * does: for an operator or a test that knows the members changed.
   */
  public void lookAtWhoIsLive() {
    if (schedules != null) {
      schedules.refresh();
    }
  }

  /** Undeploys the loops, then closes the store once what the loops handed it is written. */
  public Future<Void> stop() {
    vertx.cancelTimer(expiry);
    vertx.cancelTimer(sweeper);
    if (schedules != null) {
      schedules.stop();
    }
    return vertx.undeploy(deploymentId).compose(v -> opened.commit() == null ? Future.succeededFuture()
        : vertx.executeBlocking(() -> {
          opened.commit().close(CLOSE_BOUND_MS);
          return null;
        }));
  }
}
