package io.taskloop;

import com.hazelcast.core.HazelcastInstance;
import io.taskloop.cluster.ClusterSetup;
import io.taskloop.config.Config;
import io.taskloop.config.LogFormat;
import io.taskloop.metrics.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts a node: loads the config, starts Vert.x and deploys the loops. The only place that blocks. */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  /** How long SIGTERM waits for the other nodes to adopt this node's tasks. */
  private static final long HANDOVER_BOUND_MS = 20_000;
  /** How long the Hazelcast member may take to leave gracefully once Vert.x has closed. */
  private static final long MEMBER_STOP_BOUND_MS = 10_000;
  /** How long the loops and the journal may take to stop once the hand-over is done. */
  private static final long STORE_CLOSE_BOUND_MS = 10_000;

  private Main() {
  }

  /** Netty's setting for how far ahead a timer may be before its loop waits for it in whole milliseconds. */
  static final String EPOLL_WAIT_THRESHOLD = "io.netty.channel.epoll.epollWaitThreshold";

  /**
   * Timers to the microsecond: Netty's epoll loop waits for a timer 10 ms or more ahead with
   * epoll_wait's timeout in whole milliseconds, which woke the loop up to a millisecond late
   * (every cron tick's first fire, and every sleep's end, came 1 ms after its instant); at 0 it
   * arms its timerfd for every wait instead. Set before any loop exists; a {@code -D} of it on
   * the command line wins.
   */
  private static void preciseTimers() {
    if (System.getProperty(EPOLL_WAIT_THRESHOLD) == null) {
      System.setProperty(EPOLL_WAIT_THRESHOLD, "0");
    }
  }

  public static void main(String[] args) throws Exception {
    preciseTimers();
    Config config;
    try {
      config = Config.from(configFile(), System.getenv());
    } catch (IllegalArgumentException e) {
      LOG.error("bad configuration: {}", e.getMessage());
      System.exit(2);
      return;
    }
    LogFormat.apply(config);
    // One registry for Vert.x's own meters (event bus, JVM) and taskloop's.
    Metrics metrics = new Metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    // The native epoll transport where it loads (the jar carries it for Linux x86_64), else NIO.
    VertxOptions options = new VertxOptions().setEventLoopPoolSize(config.loops()).setPreferNativeTransport(true)
        .setMetricsOptions(Metrics.vertxMetrics());
    Vertx vertx;
    HazelcastInstance member = null;
    HazelcastClusterManager manager = null;
    Node node;
    try {
      if (config.clustered()) {
        LOG.info("joining cluster '{}' ({} mode) on {}:{}", config.clusterName(), config.clusterMode(),
            config.clusterHost(), config.clusterPort());
        // The member first, so the event bus can advertise the address Hazelcast chose for it.
        member = ClusterSetup.startMember(ClusterSetup.hazelcastConfig(config));
        manager = ClusterSetup.manager(member);
        vertx = Vertx.builder().with(ClusterSetup.withEventBus(options, config, member))
            .withMetrics(new MicrometerMetricsFactory(metrics.registry()))
            .withClusterManager(manager).buildClustered().await();
        LOG.info("cluster member at {}:{}, event bus at {}:{}", ClusterSetup.memberHost(member),
            member.getCluster().getLocalMember().getAddress().getPort(), manager.getNodeInfo().host(),
            manager.getNodeInfo().port());
      } else {
        vertx = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(metrics.registry())).build();
      }
    } catch (Exception e) {
      LOG.error("taskloop could not join its cluster: {}", e.getMessage());
      if (member != null) {
        member.getLifecycleService().terminate();
      }
      System.exit(1);
      return;
    }
    if (vertx.isNativeTransportEnabled()) {
      LOG.info("network transport: native epoll");
    } else {
      Throwable why = vertx.unavailableNativeTransportCause();
      LOG.info("network transport: NIO (native epoll unavailable: {})", why == null ? "not on this system" : why.toString());
    }
    HazelcastInstance hazelcast = member;
    try {
      node = Node.start(vertx, config, Clock.systemUTC(), hazelcast, metrics).await();
    } catch (Exception e) {
      LOG.error("taskloop failed to start: {}", e.getMessage());
      vertx.close();
      if (hazelcast != null) {
        hazelcast.getLifecycleService().terminate();
      }
      System.exit(1);
      return;
    }
    LOG.info("taskloop node {} serving http://{}:{} with {} loops", node.id(), config.httpHost(), node.port(),
        config.loops());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("taskloop node {} stopping", node.id());
      try {
        node.leave(HANDOVER_BOUND_MS).await(HANDOVER_BOUND_MS + 5_000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LOG.warn("hand-over did not complete: {}", e.getMessage());
      }
      try {
        // The loops stop, and the journal writes what it still holds before the store closes.
        node.stop().await(STORE_CLOSE_BOUND_MS, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LOG.warn("the node did not stop in time: {}", e.getMessage());
      }
      try {
        vertx.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("Vert.x did not close in time: {}", e.getMessage());
      }
      if (hazelcast != null) {
        ClusterSetup.stopMember(hazelcast, MEMBER_STOP_BOUND_MS); // Vert.x leaves alone a member it did not start
      }
    }, "taskloop-shutdown"));
  }

  private static JsonObject configFile() throws Exception {
    String path = System.getenv("TASKLOOP_CONFIG");
    if (path == null || path.isBlank()) {
      return new JsonObject();
    }
    return new JsonObject(Files.readString(Path.of(path)));
  }
}
