package io.taskloop.ui;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.external;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.Browser;
import io.taskloop.support.TestCluster;
import io.taskloop.support.TestServer;
import io.taskloop.support.Watching;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dashboard through any node of a 3-node cluster (real Hazelcast members on loopback), in a
 * real headless Chromium opened on the third node: the overview shows all three; a task of the
 * first opens, follows and cancels through the third; an event set there wakes a task waiting on
 * the first; a schedule is listed and paused through it wherever it is owned.
 */
class UiClusterTest {

  private static TestCluster cluster;
  private static Browser browser;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(3, Map.of("store", "memory"));
    browser = Browser.open(cluster.node(2).node.port());
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    cluster.stop();
  }

  @Test
  void everyPageWorksThroughAnyNode() {
    TestServer first = cluster.node(0);
    browser.go("/ui");
    for (TestServer node : cluster.nodes) {
      browser.await("#overview .node[data-node='" + node.node.id() + "']");
    }
    browser.awaitText("#node-count", "3");
    browser.screenshot("cluster-overview");

    JsonObject task = first.create(external().put("name", "on-the-first"));
    String id = task.getString("id");
    browser.go("/ui/tasks/" + id);
    browser.awaitText("#task-state", "running");
    assertTrue(browser.await("main#task").getText().contains("loop " + first.node.id() + "/"), "held by the first node");
    first.post("/v1/tasks/" + id + "/complete", new JsonObject().put("result", "ok")).expect(200);
    browser.awaitText("#task-state", "succeeded"); // followed through the third node

    String other = first.create(external()).getString("id");
    browser.go("/ui/tasks/" + other);
    browser.click("#task-cancel");
    browser.awaitText("#task-state", "cancelled");
    assertEquals("cancelled", first.task(other).getString("state"));

    String waiter = first.create(new JsonObject().put("type", "event").put("event", "cluster-go")).getString("id");
    try (Watching watching = Watching.start(cluster.vertxes.get(0), first)) {
      Future<JsonObject> poll = watching.longPoll(waiter); // a client of the first node waits on it
      watching.awaitWaiting(1);
      browser.go("/ui/events");
      browser.type("#event-name", "cluster-go");
      browser.type("#event-payload", "42");
      browser.click("#event-set");
      JsonObject woken = bounded(poll);
      assertEquals("succeeded", woken.getString("state"), woken::encode);
      assertEquals(42, woken.getInteger("result"));
    }

    first.post("/v1/schedules", new JsonObject().put("id", "everywhere").put("cron", "0 3 * * *")
        .put("task", TestServer.sleep(0, null))).expect(201);
    browser.go("/ui/schedules");
    browser.click(".schedule[data-schedule='everywhere'] button.pause");
    browser.await(".schedule[data-schedule='everywhere'][data-paused='true']");
    for (TestServer node : cluster.nodes) {
      assertEquals(true, node.get("/v1/schedules/everywhere").json().getBoolean("paused"), "paused as every node sees it");
    }
    assertTrue(browser.consoleErrors().isEmpty(), "no console errors through the third node");
  }
}
