package io.taskloop;

import com.hazelcast.core.HazelcastInstance;
import io.taskloop.loop.Addresses;
import io.taskloop.bus.WireCodec;
import io.taskloop.bus.TaskCodec;
import io.taskloop.config.Config;
import io.taskloop.loop.LoopCommand;
import io.taskloop.loop.LoopVerticle;
import io.taskloop.loop.NodeContext;
import io.taskloop.metrics.Metrics;
import io.vertx.core.DeploymentOptions;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.taskloop.cluster.ClusterSetup;
import io.taskloop.cluster.NodeReport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A running taskloop node: its loops deployed on one Vert.x instance. */
public final class Node {

  private static final Logger LOG = LoggerFactory.getLogger(Node.class);
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

  private final Vertx vertx;
  private final NodeContext context;
  private final List<LoopVerticle> loops;
  private final String deploymentId;

  private Node(Vertx vertx, NodeContext context, List<LoopVerticle> loops, String deploymentId) {
    this.vertx = vertx;
    this.context = context;
    this.loops = loops;
    this.deploymentId = deploymentId;
  }

  /** Deploys one loop per configured event-loop thread; the future completes once all serve HTTP. */
  public static Future<Node> start(Vertx vertx, Config config, Clock clock) {
    return start(vertx, config, clock, null);
  }

  /** Starts a node; a clustered one is given its Hazelcast member for replication and adoption. */
  public static Future<Node> start(Vertx vertx, Config config, Clock clock, HazelcastInstance hazelcast) {
    return start(vertx, config, clock, hazelcast, Metrics.standalone());
  }

  /** Starts a node whose meters go to {@code metrics} (the registry Vert.x reports to, in Main). */
  public static Future<Node> start(Vertx vertx, Config config, Clock clock, HazelcastInstance hazelcast, Metrics metrics) {
    NodeContext context = new NodeContext(newNodeId(), config, clock, hazelcast, metrics);
    registerCodec(vertx);
    AtomicBoolean ready = new AtomicBoolean();
    List<LoopVerticle> loops = new CopyOnWriteArrayList<>();
    AtomicInteger next = new AtomicInteger();
    return vertx.fileSystem().readFile("openapi.yaml")
        .compose(contract -> vertx.deployVerticle(() -> {
          LoopVerticle loop = new LoopVerticle(context, next.getAndIncrement(), contract, ready::get);
          loops.add(loop);
          return loop;
        }, new DeploymentOptions().setInstances(config.loops())))
        .map(id -> {
          ready.set(true);
          return new Node(vertx, context, new ArrayList<>(loops), id);
        });
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
    return loops.get(0).port();
  }

  public Config config() {
    return context.config();
  }

  /** Tells every loop the clock moved, so what is now due runs; completes when all have run it. */
  public Future<Void> tick() {
    List<Future<Object>> ticks = new ArrayList<>();
    DeliveryOptions options = new DeliveryOptions().setCodecName(WireCodec.NAME).setLocalOnly(true).setSendTimeout(5_000);
    for (int i = 0; i < context.loops(); i++) {
      ticks.add(vertx.eventBus().request(Addresses.loop(context.nodeId(), i), new LoopCommand.Tick(), options)
          .map(m -> m.body()));
    }
    return Future.all(ticks).mapEmpty();
  }

  /**
   * Leaves gracefully: the node leaves the members list, every loop stops and writes its
   * records, the others are told to adopt them (re-running in-flight attempts, no OwnerLost),
   * and this completes once no record names this node as owner any more, or after a bound.
   */
  public Future<Void> leave(long boundMs) {
    if (context.hazelcast() == null) {
      return Future.succeededFuture();
    }
    long started = System.nanoTime();
    IMap<String, HazelcastJsonValue> records = context.hazelcast().getMap(ClusterSetup.TASKS_MAP);
    DeliveryOptions local = new DeliveryOptions().setCodecName(WireCodec.NAME).setLocalOnly(true).setSendTimeout(10_000);
    return vertx.sharedData().<String, JsonObject>getAsyncMap(NodeReport.NODES_MAP)
        .compose(map -> map.remove(context.nodeId()).compose(v -> map.entries()))
        .compose(entries -> {
          java.util.Set<String> alive = new java.util.HashSet<>();
          context.hazelcast().getCluster().getMembers().forEach(m -> {
            if (!m.localMember()) {
              alive.add(m.getUuid().toString());
            }
          });
          boolean others = entries.values().stream().anyMatch(info -> alive.contains(info.getString("member")));
          if (!others) {
            LOG.info("node {} is the last of its cluster: no one to hand its tasks to", context.nodeId());
            return Future.failedFuture(new LastNode());
          }
          List<Future<Object>> frozen = new ArrayList<>();
          for (int i = 0; i < context.loops(); i++) {
            frozen.add(vertx.eventBus().request(Addresses.loop(context.nodeId(), i), new LoopCommand.Freeze(), local)
                .map(m -> m.body()));
          }
          return Future.all(frozen);
        })
        .compose(all -> {
          int handed = 0;
          for (Object n : all.list()) {
            handed += (Integer) n;
          }
          LOG.info("node {} hands {} unfinished tasks over", context.nodeId(), handed);
          vertx.eventBus().publish(Addresses.NODE_LEAVING, new JsonObject().put("node", context.nodeId()));
          return untilAdopted(records, System.currentTimeMillis() + boundMs);
        })
        .transform(ar -> {
          if (ar.failed() && ar.cause() instanceof LastNode) {
            return Future.<Void>succeededFuture();
          }
          LOG.info("node {} handed over in {} ms{}", context.nodeId(), (System.nanoTime() - started) / 1_000_000,
              ar.failed() ? " (" + ar.cause().getMessage() + ")" : "");
          return ar.succeeded() ? Future.<Void>succeededFuture() : Future.<Void>failedFuture(ar.cause());
        });
  }

  /** Nothing to hand over to: the other nodes are gone. */
  private static final class LastNode extends RuntimeException {
    LastNode() {
      super("last node", null, false, false);
    }
  }

  private Future<Void> untilAdopted(IMap<String, HazelcastJsonValue> records, long deadline) {
    return vertx.executeBlocking(() -> records.keySet(Predicates.equal("owner", context.nodeId())).size())
        .compose(left -> {
          if (left == 0) {
            return Future.succeededFuture();
          }
          if (System.currentTimeMillis() > deadline) {
            return Future.failedFuture(left + " records were not adopted in time");
          }
          Promise<Void> again = Promise.promise();
          vertx.setTimer(100, t -> untilAdopted(records, deadline).onComplete(again));
          return again.future();
        });
  }

  /**
   * Drops this node's copies of tasks that the cluster map gives to other nodes: what a node
   * does when a partition heals (also run by hand by tests and operators). Answers how many.
   */
  public Future<Integer> reconcile() {
    DeliveryOptions local = new DeliveryOptions().setCodecName(WireCodec.NAME).setLocalOnly(true).setSendTimeout(30_000);
    List<Future<Integer>> dropped = new ArrayList<>();
    for (int i = 0; i < context.loops(); i++) {
      dropped.add(vertx.eventBus().<Integer>request(Addresses.loop(context.nodeId(), i), new LoopCommand.Reconcile(), local)
          .map(m -> m.body()));
    }
    return Future.all(dropped).map(all -> all.<Integer>list().stream().mapToInt(Integer::intValue).sum());
  }

  public Future<Void> stop() {
    return vertx.undeploy(deploymentId);
  }
}
