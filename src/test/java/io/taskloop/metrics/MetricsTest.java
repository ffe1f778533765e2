package io.taskloop.metrics;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.external;
import static io.taskloop.support.TestServer.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.taskloop.Node;
import io.taskloop.config.Config;
import io.taskloop.support.ManualClock;
import io.taskloop.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** /metrics as Main wires it: Vert.x and taskloop report to one Prometheus registry. */
class MetricsTest {

  private Vertx vertx;
  private TestServer server;

  @BeforeEach
  void start() {
    Metrics metrics = new Metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    vertx = Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(Metrics.vertxMetrics()))
        .withMetrics(new MicrometerMetricsFactory(metrics.registry()))
        .build();
    ManualClock clock = new ManualClock(TestServer.START);
    Config config = Config.from(new JsonObject().put("http_port", 0).put("loops", 2)
        .put("data_dir", TestServer.freshDataDir().toString()), Map.of());
    Node node = bounded(Node.start(vertx, config, clock, null, metrics));
    server = TestServer.of(vertx, node, clock);
  }

  @AfterEach
  void stop() {
    server.stop();
    bounded(vertx.close());
  }

  private static double value(String scrape, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(scrape);
    assertTrue(m.find(), () -> series + " not in\n" + scrape);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void tasksTimersForwardsHttpAndJvmAreMeasured() {
    String a = server.create(sleep(100, "x")).getString("id");
    server.create(external());
    server.advance(101); // the sleep's end runs 1 ms late
    server.awaitDone(a);
    for (int i = 0; i < 4; i++) {
      server.sendFresh(HttpMethod.GET, "/v1/tasks/" + a, null).expect(200); // lands on both loops
    }
    TestServer.Resp r = server.get("/metrics").expect(200);
    assertTrue(r.header("Content-Type").startsWith("text/plain"));
    String scrape = r.raw();
    assertEquals(1.0, value(scrape, "taskloop_tasks_accepted_total{type=\"sleep\"}"));
    assertEquals(1.0, value(scrape, "taskloop_tasks_finished_total{state=\"succeeded\",type=\"sleep\"}"));
    double held = value(scrape, "taskloop_tasks_held{loop=\"0\"}") + value(scrape, "taskloop_tasks_held{loop=\"1\"}");
    assertEquals(2.0, held);
    assertTrue(value(scrape, "taskloop_timer_lateness_seconds_count") >= 1);
    // A timer 1 ms late is counted in the 1 ms bucket, not in the one of a second.
    double onTime = scrape.lines().filter(l -> l.startsWith("taskloop_timer_lateness_seconds_bucket{le=\"") && !l.contains("+Inf"))
        .filter(l -> Double.parseDouble(l.substring(l.indexOf('"') + 1, l.indexOf('"', l.indexOf('"') + 1))) <= 0.001)
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).max().orElse(0);
    assertTrue(onTime >= 1, "a lateness of 1 ms is counted as such:\n" + scrape.lines()
        .filter(l -> l.contains("lateness")).collect(java.util.stream.Collectors.joining("\n")));
    assertTrue(value(scrape, "taskloop_forwards_total{scope=\"loop\"}") >= 1, "a read through the other loop is a forward");
    assertTrue(value(scrape, "taskloop_journal_commit_seconds_count") >= 1, "journal commits are timed");
    assertTrue(value(scrape, "taskloop_journal_batch_changes_sum") >= 3, "and their batch sizes recorded");
    assertTrue(scrape.contains("taskloop_journal_waiting "), "the changes waiting for a commit");
    assertTrue(value(scrape, "taskloop_http_requests_seconds_count{code=\"200\",method=\"GET\"}") >= 4, "requests timed");
    assertTrue(value(scrape, "taskloop_http_requests_seconds_count{code=\"201\",method=\"POST\"}") >= 2, "by code");
    assertTrue(value(scrape, "taskloop_http_connections") >= 1, "the scrape's own connection is open");
    assertTrue(scrape.contains("vertx_eventbus_"), "Vert.x's event-bus metrics");
    assertFalse(scrape.contains("vertx_http_server_"), "Vert.x's per-request HTTP meters stay off");
    assertTrue(scrape.contains("jvm_memory_used_bytes"), "JVM metrics");
  }
}
