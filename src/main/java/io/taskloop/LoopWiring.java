package io.taskloop;

import com.hazelcast.core.HazelcastInstance;
import io.taskloop.auth.Authenticator;
import io.taskloop.bus.EventBusApi;
import io.taskloop.cluster.Adoption;
import io.taskloop.cluster.ClusterKeys;
import io.taskloop.cluster.ClusterSetup;
import io.taskloop.cluster.EventSync;
import io.taskloop.cluster.NodeReport;
import io.taskloop.cluster.Replicator;
import io.taskloop.http.HttpApi;
import io.taskloop.http.UiAssets;
import io.taskloop.loop.IdempotencyKeys;
import io.taskloop.loop.LoopVerticle;
import io.taskloop.loop.NodeContext;
import io.taskloop.loop.Restored;
import io.taskloop.store.Stores;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.List;
import java.util.function.Supplier;

/**
 * What each loop of a node runs beside its engine: the HTTP API on the node's shared port, the
 * event-bus API, and in a cluster the replication of its records, cluster-wide events and keys;
 * loop 0 also answers for the node in {@code GET /v1/cluster} and adopts departed nodes' tasks.
 */
final class LoopWiring implements LoopVerticle.Services {

  private final Vertx vertx;
  private final NodeContext node;
  private final Buffer contract;
  private final UiAssets ui;
  private final HazelcastInstance hz;
  private final Supplier<Boolean> ready;
  private final IdempotencyKeys clusterKeys;
  private volatile int port;
  private volatile Adoption adoption;

  private final Stores.Opened store;
  private final Authenticator authenticator;

  LoopWiring(Vertx vertx, NodeContext node, Buffer contract, UiAssets ui, HazelcastInstance hz, Supplier<Boolean> ready,
      Stores.Opened store, Authenticator authenticator) {
    this.ui = ui;
    this.authenticator = authenticator;
    this.store = store;
    this.vertx = vertx;
    this.node = node;
    this.contract = contract;
    this.hz = hz;
    this.ready = ready;
    this.clusterKeys = hz == null ? null : new ClusterKeys(vertx, hz);
    node.metrics().httpConnections(openConnections::get);
  }

  @Override
  public IdempotencyKeys keys(int loop) {
    return clusterKeys != null ? clusterKeys : IdempotencyKeys.local();
  }

  /** The loops that reached a step of the start, each to be answered on its own thread. */
  private record Step(Queue<Runnable> arrived, AtomicInteger count) {
  }

  private final Map<String, Step> steps = new ConcurrentHashMap<>();
  /** HTTP connections open on this node, across its loops' servers (http_max_connections). */
  private final AtomicInteger openConnections = new AtomicInteger();

  @Override
  public Future<Void> together(String step) {
    Context loop = vertx.getOrCreateContext();
    Promise<Void> mine = Promise.promise();
    Step s = steps.computeIfAbsent(step, k -> new Step(new ConcurrentLinkedQueue<>(), new AtomicInteger()));
    s.arrived().add(() -> loop.runOnContext(v -> mine.complete()));
    if (s.count().incrementAndGet() == node.loops()) {
      s.arrived().forEach(Runnable::run); // every loop added itself before it counted
    }
    return mine.future();
  }

  @Override
  public Restored restored(int loop) {
    return store.forLoop(loop, node.loops(), node::loopFor);
  }

  @Override
  public Future<?> start(LoopVerticle loop) {
    NodeReport report = new NodeReport(vertx, node, loop.link(), hz);
    List<Future<?>> started = new ArrayList<>();
    started.add(startHttp(loop, report));
    started.add(EventBusApi.register(vertx, node, loop.link()));
    started.add(new EventSync(vertx, node, loop.index(), loop.engine().events()).start());
    if (hz != null) {
      loop.replicateWith(new Replicator(vertx, node.nodeId(), loop.index(), hz.getMap(ClusterSetup.TASKS_MAP)));
      if (loop.index() == 0) {
        adoption = new Adoption(vertx, node, loop.link(), hz);
        started.add(report.serve());
        started.add(adoption.start());
      }
    }
    return Future.join(started);
  }

  private Future<HttpServer> startHttp(LoopVerticle loop, NodeReport report) {
    // Port 0 means "any free port"; -1 asks Vert.x for one random port shared by every loop.
    int wanted = node.config().httpPort() == 0 ? -1 : node.config().httpPort();
    HttpServerOptions options = new HttpServerOptions()
        .setHost(node.config().httpHost())
        .setPort(wanted)
        .setCompressionSupported(false)
        .setTcpNoDelay(true)
        .setMaxHeaderSize(node.config().httpMaxHeaderBytes())
        // Long lines reach the edge, which answers those over http_max_uri_bytes as problem+json.
        .setMaxInitialLineLength(65_536)
        // HTTP/1.1 only: with h2c prior knowledge on, Vert.x waits for a client's first bytes to
        // tell the protocols apart before the connection is handed over, so a client that sends
        // nothing would never meet the read timeout.
        .setHttp2ClearTextEnabled(false);
    HttpApi api = new HttpApi(node, loop.link(), report::cluster, ready, authenticator);
    return api.serve(vertx, vertx.createHttpServer(options), contract, ui, openConnections)
        .listen()
        .onSuccess(server -> port = server.actualPort());
  }

  /** The port every loop's server listens on. */
  int port() {
    return port;
  }

  /** Loop 0's adoption duty; null on a node that runs alone. */
  Adoption adoption() {
    return adoption;
  }
}
