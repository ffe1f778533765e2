package io.taskloop.ui;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.Browser;
import io.taskloop.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The dashboard holds up on a busy node: 100,000 tasks held and about 1,000 task changes a
 * second (500 sleeps a second, each created and finished), in a real headless Chromium. The list
 * is paged on the server, so it loads as fast with 100,000 held as with ten; the live stream is
 * filtered by the page's filters and the page redraws at most once a second, so a task made
 * through the API still shows within 2 s and a click still acts at once. What it saw is written
 * to {@code target/ui-load.txt} (BENCHMARKS.md quotes a run).
 */
@ExtendWith(VertxExtension.class)
class UiLoadTest {

  private static final int HELD = 100_000;
  private static final int CHANGES_PER_SECOND = 1_000;

  private Vertx vertx;
  private TestServer server;
  private Browser browser;
  private long load = -1;

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    // The wall clock, as a node run from README has: the lateness the overview draws is real.
    io.taskloop.config.Config settings = io.taskloop.config.Config.from(new JsonObject().put("http_port", 0).put("loops", 3)
        .put("store", "memory").put("max_tasks", 400_000).put("retention_ms", 3_600_000), java.util.Map.of());
    server = TestServer.of(vertx, bounded(io.taskloop.Node.start(vertx, settings, java.time.Clock.systemUTC())), null);
    browser = Browser.open(server.node.port());
  }

  @AfterEach
  void stop() {
    if (load >= 0) {
      vertx.cancelTimer(load);
    }
    browser.close();
    server.stop();
  }

  @Test
  void theDashboardStaysResponsiveWith100kTasksHeldAnd1kChangesASecond() throws Exception {
    WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(server.node.port()), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(8));
    // 100 gathers of 999 external children: 100,000 tasks held, none finishing on its own.
    List<Future<?>> made = new ArrayList<>();
    for (int g = 0; g < HELD / 1_000; g++) {
      JsonArray children = new JsonArray();
      for (int c = 0; c < 999; c++) {
        children.add(external().put("name", "held"));
      }
      made.add(client.post("/v1/tasks").sendJsonObject(new JsonObject().put("type", "gather").put("tasks", children))
          .map(r -> {
            assertEquals(201, r.statusCode(), r::bodyAsString);
            return r;
          }));
    }
    bounded(Future.all(made), 60);
    assertEquals(HELD, held(), "tasks held before the load");

    // The load: every 10 ms five sleeps of 0 ms, each a create and a finish.
    AtomicLong sent = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    load = vertx.setPeriodic(10, t -> {
      for (int i = 0; i < CHANGES_PER_SECOND / 200; i++) {
        client.post("/v1/tasks").sendJsonObject(sleep(0, null)).onComplete(ar -> {
          sent.incrementAndGet();
          if (ar.failed() || ar.result().statusCode() != 201) {
            refused.incrementAndGet();
          }
        });
      }
    });
    long[] before = counts();
    long startedAt = System.nanoTime();

    long opened = System.nanoTime();
    browser.go("/ui/tasks");
    browser.await("#task-list tr[data-task-id]");
    browser.await("#live.on");
    double firstPageMs = (System.nanoTime() - opened) / 1e6;
    Object heapBefore = browser.script("return performance.memory ? performance.memory.usedJSHeapSize : null");
    browser.script("window.taskloopCounters.events = 0; window.taskloopCounters.listLoads = 0;");
    long countedFrom = System.nanoTime();
    // Unfiltered, the first page turns over as fast as tasks come: the page follows at most once a second.
    browser.waiting(20).until(d ->
        ((Number) browser.script("return window.taskloopCounters.listLoads")).longValue() >= 5);
    double unfilteredSeconds = (System.nanoTime() - countedFrom) / 1e9;
    long unfilteredLoads = ((Number) browser.script("return window.taskloopCounters.listLoads")).longValue();
    long unfilteredEvents = ((Number) browser.script("return window.taskloopCounters.events")).longValue();

    // Filtered to what a user looks for, the stream carries only that, and a new one shows within 2 s.
    long t2 = System.nanoTime();
    browser.type("#f-name", "marker");
    browser.click("#apply");
    browser.awaitGone("#task-list tr[data-task-id]");
    double filterMs = (System.nanoTime() - t2) / 1e6;
    browser.await("#live.on");
    browser.script("window.taskloopCounters.events = 0;");
    long filteredFrom = System.nanoTime();
    List<Double> appear = new ArrayList<>();
    List<Double> cancel = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      long t0 = System.nanoTime();
      String id = server.create(external().put("name", "marker")).getString("id");
      String row = "#task-list tr[data-task-id='" + id + "']";
      browser.await(row, 2); // the requirement: within 2 s, under load
      appear.add((System.nanoTime() - t0) / 1e6);
      long t1 = System.nanoTime();
      browser.click(row + " button.cancel");
      browser.await(row + "[data-state='cancelled']", 5);
      cancel.add((System.nanoTime() - t1) / 1e6);
      assertEquals("cancelled", server.task(id).getString("state"));
    }
    double filteredSeconds = (System.nanoTime() - filteredFrom) / 1e9;
    long filteredEvents = ((Number) browser.script("return window.taskloopCounters.events")).longValue();

    Object heapAfter = browser.script("return performance.memory ? performance.memory.usedJSHeapSize : null");
    long[] after = counts();
    double loadSeconds = (System.nanoTime() - startedAt) / 1e9;
    double changesPerSecond = ((after[0] - before[0]) + (after[1] - before[1])) / loadSeconds;

    List<Double> listMs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      long t = System.nanoTime();
      server.get("/v1/tasks?order=newest&limit=50").expect(200);
      listMs.add((System.nanoTime() - t) / 1e6);
    }
    // The overview under the same load: the rates and the lateness chart over a few seconds.
    browser.go("/ui");
    browser.waiting(30).until(d -> ((Number) browser.script("return window.taskloopCounters.clusterPolls")).longValue() >= 10);
    long createsShown = Long.parseLong(browser.await("#creates-rate").getText().trim());
    browser.screenshot("overview-under-load");
    vertx.cancelTimer(load);
    load = -1;

    String report = String.format(java.util.Locale.ROOT, """
        dashboard under load (UiLoadTest), %s
        tasks held at start: %d; load: %.0f task changes/s measured (creates + finishes) over %.0f s, %d creates sent, %d refused
        /ui/tasks, unfiltered: first page shown and stream open %.0f ms after navigation; then %d stream events in %.1f s
          (%.0f/s) and %d list loads (%.2f/s)
        a filter (name=marker) applied until the list shows none: %.0f ms
        filtered: a task created through the API shown in the live list after %s ms (5 rounds); a cancel clicked until
          the row shows cancelled %s ms; the filtered stream carried %d events in %.1f s
        browser JS heap: %s bytes before, %s after
        GET /v1/tasks?order=newest&limit=50 with %d+ held, 20 in a row: median %.1f ms, max %.1f ms
        the overview showed %d creates/s after 10 polls of /v1/cluster
        """, java.time.Instant.now(), HELD, changesPerSecond, loadSeconds, sent.get(), refused.get(), firstPageMs,
        unfilteredEvents, unfilteredSeconds, unfilteredEvents / unfilteredSeconds, unfilteredLoads,
        unfilteredLoads / unfilteredSeconds, filterMs, rounded(appear), rounded(cancel), filteredEvents, filteredSeconds,
        heapBefore, heapAfter, HELD, median(listMs), listMs.stream().mapToDouble(Double::doubleValue).max().orElse(0),
        createsShown);
    Files.createDirectories(java.nio.file.Path.of("target"));
    Files.writeString(java.nio.file.Path.of("target", "ui-load.txt"), report);
    System.out.println(report);
    browser.screenshot("tasks-under-load");

    assertEquals(0, refused.get(), "the load was served");
    assertTrue(createsShown > 300, "the overview shows the load's creates per second: " + createsShown);
    assertTrue(changesPerSecond >= CHANGES_PER_SECOND * 0.6, "the load came near 1,000 changes/s (else the test shows little): " + changesPerSecond);
    assertTrue(unfilteredLoads <= unfilteredSeconds + 2, "unfiltered, the list is reloaded about once a second at most: "
        + unfilteredLoads + " in " + unfilteredSeconds + " s");
    assertTrue(filteredEvents <= 5 * 4, "filtered, the stream carries the markers' changes only: " + filteredEvents);
    assertTrue(browser.consoleErrors().isEmpty(), "no console errors under load");
  }

  private long held() {
    return server.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0).getLong("tasks_held");
  }

  /** Created and finished over the node's loops. */
  private long[] counts() {
    long created = 0;
    long finished = 0;
    for (Object o : server.get("/v1/cluster").json().getJsonArray("nodes").getJsonObject(0).getJsonArray("loops")) {
      created += ((JsonObject) o).getLong("created");
      finished += ((JsonObject) o).getLong("finished");
    }
    return new long[] {created, finished};
  }

  private static String rounded(List<Double> ms) {
    return ms.stream().map(d -> String.valueOf(Math.round(d))).reduce((a, b) -> a + ", " + b).orElse("");
  }

  private static double median(List<Double> ms) {
    List<Double> sorted = new ArrayList<>(ms);
    sorted.sort(Double::compareTo);
    return sorted.get(sorted.size() / 2);
  }
}
