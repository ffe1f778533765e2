package io.taskloop.store;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.Node;
import io.taskloop.config.Config;
import io.taskloop.support.ManualClock;
import io.taskloop.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A data_dir is one node's: a second node on it refuses to start; once the first stopped, it may. */
class DataDirLockTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    bounded(vertx.close());
  }

  @Test
  void aSecondNodeOnTheSameDataDirRefusesToStartUntilTheFirstStopped() {
    Path dir = TestServer.freshDataDir();
    TestServer first = TestServer.start(vertx, Map.of("data_dir", dir.toString()));
    String id = first.create(sleep(0, "kept")).getString("id");
    Config config = Config.from(new JsonObject().put("http_port", 0).put("loops", 2).put("data_dir", dir.toString()), Map.of());
    Exception refused = assertThrows(Exception.class,
        () -> bounded(Node.start(vertx, config, new ManualClock(TestServer.START))));
    String why = String.valueOf(refused.getMessage()) + refused.getCause();
    assertTrue(why.contains("is in use by another taskloop node") && why.contains(dir.toAbsolutePath().toString()),
        "the refusal names the directory: " + why);
    String firstNode = first.node.id();
    first.stop();

    TestServer again = TestServer.start(vertx, Map.of("data_dir", dir.toString()));
    try {
      assertEquals(firstNode, again.node.id(), "the node's id comes back with its directory");
      assertEquals("kept", again.get("/v1/tasks/" + id).expect(200).json().getString("result"));
      
    } finally {
      again.stop();
    }
  }
}
