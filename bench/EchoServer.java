import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;

/**
 * The echo baseline for taskloop's HTTP benchmarks: a plain Vert.x core HTTP server whose every
 * POST answers 200 with the JSON body it received, Content-Type application/json. Same Vert.x
 * (from taskloop's fat jar), same server options as a taskloop loop (127.0.0.1, TCP_NODELAY,
 * no compression), one verticle instance per event loop, all sharing one port.
 *
 * <pre>java -cp target/taskloop.jar bench/EchoServer.java PORT INSTANCES</pre>
 *
 * It reads the whole body and writes it back untouched: no JSON decoding, no routing, no
 * BodyHandler. That makes it the ceiling of an HTTP/1.1 JSON round trip on this machine.
 */
public class EchoServer {

  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: java -cp target/taskloop.jar bench/EchoServer.java PORT INSTANCES");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    int instances = Integer.parseInt(args[1]);
    Vertx vertx = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(instances)).build();
    vertx.deployVerticle(() -> new Echo(port), new DeploymentOptions().setInstances(instances))
        .onSuccess(id -> System.out.println("echo serving http://127.0.0.1:" + port + " with " + instances
            + " verticle instances on " + instances + " event loops (Vert.x " + vertxVersion() + ")"))
        .onFailure(err -> {
          System.err.println("echo failed to start: " + err);
          System.exit(1);
        });
  }

  /** vertx-core's version, read from the Maven metadata the fat jar carries. */
  static String vertxVersion() {
    try (java.io.InputStream in = Vertx.class.getResourceAsStream("/META-INF/maven/io.vertx/vertx-core/pom.properties")) {
      java.util.Properties p = new java.util.Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (Exception e) {
      return "unknown";
    }
  }

  static final class Echo extends VerticleBase {
    private final int port;

    Echo(int port) {
      this.port = port;
    }

    @Override
    public Future<?> start() {
      HttpServerOptions options = new HttpServerOptions()
          .setHost("127.0.0.1")
          .setPort(port)
          .setCompressionSupported(false)
          .setTcpNoDelay(true);
      return vertx.createHttpServer(options)
          .requestHandler(req -> req.body()
              .onSuccess(body -> req.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(body))
              .onFailure(err -> req.response().setStatusCode(400).end()))
          .listen();
    }
  }
}
