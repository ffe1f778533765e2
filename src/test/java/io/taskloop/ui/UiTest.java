package io.taskloop.ui;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.composite;
import static io.taskloop.support.TestServer.config;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.sleep;
import static io.taskloop.support.TestServer.within;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.Browser;
import io.taskloop.support.TestServer;
import io.taskloop.support.Watching;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The dashboard in a real headless Chromium against a node on loopback: every page loads with
 * no console errors; what the API does shows up live (a created task in the list within 2 s,
 * its end without a reload); what the page does goes through the API (a cancel, a complete, an
 * event set that wakes a long-polled task, a schedule paused so that it stops firing).
 */
@ExtendWith(VertxExtension.class)
class UiTest {

  private static Browser browser;
  private Vertx vertx;
  private TestServer server;
  private Watching watching;

  @BeforeAll
  static void openBrowser() {
    browser = Browser.open(0);
  }

  @AfterAll
  static void closeBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    server = TestServer.start(vertx, config("store", "memory", "retention_ms", 3_600_000));
    watching = Watching.start(vertx, server);
  }

  @AfterEach
  void stop() {
    browser.leave();
    watching.close();
    server.stop();
  }

  private Browser page(String path) {
    browser.driver.get("http://127.0.0.1:" + server.node.port() + path);
    return browser;
  }

  private void noConsoleErrors(String where) {
    List<String> errors = browser.consoleErrors();
    assertTrue(errors.isEmpty(), where + " wrote errors to the console: " + errors);
  }

  @Test
  void everyPageLoadsWithNoConsoleErrors() {
    JsonObject gather = server.create(composite("gather", sleep(3_600_000, null), sleep(0, "done")));
    server.post("/v1/tasks", external().put("name", "approve").put("labels", new JsonObject().put("team", "billing")))
        .expect(201);
    server.put("/v1/events/deploy", new JsonObject().put("payload", new JsonObject().put("build", 42))).expect(200);
    server.post("/v1/schedules", new JsonObject().put("id", "nightly").put("cron", "30 2 * * *")
        .put("time_zone", "Europe/Berlin").put("task", sleep(0, null))).expect(201);
    browser.consoleErrors(); // what an earlier test left

    page("/ui").await("#overview .node[data-node]");
    browser.awaitText("#node-count", "1");
    browser.await("#recent tr[data-task-id='" + gather.getString("id") + "']");
    browser.await("#overview canvas"); // the charts drew
    browser.screenshot("overview");
    noConsoleErrors("/ui");

    page("/ui/tasks").await("#task-list tr[data-task-id='" + gather.getString("id") + "']");
    browser.await("#live.on");
    browser.screenshot("tasks");
    noConsoleErrors("/ui/tasks");

    page("/ui/tasks/" + gather.getString("id")).await("#children li");
    assertEquals(2, browser.driver.findElements(org.openqa.selenium.By.cssSelector("#children li")).size());
    browser.awaitText("#task-state", "running");
    assertTrue(browser.await("#spec").getText().contains("\"type\": \"gather\""));
    assertTrue(browser.await("#timeline").getText().contains("created"));
    browser.screenshot("task");
    noConsoleErrors("/ui/tasks/{id}");

    page("/ui/events").await("#event-list tr[data-event='deploy']");
    browser.screenshot("events");
    noConsoleErrors("/ui/events");

    page("/ui/schedules").await(".schedule[data-schedule='nightly'] .next-fires li");
    browser.screenshot("schedules");
    noConsoleErrors("/ui/schedules");
  }

  @Test
  void aTaskCreatedThroughTheApiAppearsInTheLiveListAndItsEndFollows() {
    page("/ui/tasks").await("#live.on");
    JsonObject task = server.create(external().put("name", "live-one"));
    String row = "#task-list tr[data-task-id='" + task.getString("id") + "']";
    browser.await(row, 2); // within 2 s, no reload
    assertEquals("running", browser.await(row).getAttribute("data-state"));
    server.post("/v1/tasks/" + task.getString("id") + "/complete", new JsonObject().put("result", 1)).expect(200);
    browser.await(row + "[data-state='succeeded']", 3);
    noConsoleErrors("the live list");
  }

  @Test
  void filtersNarrowTheListOnTheServer() {
    JsonObject billing = server.create(external().put("labels", new JsonObject().put("team", "billing")));
    JsonObject other = server.create(sleep(3_600_000, null).put("name", "nap"));
    page("/ui/tasks?label=team=billing").await("#task-list tr[data-task-id='" + billing.getString("id") + "']");
    assertTrue(browser.driver.findElements(org.openqa.selenium.By.cssSelector(
        "#task-list tr[data-task-id='" + other.getString("id") + "']")).isEmpty(), "the label filter left the sleep out");
    browser.type("#f-label", "");
    browser.type("#f-name", "nap");
    browser.click("#apply");
    browser.await("#task-list tr[data-task-id='" + other.getString("id") + "']");
    browser.awaitGone("#task-list tr[data-task-id='" + billing.getString("id") + "']");
    assertTrue(browser.driver.getCurrentUrl().contains("name=nap"), "the filters are in the URL, to be shared");
  }

  @Test
  void cancellingInTheUiCancelsTheTaskInTheApi() {
    JsonObject task = server.create(external());
    String id = task.getString("id");
    Future<JsonObject> poll = watching.longPoll(id); // a client waits on it while the page acts
    watching.awaitWaiting(1);
    page("/ui/tasks").click("#task-list tr[data-task-id='" + id + "'] button.cancel");
    browser.await("#task-list tr[data-task-id='" + id + "'][data-state='cancelled']");
    assertEquals("cancelled", bounded(poll).getString("state"), "the waiting client saw the cancel");
    assertEquals("cancelled", server.task(id).getString("state"));
    within(5, "the stream showed the cancel", () -> watching.streamedEnds(id).size() == 1);
  }

  @Test
  void anExternalTaskIsCompletedOrFailedFromItsPage() {
    String done = server.create(external()).getString("id");
    page("/ui/tasks/" + done).type("#complete-result", "{\"approved\": true}");
    browser.click("#task-complete");
    browser.awaitText("#task-state", "succeeded");
    assertEquals(new JsonObject().put("approved", true), server.task(done).getJsonObject("result"));

    String failed = server.create(external()).getString("id");
    page("/ui/tasks/" + failed).type("#fail-type", "Rejected");
    browser.type("#fail-message", "not today");
    browser.click("#task-fail");
    browser.awaitText("#task-state", "failed");
    JsonObject error = server.task(failed).getJsonObject("error");
    assertEquals("Rejected", error.getString("type"));
    assertEquals("not today", error.getString("message"));

    String bad = server.create(external()).getString("id");
    page("/ui/tasks/" + bad).type("#complete-result", "{not json");
    browser.click("#task-complete");
    assertTrue(browser.await("#task-error").getText().contains("result is not JSON"));
    assertEquals("running", server.task(bad).getString("state"), "a result that is not JSON is not sent");
  }

  @Test
  void anEventSetInTheUiWakesAWaitingTask() {
    JsonObject waiter = server.create(new JsonObject().put("type", "event").put("event", "go-live"));
    String id = waiter.getString("id");
    Future<JsonObject> poll = watching.longPoll(id);
    watching.awaitWaiting(1);
    page("/ui/events").await("#event-list tr[data-event='go-live']");
    browser.awaitText("#event-list tr[data-event='go-live'] .waiters", "1");
    browser.type("#event-name", "go-live");
    browser.type("#event-payload", "{\"build\": 7}");
    browser.click("#event-set");
    JsonObject woken = bounded(poll);
    assertEquals("succeeded", woken.getString("state"), woken::encode);
    assertEquals(new JsonObject().put("build", 7), woken.getJsonObject("result"));
    browser.awaitText("#event-list tr[data-event='go-live'] .waiters", "0");

    browser.click("#event-clear");
    within(5, "the event cleared", () -> server.get("/v1/events/go-live").status() == 404);
  }

  @Test
  void aSchedulePausedInTheUiStopsFiringAndResumedCarriesOn() {
    server.post("/v1/schedules", new JsonObject().put("id", "ticker").put("every_ms", 1_000)
        .put("catchup_window_ms", 0).put("task", sleep(0, null))).expect(201);
    server.advance(1_000);
    within(5, "the first tick fired", () -> fired("ticker") == 1);
    String card = ".schedule[data-schedule='ticker']";
    page("/ui/schedules").click(card + " button.pause");
    browser.await(card + "[data-paused='true']");
    assertEquals(true, server.get("/v1/schedules/ticker").json().getBoolean("paused"));
    server.advance(3_500);
    assertEquals(1, fired("ticker"), "a paused schedule fires nothing");
    browser.click(card + " button.resume");
    browser.await(card + "[data-paused='false']");
    server.advance(500);
    within(5, "the next tick after the resume fired", () -> fired("ticker") == 2);
    browser.click(card + " button.trigger");
    assertTrue(browser.await("#schedules-note").getText().startsWith("ticker: fired"));
    within(5, "the trigger fired", () -> fired("ticker") == 3);
    noConsoleErrors("/ui/schedules");
  }

  private int fired(String schedule) {
    return server.get("/v1/tasks?limit=1000&label=schedule=" + schedule).expect(200).items().size();
  }
}
