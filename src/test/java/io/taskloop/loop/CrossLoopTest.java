package io.taskloop.loop;

import static io.taskloop.support.TestServer.external;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.taskloop.support.TestServer;
import io.taskloop.support.TestServer.Resp;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A task belongs to the loop that created it; requests that land on any other loop reach it in
 * one event-bus hop. Each request here goes on a new connection, and the node's loops take new
 * connections in turn, so {@code Taskloop-Served-By} shows which loop answered.
 */
@ExtendWith(VertxExtension.class)
class CrossLoopTest {

  private TestServer server;

  @BeforeEach
  void start(Vertx vertx) {
    server = TestServer.start(vertx);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private static int servedBy(Resp r) {
    String v = r.header("Taskloop-Served-By");
    return Integer.parseInt(v.substring(v.indexOf('/') + 1));
  }

  /**
   * Runs {@code request} against a fresh task on new connections until a loop other than the
   * task's owner answers it (bounded). A fresh task per attempt, since the request may change it.
   */
  private Resp throughAnotherLoop(java.util.function.Function<String, Resp> request) {
    for (int attempt = 0; attempt < 12; attempt++) {
      JsonObject task = server.create(external());
      Resp r = request.apply(task.getString("id"));
      if (servedBy(r) != task.getJsonObject("loop").getInteger("index")) {
        return r;
      }
    }
    throw new AssertionError("no other loop answered in 12 new connections");
  }

  @Test
  void newConnectionsAreSpreadOverEveryLoop() {
    Set<Integer> owners = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      Resp r = server.sendFresh(HttpMethod.POST, "/v1/tasks", external()).expect(201);
      int owner = r.json().getJsonObject("loop").getInteger("index");
      assertEquals(servedBy(r), owner, "a task is owned by the loop that accepted its request");
      owners.add(owner);
    }
    assertEquals(Set.of(0, 1, 2), owners);
  }

  @Test
  void aTaskIsReadAwaitedCancelledAndCompletedThroughOtherLoops() {
    Resp read = throughAnotherLoop(id -> server.sendFresh(HttpMethod.GET, "/v1/tasks/" + id, null));
    assertEquals("running", read.expect(200).json().getString("state"));

    Resp completed = throughAnotherLoop(id -> server.sendFresh(HttpMethod.POST, "/v1/tasks/" + id + "/complete",
        new JsonObject().put("result", "via another loop")));
    assertEquals("via another loop", completed.expect(200).json().getString("result"));

    Resp awaited = throughAnotherLoop(id -> {
      server.post("/v1/tasks/" + id + "/complete", new JsonObject().put("result", "awaited")).expect(200);
      return server.sendFresh(HttpMethod.GET, "/v1/tasks/" + id + "?wait=5", null);
    });
    assertEquals("awaited", awaited.expect(200).json().getString("result"));

    Resp cancelled = throughAnotherLoop(id -> server.sendFresh(HttpMethod.POST, "/v1/tasks/" + id + "/cancel", null));
    assertEquals("cancelled", cancelled.expect(200).json().getString("state"));

    Resp failed = throughAnotherLoop(id -> server.sendFresh(HttpMethod.POST, "/v1/tasks/" + id + "/fail",
        new JsonObject().put("error", new JsonObject().put("type", "Remote"))));
    assertEquals("failed", failed.expect(200).json().getString("state"));
  }

  @Test
  void compositesWatchChildrenOwnedByOtherLoops() {
    // Children created through other loops, gathered by id through yet another connection.
    String[] ids = new String[3];
    for (int i = 0; i < 3; i++) {
      ids[i] = server.sendFresh(HttpMethod.POST, "/v1/tasks", external()).expect(201).json().getString("id");
    }
    JsonObject g = server.sendFresh(HttpMethod.POST, "/v1/tasks",
        TestServer.composite("gather", ids[0], ids[1], ids[2])).expect(201).json();
    for (int i = 2; i >= 0; i--) {
      server.sendFresh(HttpMethod.POST, "/v1/tasks/" + ids[i] + "/complete", new JsonObject().put("result", i)).expect(200);
    }
    JsonObject done = server.awaitDone(g.getString("id"));
    assertEquals(new io.vertx.core.json.JsonArray().add(0).add(1).add(2), done.getJsonArray("result"));
  }

  /** Requests this node has passed from one of its loops to another, from {@code /metrics}. */
  private double loopForwards() {
    for (String line : server.get("/metrics").expect(200).raw().split("\n")) {
      if (line.startsWith("taskloop_forwards_total{") && line.contains("scope=\"loop\"")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("no taskloop_forwards_total{scope=\"loop\"} in /metrics");
  }

  @Test
  void aCompositeOverAFinishedTaskOfAnotherLoopAsksItsOwnerOnce() {
    JsonObject child = server.create(TestServer.sleep(0, "done early"));
    String childId = child.getString("id");
    assertEquals("succeeded", server.awaitDone(childId).getString("state"));
    int childLoop = child.getJsonObject("loop").getInteger("index");
    for (int attempt = 0; attempt < 12; attempt++) {
      double before = loopForwards();
      Resp created = server.sendFresh(HttpMethod.POST, "/v1/tasks", TestServer.single("wait_for", childId)).expect(201);
      double asked = loopForwards() - before;
      if (servedBy(created) != childLoop) {
        // The create's check that the child exists found it finished; the wait_for takes that
        // record instead of asking the owner again to watch it.
        assertEquals(1.0, asked, "hops to the child's loop");
        JsonObject done = server.awaitDone(created.json().getString("id"));
        assertEquals("done early", done.getString("result"));
        return;
      }
    }
    throw new AssertionError("no other loop answered in 12 new connections");
  }

  @Test
  void cancellingAGatherCancelsChildrenOnOtherLoops() {
    String[] ids = new String[3];
    for (int i = 0; i < 3; i++) {
      ids[i] = server.sendFresh(HttpMethod.POST, "/v1/tasks", external()).expect(201).json().getString("id");
    }
    JsonObject g = server.create(TestServer.composite("gather", ids[0], ids[1], ids[2]));
    server.post("/v1/tasks/" + g.getString("id") + "/cancel", null).expect(200);
    for (String id : ids) {
      assertEquals("cancelled", server.awaitDone(id).getString("state"));
    }
  }
}
