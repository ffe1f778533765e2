package io.taskloop.loop;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loop: one instance per event-loop thread. It owns its tasks ({@link TaskEngine}) and listens
 * on its own event-bus address for commands from other loops. What serves beside the engine on
 * the same thread (the HTTP server on the node's shared port, the event-bus API, cluster duties)
 * is given by the wiring as {@link Services}, so this package depends on none of them.
 */
public final class LoopVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(LoopVerticle.class);

  /** What the node gives each of its loops. */
  public interface Services {

    /** The keys this loop's keyed creates claim: a map of its own on a single node, the cluster's otherwise. */
    IdempotencyKeys keys(int loop);

    /** What the store held for this loop when the node started. */
    Restored restored(int loop);

    /**
     * Completes, on the calling loop, once every loop of the node has called it with the same
     * {@code step}: the steps of a start that loops take together.
     */
    Future<Void> together(String step);

    /** Starts what serves beside the engine on the loop's thread; the loop is up once it completes. */
    Future<?> start(LoopVerticle loop);
  }

  private final NodeContext node;
  private final int index;
  private final Services services;
  private TaskEngine engine;
  private LoopLink link;

  public LoopVerticle(NodeContext node, int index, Services services) {
    this.node = node;
    this.index = index;
    this.services = services;
  }

  @Override
  public Future<?> start() {
    link = new LoopLink(vertx, node, index);
    engine = new TaskEngine(vertx, node, link, services.keys(index));
    // Every loop listens, then takes up what the store held, before any re-arms a task or serves:
    // a restored task may ask another loop (its event's home, its children) at once.
    return registerConsumer()
        .compose(v -> services.together("listening"))
        .compose(v -> {
          engine.takeUp(services.restored(index));
          return services.together("taken up");
        })
        .compose(v -> {
          engine.resumeRestored();
          engine.startSweeping();
          return services.start(this);
        });
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

  public int index() {
    return index;
  }

  public NodeContext node() {
    return node;
  }

  public LoopLink link() {
    return link;
  }

  public TaskEngine engine() {
    return engine;
  }

  /** In a cluster: every change of this loop's tasks is replicated. */
  public void replicateWith(Replication replication) {
    engine.replicateWith(replication);
  }
}
