package io.taskloop.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A clustered Vert.x program that is not taskloop and knows nothing of its classes: it joins the
 * taskloop cluster with a Hazelcast cluster manager configured here, and uses only the
 * event-bus API of docs/eventbus-api.md, by its address strings and JSON bodies. It creates an
 * external task and completes it, creates an event task and sets its event, reads both back,
 * prints one line {@code RESULT <json>} and exits 0 (1 on any failure).
 *
 * <p>Arguments: cluster name, this member's Hazelcast port, the members (host:port,...), an
 * event name. {@link PlainVertxProgramTest} runs it in a JVM of its own.
 */
public final class PlainProducer {

  private static final long SEND_MS = 5_000;
  /** Right after joining, the taskloop consumers may not be known here yet: ask again for this long. */
  private static final long FIRST_CONTACT_MS = 20_000;

  private PlainProducer() {
  }

  public static void main(String[] args) throws Exception {
    String clusterName = args[0];
    int port = Integer.parseInt(args[1]);
    List<String> members = Arrays.asList(args[2].split(","));
    String eventName = args[3];

    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcast(clusterName, port, members));
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1").setPort(0).setClusterPublicHost("127.0.0.1");
    Vertx vertx = Vertx.builder().with(options).withClusterManager(manager).buildClustered().await(60, TimeUnit.SECONDS);
    int code = 0;
    try {
      JsonObject result = run(vertx, eventName).await(60, TimeUnit.SECONDS);
      System.out.println("RESULT " + result.encode());
    } catch (Exception e) {
      System.out.println("FAILED " + e);
      code = 1;
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS); // leaves the Hazelcast cluster gracefully
    }
    System.exit(code);
  }

  /** Hazelcast as a careful operator sets it up: own port on loopback, TCP members, no multicast, no phone-home. */
  private static Config hazelcast(String clusterName, int port, List<String> members) {
    Config hz = ConfigUtil.loadConfig(); // Vert.x's own maps (subscriptions, locks) and their backups
    hz.setClusterName(clusterName);
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.logging.type", "slf4j");
    hz.setProperty("hazelcast.wait.seconds.before.join", "0");
    hz.setProperty("hazelcast.socket.bind.any", "false");
    NetworkConfig network = hz.getNetworkConfig();
    network.setPort(port).setPortAutoIncrement(false);
    network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(members);
    return hz;
  }

  private static Future<JsonObject> run(Vertx vertx, String eventName) {
    EventBus bus = vertx.eventBus();
    JsonObject out = new JsonObject();
    DeliveryOptions create = new DeliveryOptions().setSendTimeout(SEND_MS).addHeader("Idempotency-Key", "plain-" + eventName);
    long firstContactDeadline = System.currentTimeMillis() + FIRST_CONTACT_MS;
    return firstContact(vertx, new JsonObject().put("type", "external").put("name", "charge-42"), create, firstContactDeadline)
        .compose(created -> {
          out.put("external_created", created.body()).put("created_header", created.headers().get("created"));
          return request(bus, "taskloop.v1.tasks.complete", new JsonObject().put("id", created.body().getString("id"))
              .put("result", new JsonObject().put("charged", true)), SEND_MS);
        })
        .compose(completed -> {
          out.put("external_completed", completed.body());
          return request(bus, "taskloop.v1.tasks.create", new JsonObject().put("type", "event").put("event", eventName),
              SEND_MS);
        })
        .compose(waiting -> {
          out.put("event_task_created", waiting.body());
          return request(bus, "taskloop.v1.events.set", new JsonObject().put("name", eventName).put("payload", "go"),
              SEND_MS);
        })
        .compose(set -> {
          out.put("event_set", set.body());
          return request(bus, "taskloop.v1.tasks.get",
              new JsonObject().put("id", out.getJsonObject("event_task_created").getString("id")).put("wait", 10), 15_000);
        })
        .compose(eventTask -> {
          out.put("event_task_read", eventTask.body());
          return request(bus, "taskloop.v1.tasks.get",
              new JsonObject().put("id", out.getJsonObject("external_created").getString("id")), SEND_MS);
        })
        .map(external -> out.put("external_read", external.body()));
  }

  /** The first create: asked again while no taskloop consumer is known here yet (NO_HANDLERS), within a bound. */
  private static Future<Message<JsonObject>> firstContact(Vertx vertx, JsonObject spec, DeliveryOptions options,
      long deadline) {
    return vertx.eventBus().<JsonObject>request("taskloop.v1.tasks.create", spec, options).recover(err -> {
      boolean noneYet = err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS;
      if (!noneYet || System.currentTimeMillis() > deadline) {
        return Future.failedFuture(err);
      }
      return vertx.timer(200, TimeUnit.MILLISECONDS).compose(v -> firstContact(vertx, spec, options, deadline));
    });
  }

  private static Future<Message<JsonObject>> request(EventBus bus, String address, JsonObject body, long timeoutMs) {
    return bus.request(address, body, new DeliveryOptions().setSendTimeout(timeoutMs));
  }
}
