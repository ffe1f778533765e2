import io.taskloop.auth.Authenticator;
import io.taskloop.auth.Caller;
import io.taskloop.config.AuthSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the auth check costs a request, alone and steady: Authenticator.caller(...) for a valid
 * API key (hash the key, look it up), as Access.handle calls it for every /v1 request, timed
 * over many calls on one thread after a warm-up. Beside the throughput of create-and-await
 * (bench/compare.sh), it says what share of a request's CPU the check takes.
 *
 *   java -cp target/taskloop.jar bench/AuthCost.java KEYS_FILE KEY [calls]
 */
public class AuthCost {

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    String header = "Bearer " + Files.readString(Path.of(args[1])).trim();
    long calls = args.length > 2 ? Long.parseLong(args[2]) : 5_000_000;
    Vertx vertx = Vertx.vertx();
    AuthSettings keys = new AuthSettings("keys", file.toString(), "", "", "RS256", "", "", "tenant", "scope", false, 0, 0,
        java.util.List.of());
    Authenticator auth = Authenticator.load(vertx, keys);
    long sink = 0;
    for (int round = 0; round < 5; round++) {
      long started = System.nanoTime();
      for (long i = 0; i < calls; i++) {
        Future<Caller> caller = auth.caller(header);
        sink += caller.result().tenant().length();
      }
      long ns = System.nanoTime() - started;
      System.out.printf("round %d: %d calls, %.0f ns per call%n", round, calls, (double) ns / calls);
    }
    System.out.println("(checksum " + sink + ")");
    vertx.close();
  }
}
