package io.taskloop.support;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A real, throwaway PostgreSQL 15 (Debian's binaries) for the tests of the postgres store: a
 * fresh cluster in a directory of its own under /tmp, listening on 127.0.0.1 only (on a free
 * port, no Unix socket), with a user {@code taskloop} who logs in with a password
 * (scram-sha-256) and a new database per {@link #newDatabase()}. The server keeps
 * PostgreSQL's defaults for durability ({@code fsync}, {@code synchronous_commit}), so what the
 * tests and bench/StoreCost see is what a real store costs.
 *
 * <p>One server a test JVM: {@link Extension} starts it before the first class that needs it
 * and stops it when the whole run ends; a JVM shutdown hook stops it too, if the run is cut
 * short. PostgreSQL will not run as root, so when the tests do, every command runs as the
 * {@code postgres} user ({@code runuser -u postgres --}). Without the binaries this fails, and
 * says what to install: the postgres store is not optional, so its tests must not skip.
 */
public final class Postgres implements AutoCloseable {

  /** Debian's PostgreSQL 15, or the newest other version Debian installed where 15 is not there. */
  public static final Path BIN = binaries();
  public static final String USER = "taskloop";
  /** Every wait on the server (start, stop, a command) gives up after this. */
  private static final long BOUND_S = 30;
  private static final int PORT_TRIES = 3;

  private static Postgres shared;

  private final Path dir;
  private final int port;
  private final String adminPassword;
  private final String password;
  private final long pid;
  private final AtomicInteger databases = new AtomicInteger();
  private final AtomicBoolean stopped = new AtomicBoolean();

  private Postgres(Path dir, int port, String adminPassword, String password, long pid) {
    this.dir = dir;
    this.port = port;
    this.adminPassword = adminPassword;
    this.password = password;
    this.pid = pid;
  }

  private static Path binaries() {
    Path wanted = Path.of("/usr/lib/postgresql/15/bin");
    if (Files.isExecutable(wanted.resolve("initdb"))) {
      return wanted;
    }
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions.filter(v -> v.getFileName().toString().matches("[0-9]+"))
          .max(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString())))
          .map(v -> v.resolve("bin"))
          .filter(bin -> Files.isExecutable(bin.resolve("initdb")))
          .orElse(wanted);
    } catch (IOException e) {
      return wanted;
    }
  }

  /** The server of this JVM, started on first use. */
  public static synchronized Postgres shared() {
    if (shared == null || shared.stopped.get()) {
      Postgres started = start();
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "taskloop-postgres-stop"));
      shared = started;
    }
    return shared;
  }

  /** Starts a server of its own; the caller stops it with {@link #close()}. */
  public static Postgres start() {
    if (!Files.isExecutable(BIN.resolve("initdb")) || !Files.isExecutable(BIN.resolve("pg_ctl"))) {
      throw new IllegalStateException("PostgreSQL is not installed (no /usr/lib/postgresql/15/bin/initdb): the tests of"
          + " the postgres store run a real server. Install it with: apt-get install -y postgresql-15 (.ci/run does)");
    }
    try {
      Path dir = Files.createTempDirectory(Path.of("/tmp"), "taskloop-pg-");
      String adminPassword = secret();
      // Characters that a postgresql:// URL must percent-encode, so the tests go through the decoding.
      String password = "t@sk:" + secret() + "/%";
      initdb(dir, adminPassword);
      for (int attempt = 1; ; attempt++) {
        int port = freePort();
        Files.writeString(dir.resolve("data/postgresql.conf"), "\n# taskloop's tests: loopback only, no Unix socket\n"
            + "listen_addresses = '127.0.0.1'\nport = " + port + "\nunix_socket_directories = ''\n"
            + "max_connections = 40\n", java.nio.file.StandardOpenOption.APPEND);
        Optional<String> failed = pgCtl(dir, "-l", dir.resolve("server.log").toString(), "-w", "-t", Long.toString(BOUND_S),
            "start");
        if (failed.isEmpty()) {
          Postgres pg = new Postgres(dir, port, adminPassword, password, postmasterPid(dir));
          try (Connection c = pg.superuser("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + USER + " LOGIN PASSWORD '" + password.replace("'", "''") + "'");
          } catch (SQLException e) {
            pg.close();
            throw e;
          }
          return pg;
        }
        String log = Files.exists(dir.resolve("server.log")) ? Files.readString(dir.resolve("server.log")) : "";
        if (attempt == PORT_TRIES || !log.contains("could not bind")) {
          // pg_ctl may have given up waiting on a server that still comes up.
          if (Files.exists(dir.resolve("data/postmaster.pid"))) {
            new Postgres(dir, port, adminPassword, password, postmasterPid(dir)).close();
          } else {
            deleteTree(dir);
          }
          throw new IllegalStateException("PostgreSQL did not start: " + failed.get() + "\n" + log);
        }
      }
    } catch (IOException | SQLException e) {
      throw new IllegalStateException("PostgreSQL did not start: " + e, e);
    }
  }

  private static void initdb(Path dir, String adminPassword) throws IOException {
    Path pwfile = dir.resolve("pwfile");
    Files.writeString(pwfile, adminPassword + "\n");
    if (asRoot()) {
      UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(dir, postgres);
      Files.setOwner(pwfile, postgres);
    }
    Optional<String> failed = run(dir, BIN.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U",
        "postgres", "--pwfile=" + pwfile, "-A", "scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync");
    Files.deleteIfExists(pwfile);
    if (failed.isPresent()) {
      deleteTree(dir);
      throw new IllegalStateException("initdb failed: " + failed.get());
    }
  }

  public int port() {
    return port;
  }

  /** The postmaster's process id. */
  public long pid() {
    return pid;
  }

  /** A new, empty database owned by {@link #USER}: its name. */
  public String newDatabase() {
    String name = "taskloop_" + databases.incrementAndGet();
    try (Connection c = superuser("postgres"); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name + " OWNER " + USER);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create database " + name + ": " + e.getMessage(), e);
    }
    return name;
  }

  /** The {@code postgresql://} URL of {@code database} as {@link #USER}, as users write it. */
  public String url(String database) {
    return url(database, password);
  }

  /** The same URL with another password. */
  public String url(String database, String password) {
    return "postgresql://" + USER + ":" + URLEncoder.encode(password, StandardCharsets.UTF_8) + "@127.0.0.1:" + port + "/"
        + database;
  }

  /** A JDBC connection to {@code database} as the superuser, for what a test does behind the store's back. */
  public Connection superuser(String database) throws SQLException {
    String jdbc = "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?connectTimeout=" + BOUND_S + "&socketTimeout="
        + BOUND_S;
    return DriverManager.getConnection(jdbc, "postgres", adminPassword);
  }

  /** Stops the server (fast shutdown: sessions are ended) and deletes its directory. Safe to call twice. */
  @Override
  public void close() {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    Optional<ProcessHandle> postmaster = ProcessHandle.of(pid);
    Optional<String> failed = pgCtl(dir, "-m", "fast", "-w", "-t", Long.toString(BOUND_S), "stop");
    // pg_ctl answers once the pid file is gone, a moment before the process is.
    postmaster.filter(p -> !exits(p, 10)).ifPresent(p -> {
      System.err.println("pg_ctl stop: " + failed.orElse("the postmaster is still running") + "; ending postmaster " + pid);
      p.destroy();
      if (!exits(p, 5)) {
        p.destroyForcibly();
      }
    });
    try {
      deleteTree(dir);
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e);
    }
  }

  // ---------------------------------------------------------------- processes

  private static Optional<String> pgCtl(Path dir, String... args) {
    List<String> command = new ArrayList<>(List.of(BIN.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString()));
    command.addAll(List.of(args));
    return run(dir, command.toArray(new String[0]));
  }

  /**
   * Runs a command (as postgres when the tests run as root) in {@code dir}, bounded; empty when it
   * exits 0, else what went wrong. Its output goes to a file, not a pipe: a server that pg_ctl
   * starts would hold a pipe open for as long as it runs.
   */
  private static Optional<String> run(Path dir, String... command) {
    List<String> full = new ArrayList<>();
    if (asRoot()) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(List.of(command));
    Path out = dir.resolve("command.out");
    try {
      Files.deleteIfExists(out);
      Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      if (!p.waitFor(BOUND_S + 10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return Optional.of(String.join(" ", command) + " did not end within " + (BOUND_S + 10) + " s");
      }
      String output = Files.exists(out) ? Files.readString(out) : "";
      return p.exitValue() == 0 ? Optional.empty()
          : Optional.of(String.join(" ", command) + " exited " + p.exitValue() + ": " + output.strip());
    } catch (IOException e) {
      return Optional.of(String.join(" ", command) + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of(String.join(" ", command) + ": interrupted");
    }
  }

  /** Whether {@code p} ends within {@code seconds}. */
  private static boolean exits(ProcessHandle p, long seconds) {
    try {
      p.onExit().get(seconds, TimeUnit.SECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      return !p.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !p.isAlive();
    }
  }

  private static long postmasterPid(Path dir) throws IOException {
    return Long.parseLong(Files.readAllLines(dir.resolve("data/postmaster.pid")).get(0).strip());
  }

  private static boolean asRoot() {
    try {
      return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (IOException | UnsupportedOperationException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  private static int freePort() {
    return ProcessCluster.freePorts(1).get(0);
  }

  private static String secret() {
    byte[] bytes = new byte[12];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  // ---------------------------------------------------------------- JUnit

  /**
   * Starts the shared server before a test class and hands it to parameters of type
   * {@link Postgres}; the run's root store closes it once every class is done.
   */
  public static final class Extension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(Postgres.class);

    @Override
    public void beforeAll(ExtensionContext context) {
      server(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == Postgres.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      return server(context);
    }

    private static Postgres server(ExtensionContext context) {
      return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(Postgres.class, k -> shared(), Postgres.class);
    }
  }
}
