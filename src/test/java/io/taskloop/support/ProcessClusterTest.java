package io.taskloop.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The harness every multi-process test stands on: the ports it picks and a start that lost its port. */
class ProcessClusterTest {

  @Test
  void portsArePickedOutsideTheEphemeralRangeWhereverItLies() {
    assertArrayEquals(new int[] {10_000, 32_767}, ProcessCluster.outside(new int[] {32_768, 60_999}));
    assertArrayEquals(new int[] {40_001, 65_535}, ProcessCluster.outside(new int[] {10_500, 40_000}));
    // A range over nearly every port leaves no stretch worth keeping to: random over all of them.
    assertArrayEquals(new int[] {10_000, 65_535}, ProcessCluster.outside(new int[] {1_024, 65_000}));
  }

  @Test
  void freePortsAreDistinctAndBindable() throws IOException {
    List<Integer> ports = ProcessCluster.freePorts(40);
    assertEquals(40, new HashSet<>(ports).size(), "distinct: " + ports);
    for (int port : ports) {
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        assertEquals(port, s.getLocalPort());
      }
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aNodeWhoseHttpPortWasTakenStartsAgainOnAnother() throws IOException {
    AtomicReference<ServerSocket> squatter = new AtomicReference<>();
    AtomicInteger taken = new AtomicInteger();
    try (ProcessCluster cluster = ProcessCluster.start("port-taken", 1, Map.of("TASKLOOP_CLUSTER_MODE", "none"), c -> {
      taken.set(c.httpPort(0));
      try {
        squatter.set(new ServerSocket(taken.get(), 1, InetAddress.getLoopbackAddress()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    })) {
      assertNotEquals(taken.get(), cluster.httpPort(0), "the node was given another port");
      assertEquals(200, cluster.client(0).get("/health/ready").status());
      assertTrue(ProcessCluster.tail(cluster.log(0), 200).contains("Address already in use"),
          "the first start failed on the taken port");
    } finally {
      if (squatter.get() != null) {
        squatter.get().close();
      }
    }
  }
}
