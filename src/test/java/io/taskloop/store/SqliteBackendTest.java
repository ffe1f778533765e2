package io.taskloop.store;

import static io.taskloop.support.TestServer.bounded;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract on a SQLite file in a fresh directory. */
class SqliteBackendTest extends BackendContractTest {

  @TempDir
  Path dataDir;

  @Override
  protected Future<? extends Backend> open(Vertx vertx) throws Exception {
    return Future.succeededFuture(SqliteBackend.open(dataDir));
  }

  @Test
  void aFileHasNoOrphans() {
    commit(born("n2", 0, 1, external()));
    assertEquals(List.of(), bounded(store.orphans(List.of("n1"))), "one node owns a SQLite file");
  }
}
