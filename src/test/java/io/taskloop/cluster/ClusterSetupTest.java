package io.taskloop.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import io.taskloop.config.Config;
import io.taskloop.support.ProcessCluster;
import io.taskloop.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Where a node's event bus listens and what address it tells the other nodes. The wildcard case
 * is checked here as a choice of address; that nodes bound to 0.0.0.0 in containers really form
 * one cluster with it is .ci/containers.sh's to show (nothing in this suite binds a wildcard).
 */
class ClusterSetupTest {

  private static Config config(Map<String, String> env) {
    JsonObject file = new JsonObject().put("cluster_mode", "kubernetes").put("cluster_service_dns", "taskloop-hazelcast");
    return Config.from(file, env);
  }

  @Test
  void aWildcardHostWithNoPublicHostAdvertisesTheMemberAddress() {
    for (String wildcard : new String[] {"0.0.0.0", "::"}) {
      Config c = config(Map.of("TASKLOOP_CLUSTER_HOST", wildcard));
      assertEquals("10.89.0.7", ClusterSetup.advertisedHost(c, "10.89.0.7"), wildcard);
      EventBusOptions bus = ClusterSetup.withEventBus(new VertxOptions(), c, "10.89.0.7").getEventBusOptions();
      assertEquals("0.0.0.0", bus.getHost(), "the event bus still listens on every interface");
      assertEquals("10.89.0.7", bus.getClusterPublicHost(), "and tells the others the member's address");
    }
  }

  @Test
  void aPublicHostWinsAsKubernetesSetsIt() {
    Config c = config(Map.of("TASKLOOP_CLUSTER_HOST", "0.0.0.0", "TASKLOOP_CLUSTER_PUBLIC_HOST", "10.1.2.3"));
    assertEquals("10.1.2.3", ClusterSetup.advertisedHost(c, "10.89.0.7"));
    EventBusOptions bus = ClusterSetup.withEventBus(new VertxOptions(), c, "10.89.0.7").getEventBusOptions();
    assertEquals("0.0.0.0", bus.getHost());
    assertEquals("10.1.2.3", bus.getClusterPublicHost());
  }

  @Test
  void oneNamedHostIsBothTheBindAndTheAdvertisedAddress() {
    Config c = config(Map.of("TASKLOOP_CLUSTER_HOST", "192.0.2.10"));
    EventBusOptions bus = ClusterSetup.withEventBus(new VertxOptions(), c, "192.0.2.10").getEventBusOptions();
    assertEquals("192.0.2.10", bus.getHost());
    assertEquals("192.0.2.10", bus.getClusterPublicHost());
  }

  @Test
  void aWildcardIsNeverAdvertised() {
    Config c = config(Map.of("TASKLOOP_CLUSTER_HOST", "0.0.0.0"));
    var e = assertThrows(IllegalStateException.class, () -> ClusterSetup.advertisedHost(c, "0.0.0.0"));
    assertTrue(e.getMessage().contains("TASKLOOP_CLUSTER_PUBLIC_HOST"), e.getMessage());
  }

  /** The path Main takes: the member first, Vert.x over it, the event bus published at the member's address. */
  @Test
  void aNodePublishesItsEventBusAtItsMembersAddressAndStopsItsMember() {
    int port = ProcessCluster.freePorts(1).get(0);
    Config c = Config.from(new JsonObject().put("cluster_mode", "tcp").put("cluster_port", port)
        .put("cluster_members", new JsonArray().add("127.0.0.1:" + port))
        .put("cluster_name", "taskloop-setup-" + UUID.randomUUID().toString().substring(0, 8)), Map.of());
    com.hazelcast.config.Config hz = ClusterSetup.hazelcastConfig(c);
    hz.setProperty("hazelcast.wait.seconds.before.join", "0");
    HazelcastInstance member = ClusterSetup.startMember(hz);
    try {
      HazelcastClusterManager manager = ClusterSetup.manager(member);
      Vertx vertx = TestServer.bounded(Vertx.builder().with(ClusterSetup.withEventBus(new VertxOptions(), c, member))
          .withClusterManager(manager).buildClustered(), 60);
      assertEquals(ClusterSetup.memberHost(member), manager.getNodeInfo().host());
      assertEquals("127.0.0.1", manager.getNodeInfo().host());
      assertEquals(member.getCluster().getLocalMember().getAttribute(ClusterSetup.VERTX_NODE_ID), manager.getNodeId(),
          "Vert.x finds its node id in the member it was given");
      TestServer.bounded(vertx.close(), 30);
      assertTrue(member.getLifecycleService().isRunning(), "Vert.x leaves alone a member it did not start");
    } finally {
      ClusterSetup.stopMember(member, 10_000);
    }
    assertFalse(member.getLifecycleService().isRunning());
  }
}
