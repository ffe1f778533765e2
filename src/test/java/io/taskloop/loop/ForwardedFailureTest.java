package io.taskloop.loop;

import static io.taskloop.support.TestServer.bounded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.taskloop.support.TestServer;
import io.taskloop.task.Problem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A loop that fails a forwarded command with something other than a Problem (a bug) answers the
 * asker at once with a 500 Problem; before, the reply could not be encoded and the asker waited
 * for its send timeout.
 */
@ExtendWith(VertxExtension.class)
class ForwardedFailureTest {

  /** A command that throws, as a bug in the engine would. */
  record Throws() implements LoopCommand<Void> {
    public Future<Void> run(TaskEngine e) {
      throw new IllegalStateException("a bug on the owner's loop");
    }
  }

  /** A command whose answer fails with an exception that is not a Problem. */
  record FailsOddly() implements LoopCommand<Void> {
    public Future<Void> run(TaskEngine e) {
      return Future.failedFuture(new ArithmeticException("/ by zero"));
    }
  }

  private TestServer server;
  private Vertx vertx;

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    server = TestServer.start(vertx);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private Object ask(LoopCommand<?> command) {
    // The send timeout is the old behaviour's answer: a ReplyException(TIMEOUT) after 10 s fails this test.
    DeliveryOptions options = new DeliveryOptions().setCodecName(Wire.CODEC).setLocalOnly(true).setSendTimeout(10_000);
    return bounded(vertx.eventBus().request(Addresses.loop(server.node.id(), 1), command, options)).body();
  }

  @Test
  void aThrownBugIsAnsweredAsAProblemAtOnce() {
    Problem p = assertInstanceOf(Problem.class, ask(new Throws()));
    assertEquals(500, p.status());
  }

  @Test
  void aFailureThatIsNotAProblemIsAnsweredAsOne() {
    Problem p = assertInstanceOf(Problem.class, ask(new FailsOddly()));
    assertEquals(500, p.status());
  }
}
