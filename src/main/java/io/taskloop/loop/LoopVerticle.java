package io.taskloop.loop;

import io.taskloop.loop.Addresses;
import io.taskloop.bus.EventBusApi;
import io.taskloop.cluster.Adoption;
import io.taskloop.cluster.ClusterSetup;
import io.taskloop.cluster.EventSync;
import io.taskloop.cluster.Replicator;
import io.taskloop.cluster.NodeReport;
import io.taskloop.http.HttpApi;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loop: one instance per event-loop thread. It owns its tasks ({@link TaskEngine}), listens
 * on its own event-bus address for commands from other loops, and serves HTTP on the node's
 * shared port, so a request usually lands on the loop that will own the task it creates.
 */
public final class LoopVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(LoopVerticle.class);

  private final NodeContext node;
  private final int index;
  private final Buffer contract;
  private final Supplier<Boolean> ready;
  private TaskEngine engine;
  private LoopLink link;
  private HttpServer server;
  private NodeReport report;

  public LoopVerticle(NodeContext node, int index, Buffer contract, Supplier<Boolean> ready) {
    this.node = node;
    this.index = index;
    this.contract = contract;
    this.ready = ready;
  }

  @Override
  public Future<?> start() {
    link = new LoopLink(vertx, node, index);
    engine = new TaskEngine(vertx, node, link);
    engine.startSweeping();
    report = new NodeReport(vertx, node, link);
    if (node.hazelcast() != null) {
      engine.replicateWith(new Replicator(vertx, node.nodeId(), index, node.hazelcast().getMap(ClusterSetup.TASKS_MAP)));
    }
    // Loop 0 also answers for the node in GET /v1/cluster and adopts the tasks of departed nodes.
    Future<Void> reporting = index == 0
        ? Future.join(report.serve(), new Adoption(vertx, node, link).start()).mapEmpty()
        : Future.succeededFuture();
    Future<Void> events = new EventSync(vertx, node, index, engine.events()).start();
    return Future.join(registerConsumer(), startHttp(), EventBusApi.register(vertx, node, link), reporting, events);
  }

  @Override
  public Future<?> stop() {
    engine.stop();
    return Future.succeededFuture();
  }

  private Future<Void> registerConsumer() {
    DeliveryOptions replies = LoopLink.options(LoopLink.ANSWER_TIMEOUT_MS);
    // A cluster-wide consumer: loops of other nodes reach this one by its address.
    MessageConsumer<LoopCommand<?>> consumer = vertx.eventBus().consumer(Addresses.loop(node.nodeId(), index),
        msg -> link.runHere(msg.body()).onComplete(ar -> {
          if (msg.replyAddress() != null) {
            msg.reply(ar.succeeded() ? ar.result() : ar.cause(), replies);
          } else if (ar.failed()) {
            LOG.debug("loop {} ignored a failed notification: {}", index, ar.cause().getMessage());
          }
        }));
    return consumer.completion();
  }

  private Future<HttpServer> startHttp() {
    // Port 0 means "any free port"; -1 asks Vert.x for one random port shared by every loop.
    int port = node.config().httpPort() == 0 ? -1 : node.config().httpPort();
    HttpServerOptions options = new HttpServerOptions()
        .setHost(node.config().httpHost())
        .setPort(port)
        .setCompressionSupported(false)
        .setTcpNoDelay(true);
    HttpApi api = new HttpApi(node, link, report, ready);
    return vertx.createHttpServer(options)
        .requestHandler(api.router(vertx, contract))
        .listen()
        .onSuccess(s -> server = s);
  }

  /** The port this loop's server listens on (the same on every loop). */
  public int port() {
    return server.actualPort();
  }
}
