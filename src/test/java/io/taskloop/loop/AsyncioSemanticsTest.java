package io.taskloop.loop;

import static io.taskloop.support.TestServer.composite;
import static io.taskloop.support.TestServer.event;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.single;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** asyncio's semantics, each shown over HTTP against a real node with a settable clock. */
@ExtendWith(VertxExtension.class)
class AsyncioSemanticsTest {

  private TestServer server;

  @BeforeEach
  void start(Vertx vertx) {
    server = TestServer.start(vertx);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private String id(JsonObject task) {
    return task.getString("id");
  }

  private String state(String id) {
    return server.task(id).getString("state");
  }

  @Test
  void sleepReturnsItsResult() {
    JsonObject t = server.create(sleep(1_000, new JsonObject().put("answer", 42)));
    assertEquals("running", t.getString("state"));
    server.advance(999);
    assertEquals("running", state(id(t)));
    server.advance(1);
    JsonObject done = server.awaitDone(id(t));
    assertEquals("succeeded", done.getString("state"));
    assertEquals(new JsonObject().put("answer", 42), done.getJsonObject("result"));
  }

  @Test
  void gatherKeepsInputOrder() {
    // The children finish in the reverse of their input order; the results keep input order.
    JsonObject g = server.create(composite("gather", sleep(300, "a"), sleep(200, "b"), sleep(100, "c")));
    server.advance(100);
    server.advance(100);
    server.advance(100);
    JsonObject done = server.awaitDone(id(g));
    assertEquals("succeeded", done.getString("state"));
    assertEquals(new JsonArray().add("a").add("b").add("c"), done.getJsonArray("result"));
  }

  @Test
  void gatherOfNothingIsAnEmptyListAtOnce() {
    JsonObject g = server.post("/v1/gather", composite("gather")).expect(200).json();
    assertEquals("succeeded", g.getString("state"));
    assertEquals(new JsonArray(), g.getJsonArray("result"));
  }

  @Test
  void gatherWithoutReturnExceptionsFailsWithFirstErrorWhileOthersKeepRunning() {
    JsonObject g = server.create(composite("gather", external(), external(), sleep(1_000, "late")));
    List<Object> children = g.getJsonArray("children").getList();
    server.post("/v1/tasks/" + children.get(1) + "/fail",
        new JsonObject().put("error", new JsonObject().put("type", "ValueError").put("message", "bad"))).expect(200);
    JsonObject done = server.awaitDone(id(g));
    assertEquals("failed", done.getString("state"));
    assertEquals("ValueError", done.getJsonObject("error").getString("type"));
    assertEquals("running", state((String) children.get(0)));
    assertEquals("running", state((String) children.get(2)));
    server.advance(1_000);
    assertEquals("succeeded", server.awaitDone((String) children.get(2)).getString("state"));
  }

  @Test
  void gatherWithReturnExceptionsPutsErrorsInPlace() {
    JsonObject spec = composite("gather", sleep(0, "ok"), external(), sleep(0, new JsonObject().put("type", "x")))
        .put("return_exceptions", true);
    JsonObject g = server.create(spec);
    String failing = g.getJsonArray("children").getString(1);
    server.post("/v1/tasks/" + failing + "/fail",
        new JsonObject().put("error", new JsonObject().put("type", "KeyError").put("message", "k"))).expect(200);
    JsonObject done = server.awaitDone(id(g));
    assertEquals("succeeded", done.getString("state"));
    JsonArray result = done.getJsonArray("result");
    assertEquals("ok", result.getValue(0));
    assertEquals("KeyError", result.getJsonObject(1).getString("type"));
    assertEquals(new JsonObject().put("type", "x"), result.getJsonObject(2), "a result shaped like an error stays a result");
    assertEquals(new JsonArray().add(1), done.getJsonArray("error_slots"));
  }

  @Test
  void gatherWhoseChildIsCancelledEndsCancelled() {
    JsonObject g = server.create(composite("gather", external(), external()));
    server.post("/v1/tasks/" + g.getJsonArray("children").getString(0) + "/cancel", null).expect(200);
    assertEquals("cancelled", server.awaitDone(id(g)).getString("state"));
    assertEquals("running", state(g.getJsonArray("children").getString(1)));
  }

  @Test
  void cancellingGatherCancelsItsUnfinishedChildren() {
    JsonObject g = server.create(composite("gather", sleep(0, 1), external(), sleep(5_000, 3)));
    JsonArray children = g.getJsonArray("children");
    server.awaitDone(children.getString(0));
    JsonObject cancelled = server.post("/v1/tasks/" + id(g) + "/cancel", null).expect(200).json();
    assertEquals("cancelled", cancelled.getString("state"));
    assertEquals("succeeded", state(children.getString(0)), "a finished child stays as it was");
    assertEquals("cancelled", server.awaitDone(children.getString(1)).getString("state"));
    assertEquals("cancelled", server.awaitDone(children.getString(2)).getString("state"));
  }

  @Test
  void waitFirstCompletedReturnsThePartition() {
    JsonObject w = server.create(composite("wait", sleep(100, 1), external(), sleep(500, 3))
        .put("return_when", "FIRST_COMPLETED"));
    JsonArray c = w.getJsonArray("children");
    server.advance(100);
    JsonObject done = server.awaitDone(id(w));
    assertEquals("succeeded", done.getString("state"));
    assertEquals(new JsonArray().add(c.getString(0)), done.getJsonObject("result").getJsonArray("done"));
    assertEquals(new JsonArray().add(c.getString(1)).add(c.getString(2)), done.getJsonObject("result").getJsonArray("pending"));
    assertEquals("running", state(c.getString(1)), "wait never cancels");
  }

  @Test
  void waitFirstExceptionReturnsOnTheFirstError() {
    JsonObject w = server.create(composite("wait", sleep(0, 1), external(), external())
        .put("return_when", "FIRST_EXCEPTION"));
    JsonArray c = w.getJsonArray("children");
    server.awaitDone(c.getString(0));
    assertEquals("running", state(id(w)), "a success does not end FIRST_EXCEPTION");
    server.post("/v1/tasks/" + c.getString(2) + "/fail",
        new JsonObject().put("error", new JsonObject().put("type", "OSError"))).expect(200);
    JsonObject done = server.awaitDone(id(w));
    assertEquals(new JsonArray().add(c.getString(0)).add(c.getString(2)), done.getJsonObject("result").getJsonArray("done"));
    assertEquals(new JsonArray().add(c.getString(1)), done.getJsonObject("result").getJsonArray("pending"));
  }

  @Test
  void waitFirstExceptionWithoutErrorsWaitsForAll() {
    JsonObject w = server.create(composite("wait", sleep(100, 1), sleep(200, 2)).put("return_when", "FIRST_EXCEPTION"));
    server.advance(100);
    assertEquals("running", state(id(w)));
    server.advance(100);
    JsonObject done = server.awaitDone(id(w));
    assertEquals(2, done.getJsonObject("result").getJsonArray("done").size());
  }

  @Test
  void waitAllCompletedReturnsWhenEveryChildIsDone() {
    JsonObject w = server.create(composite("wait", sleep(100, 1), external()));
    JsonArray c = w.getJsonArray("children");
    server.advance(100);
    server.awaitDone(c.getString(0));
    assertEquals("running", state(id(w)));
    server.post("/v1/tasks/" + c.getString(1) + "/complete", new JsonObject().put("result", 2)).expect(200);
    JsonObject done = server.awaitDone(id(w));
    assertEquals(new JsonArray().add(c.getString(0)).add(c.getString(1)), done.getJsonObject("result").getJsonArray("done"));
    assertEquals(new JsonArray(), done.getJsonObject("result").getJsonArray("pending"));
  }

  @Test
  void waitTimeoutReturnsThePartitionAndCancelsNothing() {
    JsonObject w = server.create(composite("wait", sleep(100, 1), external(), sleep(10_000, 3)).put("timeout_ms", 500));
    JsonArray c = w.getJsonArray("children");
    server.advance(100);
    server.advance(400);
    JsonObject done = server.awaitDone(id(w));
    assertEquals("succeeded", done.getString("state"), "wait's timeout is not an error");
    assertEquals(new JsonArray().add(c.getString(0)), done.getJsonObject("result").getJsonArray("done"));
    assertEquals(new JsonArray().add(c.getString(1)).add(c.getString(2)), done.getJsonObject("result").getJsonArray("pending"));
    assertEquals("running", state(c.getString(1)));
    assertEquals("running", state(c.getString(2)));
  }

  @Test
  void waitForTimeoutCancelsTheChildAndEndsTimedOut() {
    JsonObject wf = server.create(single("wait_for", external()).put("timeout_ms", 1_000));
    String child = wf.getJsonArray("children").getString(0);
    server.advance(999);
    assertEquals("running", state(id(wf)));
    server.advance(1);
    JsonObject done = server.awaitDone(id(wf));
    assertEquals("timed_out", done.getString("state"));
    assertEquals("TimeoutError", done.getJsonObject("error").getString("type"));
    assertEquals("cancelled", server.awaitDone(child).getString("state"));
  }

  @Test
  void waitForReturnsTheChildResultInTime() {
    JsonObject wf = server.create(single("wait_for", sleep(100, "fast")).put("timeout_ms", 1_000));
    server.advance(100);
    JsonObject done = server.awaitDone(id(wf));
    assertEquals("succeeded", done.getString("state"));
    assertEquals("fast", done.getString("result"));
  }

  @Test
  void cancellingShieldLeavesItsChildRunning() {
    JsonObject s = server.create(single("shield", sleep(1_000, "kept")));
    String child = s.getJsonArray("children").getString(0);
    assertEquals("cancelled", server.post("/v1/tasks/" + id(s) + "/cancel", null).expect(200).json().getString("state"));
    assertEquals("running", state(child));
    server.advance(1_000);
    assertEquals("kept", server.awaitDone(child).getString("result"));
  }

  @Test
  void shieldPassesOnItsChildResult() {
    JsonObject s = server.create(single("shield", sleep(10, "through")));
    server.advance(10);
    assertEquals("through", server.awaitDone(id(s)).getString("result"));
  }

  @Test
  void timeoutOnAnyTaskCancelsItAndEndsTimedOut() {
    JsonObject e = server.create(external().put("timeout_ms", 200));
    JsonObject g = server.create(composite("gather", external(), sleep(5_000, 1)).put("timeout_ms", 300));
    server.advance(200);
    assertEquals("timed_out", server.awaitDone(id(e)).getString("state"));
    assertEquals("running", state(id(g)));
    server.advance(100);
    assertEquals("timed_out", server.awaitDone(id(g)).getString("state"));
    for (Object child : g.getJsonArray("children")) {
      assertEquals("cancelled", server.awaitDone((String) child).getString("state"), "gather passes its timeout on");
    }
  }

  @Test
  void eventSetBeforeAnyWaiterIsSeenByALateWaiter() {
    server.put("/v1/events/ready-1", new JsonObject().put("payload", new JsonObject().put("v", 1))).expect(200);
    JsonObject t = server.create(event("ready-1"));
    JsonObject done = server.awaitDone(id(t));
    assertEquals("succeeded", done.getString("state"));
    assertEquals(new JsonObject().put("v", 1), done.getJsonObject("result"));
  }

  @Test
  void eventWakesEveryWaiter() {
    JsonObject a = server.create(event("go"));
    JsonObject b = server.create(event("go"));
    assertEquals("running", state(id(a)));
    assertEquals(2, server.get("/v1/events/go").expect(200).json().getInteger("waiters"));
    server.put("/v1/events/go", new JsonObject().put("payload", "now")).expect(200);
    assertEquals("now", server.awaitDone(id(a)).getString("result"));
    assertEquals("now", server.awaitDone(id(b)).getString("result"));
  }

  @Test
  void clearingAnEventMakesNewWaitersWait() {
    server.put("/v1/events/flag", null).expect(200);
    server.delete("/v1/events/flag").expect(204);
    JsonObject t = server.create(event("flag"));
    assertEquals("running", state(id(t)));
    JsonObject polled = server.get("/v1/events/flag?wait=0.2").expect(200).json();
    assertFalse(polled.getBoolean("set"), "a wait that passes answers the event as it stands");
    server.put("/v1/events/flag", new JsonObject().put("payload", 7)).expect(200);
    assertEquals(7, server.awaitDone(id(t)).getInteger("result"));
  }

  @Test
  void aFinishedTaskNeverChangesAgain() {
    JsonObject t = server.create(external());
    JsonObject done = server.post("/v1/tasks/" + id(t) + "/complete", new JsonObject().put("result", "first")).expect(200).json();
    server.post("/v1/tasks/" + id(t) + "/complete", new JsonObject().put("result", "second")).problem(409, null);
    server.post("/v1/tasks/" + id(t) + "/fail", new JsonObject().put("error", new JsonObject().put("type", "E"))).problem(409, null);
    server.post("/v1/tasks/" + id(t) + "/cancel", null).problem(409, null);
    server.advance(10_000);
    assertEquals(done, server.task(id(t)));
  }

  @Test
  void childrenGivenByIdKeepTheirOwnParent() {
    JsonObject shared = server.create(external());
    JsonObject g1 = server.create(composite("gather", id(shared)));
    JsonObject g2 = server.create(composite("gather", id(shared), sleep(0, "x")));
    server.post("/v1/tasks/" + id(shared) + "/complete", new JsonObject().put("result", "s")).expect(200);
    assertEquals(new JsonArray().add("s"), server.awaitDone(id(g1)).getJsonArray("result"));
    assertEquals(new JsonArray().add("s").add("x"), server.awaitDone(id(g2)).getJsonArray("result"));
    assertNull(server.task(id(shared)).getValue("parent"));
  }

  @Test
  void compositesNestInline() {
    JsonObject spec = composite("gather",
        single("wait_for", composite("gather", sleep(10, 1), sleep(20, 2))).put("timeout_ms", 1_000),
        single("shield", sleep(30, 3)));
    JsonObject g = server.create(spec);
    server.advance(10);
    server.advance(10);
    server.advance(10);
    JsonObject done = server.awaitDone(id(g));
    assertEquals(new JsonArray().add(new JsonArray().add(1).add(2)).add(3), done.getJsonArray("result"));
    JsonObject waitFor = server.task(done.getJsonArray("children").getString(0));
    assertEquals(id(g), waitFor.getString("parent"));
  }

  /**
   * The two-phase commit of the original notes: a coordinator waits for prepare with a timeout,
   * then for whichever of commit or rollback comes first, while producers set the events.
   */
  @Test
  void twoPhaseCommitRunsEndToEnd() {
    JsonObject prepare = server.create(single("wait_for", event("prepare-42")).put("timeout_ms", 5_000));
    server.put("/v1/events/prepare-42", new JsonObject().put("payload", new JsonObject().put("votes", 3))).expect(200);
    JsonObject prepared = server.awaitDone(id(prepare));
    assertEquals("succeeded", prepared.getString("state"));
    assertEquals(3, prepared.getJsonObject("result").getInteger("votes"));

    JsonObject decision = server.post("/v1/wait?wait=0",
        composite("wait", event("commit-42"), event("rollback-42")).put("return_when", "FIRST_COMPLETED")).expect(202).json();
    assertTrue(server.get("/v1/tasks/" + id(decision)).expect(200).json().getString("state").equals("running"));
    server.put("/v1/events/commit-42", new JsonObject().put("payload", "go")).expect(200);
    JsonObject decided = server.awaitDone(id(decision));
    JsonArray done = decided.getJsonObject("result").getJsonArray("done");
    assertEquals(1, done.size());
    JsonObject commit = server.task(done.getString(0));
    assertEquals("commit-42", commit.getJsonObject("spec").getString("event"));
    assertEquals("go", commit.getString("result"));
    String rollback = decided.getJsonObject("result").getJsonArray("pending").getString(0);
    assertEquals("running", state(rollback), "the losing branch keeps waiting, as asyncio.wait leaves it");
  }

  @Test
  void twoPhaseCommitPrepareTimesOutWhenNoVoteComes() {
    JsonObject prepare = server.create(single("wait_for", event("prepare-43")).put("timeout_ms", 5_000));
    server.advance(5_000);
    assertEquals("timed_out", server.awaitDone(id(prepare)).getString("state"));
    // The cancelled event task stops waiting (a message to the event's loop), and an unset
    // event nobody waits on is forgotten.
    TestServer.eventually("the event is forgotten", () -> server.get("/v1/events/prepare-43").status() == 404);
  }
}
