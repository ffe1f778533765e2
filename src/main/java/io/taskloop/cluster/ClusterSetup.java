package io.taskloop.cluster;

import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.config.MetadataPolicy;
import com.hazelcast.spi.merge.LatestUpdateMergePolicy;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;
import io.taskloop.config.Config;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * Hazelcast as taskloop runs it: its own cluster name and port, multicast and phone-home off,
 * members found by a TCP list or by Kubernetes DNS through a headless service, and the task
 * record map kept with one backup.
 */
public final class ClusterSetup {

  /** Where unfinished (and retained) task records are replicated; see {@link Replicator}. */
  public static final String TASKS_MAP = "taskloop.tasks";

  private ClusterSetup() {
  }

  public static HazelcastClusterManager manager(Config config) {
    HazelcastClusterManager manager = new HazelcastClusterManager();
    com.hazelcast.config.Config hz = manager.loadConfig(); // keeps Vert.x's own maps and their backups
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
    manager.setConfig(hz);
    return manager;
  }

  /** The clustered event bus listens where Hazelcast does, and says where others reach it. */
  public static VertxOptions withEventBus(VertxOptions options, Config config) {
    EventBusOptions bus = options.getEventBusOptions();
    bus.setHost(isWildcard(config.clusterHost()) ? "0.0.0.0" : config.clusterHost()).setPort(0);
    if (!config.clusterPublicHost().isBlank()) {
      bus.setClusterPublicHost(config.clusterPublicHost());
    } else if (!isWildcard(config.clusterHost())) {
      bus.setClusterPublicHost(config.clusterHost());
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

  private static boolean isWildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.isBlank();
  }
}
