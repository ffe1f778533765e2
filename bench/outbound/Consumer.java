import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The event-bus consumer of the outbound benchmark: a plain clustered Vert.x program (not
 * taskloop, none of its classes) that joins a taskloop node's Hazelcast cluster, registers one
 * consumer on an address and replies to every message with the body it received, the event-bus
 * twin of bench/EchoServer.java. It stays up until it is killed, and prints how many messages
 * it answered every 5 s when that number moved.
 *
 * <pre>java $HZ_FLAGS -cp taskloop.jar bench/outbound/Consumer.java CLUSTER_NAME HZ_PORT MEMBERS ADDRESS [lite]</pre>
 *
 * HZ_FLAGS are pom.xml's hazelcast.jvm.flags; MEMBERS is host:port,... of the taskloop node(s);
 * everything binds 127.0.0.1. With {@code lite} (the default; {@code data} for the other) the
 * consumer joins as a Hazelcast lite member: it holds no partitions of the cluster's maps, so the
 * node's task records (taskloop.tasks, replicated on every change) stay in the node's JVM, as they
 * would in a single-node cluster, and the benchmark measures the event-bus hop rather than
 * replication to a second data member (bench/cluster/ measures that). Hazelcast is set up as in
 * src/test/java/io/taskloop/cluster/PlainProducer.java, plus taskloop's heartbeat settings (1 s
 * interval, dead after 5 s): see main.
 */
public class Consumer {

  public static void main(String[] args) throws Exception {
    if (args.length < 4 || args.length > 5) {
      System.err.println("usage: java $HZ_FLAGS -cp taskloop.jar bench/outbound/Consumer.java CLUSTER_NAME HZ_PORT MEMBERS ADDRESS [lite|data]");
      System.exit(2);
    }
    String clusterName = args[0];
    int port = Integer.parseInt(args[1]);
    String members = args[2];
    String address = args[3];
    boolean lite = args.length < 5 || args[4].equals("lite");

    Config hz = ConfigUtil.loadConfig(); // Vert.x's own maps (subscriptions, locks) and their backups
    hz.setClusterName(clusterName);
    hz.setLiteMember(lite);
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.logging.type", "slf4j");
    hz.setProperty("hazelcast.wait.seconds.before.join", "0");
    // The heartbeat settings of taskloop's own members (ClusterSetup): a taskloop node declares a
    // member dead after 5 s without a heartbeat, and Hazelcast's default interval is 5 s, so a
    // member left at the defaults is dropped at the first late heartbeat (it happened here under
    // load: the consumer was removed and every eventbus task failed with NoHandlerError).
    hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    hz.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
    hz.setProperty("hazelcast.socket.bind.any", "false");
    NetworkConfig network = hz.getNetworkConfig();
    network.setPort(port).setPortAutoIncrement(false);
    network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(Arrays.asList(members.split(",")));

    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1").setPort(0).setClusterPublicHost("127.0.0.1");
    Vertx vertx = Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hz))
        .buildClustered().await(60, TimeUnit.SECONDS);

    AtomicLong answered = new AtomicLong();
    vertx.eventBus().consumer(address, message -> {
      answered.incrementAndGet();
      message.reply(message.body());
    }).completion().await(30, TimeUnit.SECONDS);
    System.out.println("consumer ready on '" + address + "' in cluster '" + clusterName + "' (Hazelcast 127.0.0.1:" + port
        + (lite ? ", lite member" : ", data member") + ", members " + members + ")");
    long[] last = {0};
    vertx.setPeriodic(5_000, t -> {
      long now = answered.get();
      if (now != last[0]) {
        System.out.println("answered " + now);
        last[0] = now;
      }
    });
  }
}
