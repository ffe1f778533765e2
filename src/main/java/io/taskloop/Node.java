package io.taskloop;

import com.hazelcast.core.HazelcastInstance;
import io.taskloop.bus.TaskCodec;
import io.taskloop.bus.WireCodec;
import io.taskloop.cluster.ClusterDirectory;
import io.taskloop.cluster.ClusterSetup;
import io.taskloop.cluster.HandOver;
import io.taskloop.config.Config;
import io.taskloop.loop.Directory;
import io.taskloop.loop.LoopCommand;
import io.taskloop.loop.LoopLink;
import io.taskloop.loop.LoopVerticle;
import io.taskloop.loop.NodeContext;
import io.taskloop.metrics.Metrics;
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

  private final Vertx vertx;
  private final NodeContext context;
  private final LoopWiring wiring;
  private final HazelcastInstance hazelcast;
  private final String deploymentId;

  private Node(Vertx vertx, NodeContext context, LoopWiring wiring, HazelcastInstance hazelcast, String deploymentId) {
    this.vertx = vertx;
    this.context = context;
    this.wiring = wiring;
    this.hazelcast = hazelcast;
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
    NodeContext context = new NodeContext(newNodeId(), config, clock,
        hazelcast == null ? n -> Directory.NONE : n -> new ClusterDirectory(vertx, hazelcast, n), metrics);
    registerCodec(vertx);
    AtomicBoolean ready = new AtomicBoolean();
    AtomicInteger next = new AtomicInteger();
    return vertx.fileSystem().readFile("openapi.yaml").compose(contract -> {
      LoopWiring wiring = new LoopWiring(vertx, context, contract, hazelcast, ready::get);
      return vertx.deployVerticle(() -> new LoopVerticle(context, next.getAndIncrement(), wiring),
              new DeploymentOptions().setInstances(config.loops()))
          // Ready once the cluster's partitions have their backups: records written before could be lost.
          .compose(id -> hazelcast == null ? Future.succeededFuture(id)
              : ClusterSetup.safe(vertx, hazelcast, SAFE_BOUND_MS).map(id))
          .map(id -> {
            ready.set(true);
            return new Node(vertx, context, wiring, hazelcast, id);
          });
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

  public Future<Void> stop() {
    return vertx.undeploy(deploymentId);
  }
}
