package io.taskloop.auth;

import static io.taskloop.support.TestServer.within;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A key verified once is looked up, not hashed, on its thread's next request, and never outlives its file. */
class ApiKeysTest {

  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private Path write(String tenant, String... secrets) throws Exception {
    JsonArray keys = new JsonArray();
    for (int i = 0; i < secrets.length; i++) {
      keys.add(new JsonObject().put("id", "k" + i).put("hash", ApiKeys.hash(secrets[i])).put("tenant", tenant)
          .put("scopes", new JsonArray(List.of("tasks:read"))));
    }
    Path tmp = dir.resolve("keys.json.tmp");
    Files.writeString(tmp, new JsonObject().put("keys", keys).encode());
    return Files.move(tmp, dir.resolve("keys.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void aVerifiedKeyIsDroppedAndChangedWithItsFile() throws Exception {
    ApiKeys keys = ApiKeys.load(vertx, write("acme", "one-secret", "two-secret").toString());
    for (int i = 0; i < 3; i++) { // verified once, then found again on this thread
      assertEquals("acme", keys.find("one-secret").tenant());
      assertEquals("acme", keys.find("two-secret").tenant());
    }
    assertNull(keys.find("made-up"));
    assertNull(keys.find("made-up"), "a key that did not check out is hashed again, and still fails");

    write("globex-renamed", "two-secret"); // the size changes with it: the watcher sees it within its second
    within(10, "the file's new keys are read", () -> {
      Caller two = keys.find("two-secret");
      return two != null && two.tenant().equals("globex-renamed");
    });
    assertNull(keys.find("one-secret"), "a key the file dropped no longer works on the thread that verified it");
  }
}
