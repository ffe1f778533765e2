package io.taskloop.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.taskloop.task.Problem;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

/** What crosses between nodes: any failure a loop answers with is a Problem on the other side. */
class WireCodecTest {

  private final WireCodec codec = new WireCodec();

  private Object roundTrip(Object o) {
    Buffer buffer = Buffer.buffer();
    codec.encodeToWire(buffer, o);
    return codec.decodeFromWire(0, buffer);
  }

  @Test
  void aProblemCrossesAsItself() {
    Problem p = assertInstanceOf(Problem.class, roundTrip(Problem.conflict("already finished")));
    assertEquals(409, p.status());
    assertEquals("already finished", p.getMessage());
  }

  @Test
  void anyOtherFailureCrossesAsAnInternalProblem() {
    Problem p = assertInstanceOf(Problem.class, roundTrip(new IllegalStateException("a bug")));
    assertEquals(500, p.status());
  }
}
