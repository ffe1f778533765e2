package io.taskloop.ui;

import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.external;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.auth.ApiKeys;
import io.taskloop.support.Browser;
import io.taskloop.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;

/**
 * The dashboard on a node with auth on, in a real headless Chromium: it asks for a key, keeps it
 * in the tab's sessionStorage, sends it as Bearer (the live stream too), and shows only the
 * key's tenant's things; an admin key sees the cluster and every tenant.
 */
@ExtendWith(VertxExtension.class)
class UiAuthTest {

  private TestServer server;
  private Browser browser;

  private static JsonObject key(String id, String secret, String tenant, String... scopes) {
    return new JsonObject().put("id", id).put("hash", ApiKeys.hash(secret)).put("tenant", tenant)
        .put("scopes", new JsonArray(List.of((Object[]) scopes)));
  }

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    Path dir = TestServer.freshDataDir();
    Files.writeString(dir.resolve("keys.json"), new JsonObject().put("keys", new JsonArray()
        .add(key("acme-ui", "acme-secret", "acme", "tasks:read", "tasks:write", "events:write", "schedules:write"))
        .add(key("globex-ui", "globex-secret", "globex", "tasks:read", "tasks:write"))
        .add(key("ops", "ops-secret", "ops", "admin"))).encode());
    server = TestServer.start(vertx, config("store", "memory", "auth", "keys",
        "auth_keys_file", dir.resolve("keys.json").toString()));
    browser = Browser.open(server.node.port());
  }

  @AfterEach
  void stop() {
    browser.close();
    server.stop();
  }

  private JsonObject create(String secret, JsonObject spec) {
    return server.send(HttpMethod.POST, "/v1/tasks", spec, Map.of("Authorization", "Bearer " + secret))
        .expect(201).json();
  }

  private boolean shown(String taskId) {
    return !browser.driver.findElements(By.cssSelector("tr[data-task-id='" + taskId + "']")).isEmpty();
  }

  @Test
  void theDashboardAsksForAKeyAndShowsOnlyThatTenantsThings() {
    String acme = create("acme-secret", external().put("name", "acme-job")).getString("id");
    String globex = create("globex-secret", external().put("name", "globex-job")).getString("id");

    browser.go("/ui");
    browser.await("#key-form");
    browser.type("#key", "wrong-secret");
    browser.click("#key-form button[type=submit]");
    browser.awaitText("#key-form p", "That key was refused; give another.");

    browser.type("#key", "acme-secret");
    browser.click("#key-form button[type=submit]");
    browser.awaitText("#who span", "tenant acme · key acme-ui");
    assertEquals("acme-secret", browser.script("return sessionStorage.getItem('taskloop.key')"));
    assertNull(browser.script("return localStorage.getItem('taskloop.key')"), "the key stays with the tab");
    browser.await("#recent tr[data-task-id='" + acme + "']");
    assertTrue(browser.driver.findElements(By.cssSelector("#overview .node")).isEmpty(), "no cluster view without admin");
    assertTrue(browser.await("#overview").getText().contains("needs the admin scope"));
    assertTrue(!shown(globex), "another tenant's task is not shown");
    browser.screenshot("auth-tenant");

    // The live list, read with the key: acme's new task comes in, globex's does not.
    browser.go("/ui/tasks");
    browser.await("#live.on");
    String fresh = create("acme-secret", external()).getString("id");
    String hidden = create("globex-secret", external()).getString("id");
    browser.await("#task-list tr[data-task-id='" + fresh + "']", 2);
    assertTrue(!shown(hidden) && !shown(globex), "only acme's tasks are listed");
    browser.click("#task-list tr[data-task-id='" + fresh + "'] button.cancel");
    browser.await("#task-list tr[data-task-id='" + fresh + "'][data-state='cancelled']");
    assertTrue(browser.consoleErrors().stream().allMatch(e -> e.contains("401")),
        "the only errors are the refused key's 401s");
  }

  @Test
  void anAdminKeySeesTheClusterAndEveryTenant() {
    String acme = create("acme-secret", external()).getString("id");
    String globex = create("globex-secret", external()).getString("id");
    browser.go("/ui/tasks");
    browser.type("#key", "ops-secret");
    browser.click("#key-form button[type=submit]");
    browser.await("#task-list tr[data-task-id='" + acme + "']");
    browser.await("#task-list tr[data-task-id='" + globex + "']");
    browser.go("/ui");
    browser.await("#overview .node[data-node='" + server.node.id() + "']");
    browser.await("#who .tag");
    browser.click("#who button.link"); // forget the key
    browser.await("#key-form");
    assertNull(browser.script("return sessionStorage.getItem('taskloop.key')"));
  }
}
