package io.taskloop.support;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real taskloop nodes, each in a JVM of its own running {@code io.taskloop.Main} from the test
 * classpath and configured by environment variables as an operator would: a fresh HTTP port and
 * Hazelcast port per node, a cluster name of its own, TCP members on 127.0.0.1, two loops, a
 * small heap. Each node's output goes to {@code target/process-cluster/<name>/node-<i>.log}
 * (a restart appends to the same file). Real time runs in these processes: no settable clock.
 *
 * <p>Every process started here is stopped by {@link #close()} through its {@link Process}
 * handle (and by a JVM shutdown hook if the test JVM itself is stopped first).
 */
public final class ProcessCluster implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ProcessCluster.class);

  /** How long a node may take to start, join and be listed by the others (slow CI, cold JIT). */
  public static final long FORM_BOUND_S = 60;
  /**
   * How long SIGTERM may take: Main's hand-over bound (20 s, awaited 25 s), closing Vert.x (10 s)
   * and stopping the Hazelcast member (10 s), and slack.
   */
  public static final long EXIT_BOUND_S = 60;
  /** Hazelcast's --add-opens/--add-exports, if the test JVM was started without them (an IDE). */
  private static final List<String> DEFAULT_MODULE_FLAGS = List.of(
      "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens=java.management/sun.management=ALL-UNNAMED",
      "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
      "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED");
  /** Processes not yet stopped, for the shutdown hook. */
  private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly),
        "process-cluster-reaper"));
  }

  public final String name;
  public final String clusterName;
  public final Path dir;
  private final int size;
  /** Node i's HTTP port; a node whose bind lost a race to another process gets a new one. */
  private final List<Integer> httpPorts;
  private final List<Integer> clusterPorts;
  private final Process[] processes;
  /** Where node i's log stood when it was last launched: what a failed start wrote comes after. */
  private final long[] logStarts;
  private final TestServer[] clients;
  private final String[] nodeIds;
  private final List<Process> others = new ArrayList<>();
  private final Vertx vertx = Vertx.vertx();
  private final Map<String, String> extraEnv;

  /** Node {@code i}'s data_dir: a restart of the node finds its store (and its node id) there. */
  public Path dataDir(int i) {
    return dir.resolve("data-" + i);
  }

  private ProcessCluster(String name, int size, Map<String, String> extraEnv) {
    this.extraEnv = Map.copyOf(extraEnv);
    this.name = name;
    this.clusterName = "taskloop-mp-" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
    this.dir = Path.of(System.getProperty("basedir", "."), "target", "process-cluster", name);
    this.size = size;
    List<Integer> ports = freePorts(2 * size);
    this.httpPorts = new ArrayList<>(ports.subList(0, size));
    this.clusterPorts = List.copyOf(ports.subList(size, 2 * size));
    this.processes = new Process[size];
    this.logStarts = new long[size];
    this.clients = new TestServer[size];
    this.nodeIds = new String[size];
    try {
      Files.createDirectories(dir);
      try (var old = Files.walk(dir)) {
        for (Path p : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
          if (!p.equals(dir)) {
            Files.deleteIfExists(p);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts {@code size} nodes and returns once every one is ready and lists all of them in
   * {@code GET /v1/cluster}. The first node starts alone (it becomes the Hazelcast master); the
   * others then start together and join it. On any failure the processes started are stopped.
   */
  public static ProcessCluster start(String name, int size) {
    return start(name, size, Map.of());
  }

  /** As {@link #start(String, int)}, every node also given {@code extraEnv} (a store, its URL). */
  public static ProcessCluster start(String name, int size, Map<String, String> extraEnv) {
    return start(name, size, extraEnv, cluster -> { });
  }

  /** As {@link #start(String, int, Map)}, {@code beforeLaunch} run once the ports are chosen (a test takes one). */
  static ProcessCluster start(String name, int size, Map<String, String> extraEnv,
      java.util.function.Consumer<ProcessCluster> beforeLaunch) {
    ProcessCluster cluster = new ProcessCluster(name, size, extraEnv);
    try {
      beforeLaunch.accept(cluster);
      long started = System.nanoTime();
      cluster.launchNode(0);
      cluster.awaitReady(0);
      for (int i = 1; i < size; i++) {
        cluster.launchNode(i);
      }
      for (int i = 1; i < size; i++) {
        cluster.awaitReady(i);
      }
      cluster.awaitListed();
      LOG.info("process cluster {} ({}) of {} nodes formed in {} ms: nodes {}, http ports {}, hazelcast ports {}",
          name, cluster.clusterName, size, (System.nanoTime() - started) / 1_000_000,
          List.of(cluster.nodeIds), cluster.httpPorts, cluster.clusterPorts);
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  public int size() {
    return size;
  }

  /** The HTTP client of node {@code i} (a new one after each restart). */
  public TestServer client(int i) {
    return clients[i];
  }

  /** The taskloop node id of node {@code i}: a restart on the same data_dir keeps it (the memory store gives a new one). */
  public String nodeId(int i) {
    return nodeIds[i];
  }

  public boolean running(int i) {
    return processes[i] != null && processes[i].isAlive();
  }

  public int httpPort(int i) {
    return httpPorts.get(i);
  }

  /** The Hazelcast TCP member list every node is given: {@code 127.0.0.1:<port>,...}. */
  public List<String> members() {
    return clusterPorts.stream().map(p -> "127.0.0.1:" + p).toList();
  }

  public Path log(int i) {
    return dir.resolve("node-" + i + ".log");
  }

  /** SIGKILL (on Linux {@link Process#destroyForcibly()}): the node vanishes without a word. */
  public void kill(int i) {
    Process p = processes[i];
    p.destroyForcibly();
    exited(i, p, 10);
    LOG.info("node {} ({}) killed with SIGKILL", i, nodeIds[i]);
  }

  /**
   * SIGTERM ({@link Process#destroy()}): Main's shutdown hook hands the node's tasks over, then
   * the JVM exits. Waits for the exit (bounded) and returns the exit code (143 after SIGTERM).
   */
  public int terminate(int i) {
    Process p = processes[i];
    long started = System.nanoTime();
    p.destroy();
    int code = exited(i, p, EXIT_BOUND_S);
    LOG.info("node {} ({}) exited with {} {} ms after SIGTERM", i, nodeIds[i], code, (System.nanoTime() - started) / 1_000_000);
    return code;
  }

  /** Starts node {@code i} again on the same ports and waits until it is ready and listed by all. */
  public void restart(int i) {
    if (running(i)) {
      throw new IllegalStateException("node " + i + " is still running");
    }
    long started = System.nanoTime();
    launchNode(i);
    awaitReady(i);
    awaitListed();
    LOG.info("node {} restarted as {} in {} ms", i, nodeIds[i], (System.nanoTime() - started) / 1_000_000);
  }

  /**
   * Starts every node again after all stopped (a full restart on their data_dirs): the first
   * alone, then the others, as {@link #start} forms a cluster; returns once all are listed.
   */
  public void restartAll() {
    long started = System.nanoTime();
    launchNode(0);
    awaitReady(0);
    for (int i = 1; i < size; i++) {
      launchNode(i);
    }
    for (int i = 1; i < size; i++) {
      awaitReady(i);
    }
    awaitListed();
    LOG.info("cluster {} started again in {} ms", name, (System.nanoTime() - started) / 1_000_000);
  }

  /** Waits until every running node lists exactly the running nodes in {@code GET /v1/cluster}. */
  public void awaitListed() {
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < size; i++) {
      if (running(i)) {
        expected.add(nodeIds[i]);
      }
    }
    TestServer.within(FORM_BOUND_S, "every running node lists " + expected, () -> {
      for (int i = 0; i < size; i++) {
        if (running(i) && !expected.equals(listed(i))) {
          return false;
        }
      }
      return true;
    });
  }

  /**
   * Starts another JVM on the test classpath with the same JVM flags as the nodes (a program
   * that is not taskloop), its output in {@code <dir>/<label>.log}; {@link #close()} stops it.
   */
  public Process launch(String label, String mainClass, Map<String, String> env, List<String> args) {
    Process p = spawn(javaCommand(mainClass, args), env, dir.resolve(label + ".log"));
    others.add(p);
    return p;
  }

  /** Stops every process still running (SIGKILL: nothing to hand over any more) and the clients. */
  @Override
  public void close() {
    List<Process> all = new ArrayList<>(others);
    for (Process p : processes) {
      if (p != null) {
        all.add(p);
      }
    }
    for (Process p : all) {
      p.destroyForcibly();
    }
    for (Process p : all) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          LOG.warn("process {} did not stop within 10 s of SIGKILL", p.pid());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      RUNNING.remove(p);
    }
    for (TestServer c : clients) {
      if (c != null) {
        c.closeClients();
      }
    }
    vertx.close();
  }

  // ---------------------------------------------------------------- processes

  /** {@code java <module flags> -cp <test classpath> <main> <args>}, with a small heap and a quick start. */
  public static List<String> javaCommand(String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(moduleFlags());
    cmd.add("-Xmx256m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1"); // C1 only: these JVMs live for seconds, not hours
    cmd.add("-Dhazelcast.phone.home.enabled=false");
    cmd.add("-Dhazelcast.wait.seconds.before.join=0");
    cmd.add("-Dvertx.disableDnsResolver=true");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }

  /** The --add-opens/--add-exports this JVM runs with (surefire's argLine), Hazelcast's needs. */
  private static List<String> moduleFlags() {
    List<String> in = ManagementFactory.getRuntimeMXBean().getInputArguments();
    List<String> flags = new ArrayList<>();
    for (int i = 0; i < in.size(); i++) {
      String a = in.get(i);
      if (a.startsWith("--add-opens=") || a.startsWith("--add-exports=")) {
        flags.add(a);
      } else if ((a.equals("--add-opens") || a.equals("--add-exports")) && i + 1 < in.size()) {
        flags.add(a + "=" + in.get(++i));
      }
    }
    return flags.isEmpty() ? DEFAULT_MODULE_FLAGS : flags;
  }

  private void launchNode(int i) {
    Map<String, String> env = new java.util.HashMap<>(Map.of(
        "TASKLOOP_DATA_DIR", dataDir(i).toString(),
        "TASKLOOP_HTTP_HOST", "127.0.0.1",
        "TASKLOOP_HTTP_PORT", Integer.toString(httpPorts.get(i)),
        "TASKLOOP_LOOPS", "2",
        "TASKLOOP_CLUSTER_MODE", "tcp",
        "TASKLOOP_CLUSTER_MEMBERS", String.join(",", members()),
        "TASKLOOP_CLUSTER_PORT", Integer.toString(clusterPorts.get(i)),
        "TASKLOOP_CLUSTER_NAME", clusterName,
        "TASKLOOP_CLUSTER_HOST", "127.0.0.1"));
    env.putAll(extraEnv); // a test's own settings win (TASKLOOP_CLUSTER_MODE=none: a node alone)
    logStarts[i] = log(i).toFile().length();
    processes[i] = spawn(javaCommand("io.taskloop.Main", List.of()), env, log(i));
    nodeIds[i] = null;
    if (clients[i] != null) {
      clients[i].closeClients(); // its pooled connections went with the old process
    }
    clients[i] = TestServer.remote(vertx, httpPorts.get(i), 32);
  }

  private static Process spawn(List<String> command, Map<String, String> env, Path log) {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    // Only what is given here configures the process: no TASKLOOP_* leaks in from the caller.
    builder.environment().keySet().removeIf(k -> k.startsWith("TASKLOOP_"));
    builder.environment().putAll(env);
    try {
      Process p = builder.start();
      RUNNING.add(p);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** How often a node whose HTTP port was taken before it could bind it is started again on another. */
  private static final int HTTP_BIND_RETRIES = 3;

  private void awaitReady(int i) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(FORM_BOUND_S);
    int relaunches = 0;
    while (System.nanoTime() < deadline) {
      if (!processes[i].isAlive()) {
        RUNNING.remove(processes[i]);
        if (relaunches < HTTP_BIND_RETRIES && httpBindLost(i)) {
          // Another process took the port between freePorts() and this node's bind: nothing
          // taskloop did wrong, so the node starts again on another port rather than failing the test.
          relaunches++;
          int taken = httpPorts.get(i);
          httpPorts.set(i, freePorts(1).get(0));
          LOG.warn("node {}: http port {} was taken before it bound it; starting it again on {}", i, taken, httpPorts.get(i));
          launchNode(i);
          continue;
        }
        throw new AssertionError("node " + i + " exited with " + processes[i].exitValue() + " before it was ready:\n"
            + tail(log(i), 40));
      }
      if (status(i, "/health/ready") == 200) {
        JsonObject view = clients[i].get("/v1/cluster").expect(200).json();
        nodeIds[i] = view.getString("node");
        return;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
    }
    throw new AssertionError("node " + i + " not ready within " + FORM_BOUND_S + " s:\n" + tail(log(i), 40));
  }

  /**
   * Whether node {@code i}'s last start ended on its HTTP listener's bind, "Address already in
   * use" from Netty's {@code bind(..)}. Hazelcast's own port, bound earlier, fails with words of
   * its own, and the event bus binds a port the kernel picks.
   */
  private boolean httpBindLost(int i) {
    try (var in = Files.newInputStream(log(i))) {
      in.skipNBytes(logStarts[i]);
      String since = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      return since.contains("failed to start: bind(..)") && since.contains("Address already in use");
    } catch (IOException e) {
      return false;
    }
  }

  private int status(int i, String path) {
    try {
      return clients[i].get(path).status();
    } catch (Exception | AssertionError notYet) {
      // not listening yet, or gone (Vert.x rethrows the ConnectException unchecked)
      return -1;
    }
  }

  private Set<String> listed(int i) {
    try {
      TestServer.Resp r = clients[i].get("/v1/cluster");
      if (r.status() != 200) {
        return Set.of();
      }
      JsonArray nodes = r.json().getJsonArray("nodes");
      return nodes.stream().map(n -> ((JsonObject) n).getString("id")).collect(Collectors.toSet());
    } catch (Exception | AssertionError notYet) {
      // not listening yet, or gone (Vert.x rethrows the ConnectException unchecked)
      return Set.of();
    }
  }

  private int exited(int i, Process p, long boundS) {
    try {
      if (!p.waitFor(boundS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        RUNNING.remove(p);
        throw new AssertionError("node " + i + " did not exit within " + boundS + " s:\n" + tail(log(i), 40));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    RUNNING.remove(p);
    return p.exitValue();
  }

  /** The last {@code lines} lines of a log, for failure messages. */
  public static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** The lowest port a test picks: below it sit the well-known and registered services' habits. */
  private static final int LOWEST_PORT = 10_000;
  /** Where {@code ip_local_port_range} cannot be read: Linux's default range starts here. */
  private static final int[] DEFAULT_EPHEMERAL = {32_768, 60_999};

  /**
   * Ports free on 127.0.0.1 right now (closed again, so another process may bind them), picked
   * at random outside the kernel's ephemeral range. A port the kernel hands out for
   * {@code bind(0)} lies inside that range, and any outgoing connection or {@code bind(0)} on the
   * machine (a node's event bus, another node's Hazelcast dialling its members, a test's HTTP
   * client) may take it as its own in the moments between this check and the node's bind:
   * outside the range only a deliberate listener can. Where the range covers nearly every port
   * the picks are still random over all of them, never the kernel's next ephemeral port.
   */
  public static List<Integer> freePorts(int n) {
    int[] range = ephemeralRange();
    int[] pick = outside(range);
    List<ServerSocket> sockets = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    try {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      for (int tries = 0; ports.size() < n; tries++) {
        if (tries >= 10_000) {
          throw new BindException("no free port among 10,000 picks in " + pick[0] + "-" + pick[1]);
        }
        int candidate = random.nextInt(pick[0], pick[1] + 1);
        if (ports.contains(candidate)) {
          continue;
        }
        try {
          sockets.add(new ServerSocket(candidate, 50, InetAddress.getLoopbackAddress()));
          ports.add(candidate);
        } catch (BindException taken) {
          // a listener has it: pick another
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket s : sockets) {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing a listener that never accepted: nothing to keep
        }
      }
    }
    return ports;
  }

  /**
   * The wider of the two stretches of [{@value #LOWEST_PORT}, 65535] the ephemeral range leaves
   * free, if it holds at least a thousand ports; else the whole stretch.
   */
  static int[] outside(int[] ephemeral) {
    int belowSize = ephemeral[0] - LOWEST_PORT;
    int aboveSize = 65_535 - ephemeral[1];
    if (Math.max(belowSize, aboveSize) < 1_000) {
      return new int[] {LOWEST_PORT, 65_535};
    }
    return belowSize >= aboveSize
        ? new int[] {LOWEST_PORT, ephemeral[0] - 1}
        : new int[] {ephemeral[1] + 1, 65_535};
  }

  /** {@code /proc/sys/net/ipv4/ip_local_port_range}, or Linux's default where it cannot be read. */
  private static int[] ephemeralRange() {
    try {
      String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
      return new int[] {Integer.parseInt(range[0]), Integer.parseInt(range[1])};
    } catch (IOException | RuntimeException e) {
      return DEFAULT_EPHEMERAL.clone();
    }
  }
}
