package io.taskloop.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.ProcessCluster;
import io.taskloop.support.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A clustered Vert.x program that is not taskloop ({@link PlainProducer}, a JVM of its own with
 * its own Hazelcast cluster manager) joins a cluster of two taskloop nodes and drives tasks
 * through the event-bus API alone; what it did is then seen over HTTP on the taskloop nodes.
 */
class PlainVertxProgramTest {

  private static final Logger LOG = LoggerFactory.getLogger(PlainVertxProgramTest.class);
  /** The producer starts a JVM, joins the cluster and makes six requests: generous for a slow runner. */
  private static final long PRODUCER_BOUND_S = 90;

  private ProcessCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aPlainClusteredVertxProgramCreatesCompletesAndSetsEventsOverTheEventBus() throws Exception {
    long started = System.nanoTime();
    cluster = ProcessCluster.start("plain-vertx", 2);
    String eventName = "plain-" + cluster.clusterName.substring(cluster.clusterName.length() - 8);
    int port = ProcessCluster.freePorts(1).get(0);
    Process producer = cluster.launch("producer", PlainProducer.class.getName(), Map.of(),
        List.of(cluster.clusterName, Integer.toString(port), String.join(",", cluster.members()), eventName));
    boolean exited = producer.waitFor(PRODUCER_BOUND_S, TimeUnit.SECONDS);
    String output = Files.readString(cluster.dir.resolve("producer.log"));
    assertTrue(exited, () -> "the producer did not finish within " + PRODUCER_BOUND_S + " s:\n" + output);
    assertEquals(0, producer.exitValue(), () -> "the producer failed:\n" + output);
    String line = output.lines().filter(l -> l.startsWith("RESULT ")).findFirst()
        .orElseThrow(() -> new AssertionError("no RESULT line from the producer:\n" + output));
    JsonObject result = new JsonObject(line.substring("RESULT ".length()));

    JsonObject created = result.getJsonObject("external_created");
    assertEquals("external", created.getString("type"));
    assertEquals("running", created.getString("state"));
    assertEquals("charge-42", created.getString("name"));
    assertEquals("true", result.getString("created_header"));
    JsonObject completed = result.getJsonObject("external_completed");
    assertEquals("succeeded", completed.getString("state"));
    assertEquals(new JsonObject().put("charged", true), completed.getJsonObject("result"));
    assertEquals(completed.getValue("result"), result.getJsonObject("external_read").getValue("result"));
    JsonObject waiting = result.getJsonObject("event_task_created");
    assertEquals("event", waiting.getString("type"));
    assertEquals("running", waiting.getString("state"));
    assertEquals(eventName, result.getJsonObject("event_set").getString("name"));
    JsonObject woken = result.getJsonObject("event_task_read");
    assertEquals("succeeded", woken.getString("state"), woken::encode);
    assertEquals("go", woken.getValue("result"));

    // What the producer did is there over HTTP, on either taskloop node, owned by one of them.
    Set<String> taskloopNodes = Set.of(cluster.nodeId(0), cluster.nodeId(1));
    for (int i = 0; i < 2; i++) {
      TestServer node = cluster.client(i);
      JsonObject ext = node.task(created.getString("id"));
      assertEquals("succeeded", ext.getString("state"));
      assertEquals(new JsonObject().put("charged", true), ext.getJsonObject("result"));
      assertTrue(taskloopNodes.contains(ext.getJsonObject("loop").getString("node")), ext::encode);
      JsonObject ev = node.task(waiting.getString("id"));
      assertEquals("succeeded", ev.getString("state"));
      assertEquals("go", ev.getValue("result"));
      JsonObject event = node.get("/v1/events/" + eventName).expect(200).json();
      assertNotNull(event.getValue("payload"), event::encode);
    }
    // The producer has left; the taskloop nodes still serve and list only themselves.
    JsonObject view = cluster.client(0).get("/v1/cluster").expect(200).json();
    assertEquals(taskloopNodes, view.getJsonArray("nodes").stream()
        .map(n -> ((JsonObject) n).getString("id")).collect(Collectors.toSet()));
    LOG.info("plain Vert.x program test took {} ms", (System.nanoTime() - started) / 1_000_000);
  }
}
