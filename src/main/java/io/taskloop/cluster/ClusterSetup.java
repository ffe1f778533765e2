package io.taskloop.cluster;

import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.config.MapConfig;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.config.MetadataPolicy;
import com.hazelcast.spi.merge.LatestUpdateMergePolicy;
import com.hazelcast.config.NetworkConfig;
import io.taskloop.config.Config;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hazelcast as taskloop runs it: its own cluster name and port, multicast and phone-home off,
 * members found by a TCP list or by Kubernetes DNS through a headless service, and the task
 * record map kept with one backup.
 *
 * <p>The member is started before Vert.x ({@link #startMember}) and handed to the cluster manager,
 * so that the event bus can be told the address Hazelcast chose for this member: with a wildcard
 * {@code cluster_host} and no {@code cluster_public_host}, that is the only address the other
 * nodes can reach it at ({@link #advertisedHost}). Vert.x does not own a member it was given, so
 * {@link #stopMember} shuts it down after Vert.x has closed.
 */
public final class ClusterSetup {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterSetup.class);

  /** Where unfinished (and retained) task records are replicated; see {@link Replicator}. */
  public static final String TASKS_MAP = "taskloop.tasks";

  private ClusterSetup() {
  }

  /**
   * The member attribute in which Vert.x looks for its node id in a Hazelcast member it did not
   * start (vertx-hazelcast's "using an existing Hazelcast cluster").
   */
  static final String VERTX_NODE_ID = "__vertx.nodeId";

  /** Starts this node's Hazelcast member and joins its cluster; blocks until it has. */
  public static HazelcastInstance startMember(com.hazelcast.config.Config hz) {
    return Hazelcast.newHazelcastInstance(hz);
  }

  /** The cluster manager over a member started by {@link #startMember}. */
  public static HazelcastClusterManager manager(HazelcastInstance member) {
    return new HazelcastClusterManager(member);
  }

  /** The host this member tells the other members to reach it at (its public address if one was set). */
  public static String memberHost(HazelcastInstance member) {
    return member.getCluster().getLocalMember().getAddress().getHost();
  }

  /**
   * Shuts a member down gracefully (its partitions move to the others first) within a bound, then
   * terminates it if it is not down yet, so a SIGTERM never waits on Hazelcast's own 10-minute bound.
   */
  public static void stopMember(HazelcastInstance member, long boundMs) {
    long started = System.nanoTime();
    Thread stop = new Thread(() -> {
      try {
        member.getLifecycleService().shutdown();
      } catch (RuntimeException e) {
        LOG.warn("cluster member did not leave gracefully: {}", e.toString());
      }
    }, "taskloop-hazelcast-stop");
    stop.setDaemon(true);
    stop.start();
    try {
      stop.join(boundMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (member.getLifecycleService().isRunning()) {
      LOG.warn("cluster member still running after {} ms: terminated", boundMs);
      member.getLifecycleService().terminate();
    } else {
      LOG.info("cluster member left in {} ms", (System.nanoTime() - started) / 1_000_000);
    }
  }

  /** The member's configuration, with the node id Vert.x will read from it. */
  public static com.hazelcast.config.Config hazelcastConfig(Config config) {
    com.hazelcast.config.Config hz = ConfigUtil.loadConfig(); // keeps Vert.x's own maps and their backups
    hz.getMemberAttributeConfig().setAttribute(VERTX_NODE_ID, UUID.randomUUID().toString());
    hz.setClusterName(config.clusterName());
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.logging.type", "slf4j");
    hz.setProperty("hazelcast.shutdownhook.enabled", "false"); // taskloop leaves on its own terms
    // A member that stops answering is declared dead after 5 s (Hazelcast's default is 60),
    // so its tasks are adopted within seconds.
    hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    hz.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
    hz.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    hz.setProperty("hazelcast.merge.next.run.delay.seconds", "5");

    NetworkConfig network = hz.getNetworkConfig();
    network.setPort(config.clusterPort()).setPortAutoIncrement(false);
    if (!isWildcard(config.clusterHost())) {
      hz.setProperty("hazelcast.socket.bind.any", "false");
      network.getInterfaces().setEnabled(true).addInterface(config.clusterHost());
    }
    if (!config.clusterPublicHost().isBlank()) {
      network.setPublicAddress(config.clusterPublicHost() + ":" + config.clusterPort());
    }
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    switch (config.clusterMode()) {
      case "tcp" -> join.getTcpIpConfig().setEnabled(true).setMembers(config.clusterMembers());
      case "kubernetes" -> join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", config.clusterServiceDns())
          .setProperty("service-port", Integer.toString(config.clusterPort()));
      default -> throw new IllegalArgumentException("cluster mode " + config.clusterMode() + " has no Hazelcast join");
    }
    // After a split heals, the record updated last wins (per-entry stats give the update time).
    // No JSON query metadata: it took about 1.4 KB per record, and the one query (by owner, on
    // adoption) reads the JSON as it is.
    hz.addMapConfig(new MapConfig(TASKS_MAP).setBackupCount(1).setPerEntryStatsEnabled(true)
        .setMetadataPolicy(MetadataPolicy.OFF)
        .setMergePolicyConfig(new MergePolicyConfig(LatestUpdateMergePolicy.class.getName(), 100)));
    // Schedules' records: the one a node updated last wins after a split (ticks already fired
    // are named by their keys, so a cursor that went back fires nothing twice).
    hz.addMapConfig(new MapConfig(ClusterSchedules.SCHEDULES_MAP).setBackupCount(1).setPerEntryStatsEnabled(true)
        .setMetadataPolicy(MetadataPolicy.OFF)
        .setMergePolicyConfig(new MergePolicyConfig(LatestUpdateMergePolicy.class.getName(), 100)));
    return hz;
  }

  /**
   * The clustered event bus listens where Hazelcast does, and tells the others the address they
   * reach this node at: {@link #advertisedHost}.
   */
  public static VertxOptions withEventBus(VertxOptions options, Config config, HazelcastInstance member) {
    return withEventBus(options, config, memberHost(member));
  }

  static VertxOptions withEventBus(VertxOptions options, Config config, String memberHost) {
    EventBusOptions bus = options.getEventBusOptions();
    bus.setHost(isWildcard(config.clusterHost()) ? "0.0.0.0" : config.clusterHost()).setPort(config.clusterBusPort());
    bus.setClusterPublicHost(advertisedHost(config, memberHost));
    if (config.clusterTls()) {
      // Mutual TLS: each node shows its certificate and accepts only peers whose certificate the
      // CA signed. Peers are reached by address, so names are not checked: the CA is the check.
      bus.setSsl(true)
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(config.clusterTlsCertFile())
              .setKeyPath(config.clusterTlsKeyFile()))
          .setTrustOptions(new PemTrustOptions().addCertPath(config.clusterTlsCaFile()))
          .setClientAuth(ClientAuth.REQUIRED);
    }
    return options;
  }

  /**
   * Completes once every partition of the cluster has its backups, or after {@code boundMs}.
   * Until then a record written to a partition that has no backup yet (right after a member
   * joins or dies, while partitions migrate) is lost if its member dies: a node is not ready
   * before this, and adoption waits for it before it reads the departed node's records.
   */
  public static Future<Void> safe(Vertx vertx, HazelcastInstance hz, long boundMs) {
    return safeBy(vertx, hz, System.currentTimeMillis() + boundMs);
  }

  private static Future<Void> safeBy(Vertx vertx, HazelcastInstance hz, long deadline) {
    return vertx.executeBlocking(() -> hz.getPartitionService().isClusterSafe()).compose(safe -> {
      if (safe || System.currentTimeMillis() > deadline) {
        return Future.succeededFuture();
      }
      Promise<Void> again = Promise.promise();
      vertx.setTimer(100, t -> safeBy(vertx, hz, deadline).onComplete(again));
      return again.future();
    });
  }

  /**
   * Where the other nodes reach this node's event bus: {@code cluster_public_host} if set (a pod
   * IP), else {@code cluster_host} if it names one address, else the address Hazelcast chose for
   * this member. Never a wildcard: a node that advertised 0.0.0.0 would have every other node's
   * connection to it refused (or sent to the sender itself), and the nodes would never form one
   * cluster.
   */
  static String advertisedHost(Config config, String memberHost) {
    if (!config.clusterPublicHost().isBlank()) {
      return config.clusterPublicHost();
    }
    if (!isWildcard(config.clusterHost())) {
      return config.clusterHost();
    }
    if (memberHost == null || isWildcard(memberHost)) {
      throw new IllegalStateException("Hazelcast chose no address for this member (" + memberHost + "): set "
          + Config.envName("cluster_public_host"));
    }
    return memberHost;
  }

  private static boolean isWildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.isBlank();
  }
}
