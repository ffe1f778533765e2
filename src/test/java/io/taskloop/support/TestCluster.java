package io.taskloop.support;

import io.taskloop.Node;
import io.taskloop.cluster.ClusterSetup;
import io.taskloop.config.Config;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Real Hazelcast members in this JVM, each with its own Vert.x, on 127.0.0.1 with a cluster
 * name and ports of their own, joined by a TCP member list; they share one settable clock.
 */
public final class TestCluster {

  public final List<Vertx> vertxes = new ArrayList<>();
  public final List<TestServer> nodes = new ArrayList<>();
  public final List<HazelcastClusterManager> managers = new ArrayList<>();
  public final ManualClock clock = new ManualClock(TestServer.START);
  public final String name = "taskloop-test-" + UUID.randomUUID().toString().substring(0, 8);

  /**
   * Starts {@code size} members. The ports are picked free first and bound a moment later; if
   * another socket took one meanwhile (an ephemeral port of some connection), the members
   * started are stopped and the cluster starts again on other ports, at most three times.
   */
  public static TestCluster start(int size, Map<String, Object> overrides) {
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce(size, overrides);
      } catch (com.hazelcast.core.HazelcastException e) {
        if (attempt == 3 || !String.valueOf(e.getMessage()).contains("already in use")) {
          throw e;
        }
      }
    }
  }

  private static TestCluster startOnce(int size, Map<String, Object> overrides) {
    TestCluster cluster = new TestCluster();
    List<Integer> ports = ProcessCluster.freePorts(size);
    JsonArray members = new JsonArray();
    ports.forEach(p -> members.add("127.0.0.1:" + p));
    List<HazelcastClusterManager> managers = new ArrayList<>();
    List<Config> configs = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      JsonObject file = new JsonObject().put("http_port", 0).put("loops", 2).put("cluster_mode", "tcp")
          .put("cluster_members", members).put("cluster_port", ports.get(i)).put("cluster_name", cluster.name)
          .put("cluster_host", "127.0.0.1").put("data_dir", TestServer.freshDataDir().toString());
      overrides.forEach(file::put);
      Config config = Config.from(file, Map.of());
      configs.add(config);
      com.hazelcast.config.Config hz = ClusterSetup.hazelcastConfig(config);
      // Members start one after the other, each joining the first, so none waits before joining.
      hz.setProperty("hazelcast.wait.seconds.before.join", "0");
      try {
        managers.add(ClusterSetup.manager(ClusterSetup.startMember(hz)));
      } catch (RuntimeException e) {
        managers.forEach(m -> m.getHazelcastInstance().getLifecycleService().terminate());
        throw e;
      }
    }
    for (int i = 0; i < size; i++) {
      Vertx vertx = TestServer.bounded(Vertx.builder()
          .with(ClusterSetup.withEventBus(new VertxOptions().setEventLoopPoolSize(4), configs.get(i),
              managers.get(i).getHazelcastInstance()))
          .withClusterManager(managers.get(i)).buildClustered(), 60);
      cluster.vertxes.add(vertx);
      Node node = TestServer.bounded(Node.start(vertx, configs.get(i), cluster.clock,
          managers.get(i).getHazelcastInstance()));
      cluster.managers.add(managers.get(i));
      cluster.nodes.add(TestServer.of(vertx, node, cluster.clock));
    }
    return cluster;
  }

  public TestServer node(int i) {
    return nodes.get(i);
  }

  /** Moves the shared clock and lets every loop of every node run what became due. */
  public void advance(long ms) {
    clock.advance(ms);
    for (int i = 0; i < nodes.size(); i++) {
      if (!crashed.contains(i)) {
        TestServer.bounded(nodes.get(i).node.tick());
      }
    }
  }

  /** Kills member {@code i} as a crash would: its Hazelcast member stops without a word. */
  public void crash(int i) {
    managers.get(i).getHazelcastInstance().getLifecycleService().terminate();
    nodes.get(i).closeClients();
    vertxes.get(i).close();
    crashed.add(i);
  }

  private final java.util.Set<Integer> crashed = new java.util.HashSet<>();

  public void stop() {
    for (int i = 0; i < nodes.size(); i++) {
      if (!crashed.contains(i)) {
        nodes.get(i).closeClients();
      }
    }
    for (int i = 0; i < vertxes.size(); i++) {
      if (!crashed.contains(i)) {
        TestServer.bounded(vertxes.get(i).close(), 60);
        ClusterSetup.stopMember(managers.get(i).getHazelcastInstance(), 30_000); // as Main does after Vert.x
      }
    }
  }
}
