package io.taskloop.store;

import static io.taskloop.support.TestServer.config;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.taskloop.support.Postgres;
import io.taskloop.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A commit that fails answers 503 problem+json and its change does not happen; the node is not
 * ready until commits succeed again. The failure is real: the store's user loses the right to
 * write the journal's tables (as a full disk or a revoked grant would stop it), then gets it back.
 */
@ExtendWith(VertxExtension.class)
class JournalFailureTest {

  private final Postgres pg = Postgres.shared();
  private String database;
  private TestServer server;

  @BeforeEach
  void start(Vertx vertx) {
    database = pg.newDatabase();
    server = TestServer.start(vertx, config("store", "postgres", "postgres_url", pg.url(database)));
  }

  @AfterEach
  void stop() throws Exception {
    grant(true);
    server.stop();
  }

  /** Takes the store's right to write its tables away, or gives it back. */
  private void grant(boolean writes) throws Exception {
    try (Connection c = pg.superuser(database); Statement s = c.createStatement()) {
      String verb = writes ? "GRANT" : "REVOKE";
      String dir = writes ? "TO" : "FROM";
      s.execute(verb + " INSERT, UPDATE, DELETE ON tasks, idempotency_keys, events, ids " + dir + " " + Postgres.USER);
    }
  }

  @Test
  void aFailedCommitAnswers503AndItsChangeDoesNotHappen() throws Exception {
    String waiting = server.create(TestServer.external()).getString("id");
    grant(false);

    server.post("/v1/tasks", TestServer.external().put("name", "never"), Map.of("Idempotency-Key", "fails-once"))
        .problem(503, null);
    // A task that ends before its create's commit fails (a sleep 0) never was: its end is not written either.
    server.post("/v1/tasks", TestServer.sleep(0, "ran").put("name", "never"), Map.of("Prefer", "wait=5")).problem(503, null);
    server.post("/v1/tasks", TestServer.composite("gather", TestServer.sleep(0, 1), TestServer.external()).put("name", "never"))
        .problem(503, null);
    server.post("/v1/tasks/" + waiting + "/complete", new JsonObject().put("result", "lost")).problem(503, null);
    server.post("/v1/tasks/" + waiting + "/cancel", null).problem(503, null);
    server.put("/v1/events/never-set", new JsonObject().put("payload", 1)).problem(503, null);
    assertEquals(503, server.get("/health/ready").status(), "not ready while commits fail");

    assertEquals("running", server.task(waiting).getString("state"), "the refused complete did not happen");
    assertEquals(0, server.get("/v1/tasks?name=never").items().size(), "the refused create made no task");
    server.get("/v1/events/never-set").problem(404, null);

    grant(true);
    String later = server.create(TestServer.external()).getString("id"); // a commit after the failures: they are behind it
    assertEquals("running", server.task(later).getString("state"));
    try (Connection c = pg.superuser(database); Statement st = c.createStatement()) {
      var rs = st.executeQuery("SELECT count(*) FROM tasks");
      rs.next();
      assertEquals(2, rs.getInt(1), "the store holds the two tasks made by commits that held, and nothing of the refused ones");
    }
    JsonObject made = server.post("/v1/tasks", TestServer.external().put("name", "never"),
        Map.of("Idempotency-Key", "fails-once")).expect(201).json();
    assertEquals("never", made.getString("name"), "the key was not taken by the create that failed");
    assertEquals("done", server.post("/v1/tasks/" + waiting + "/complete", new JsonObject().put("result", "done"))
        .expect(200).json().getString("result"));
    TestServer.within(10, "ready again", () -> server.get("/health/ready").status() == 200);
  }
}
