package io.taskloop.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.taskloop.task.OutboundGuard;
import io.taskloop.task.Owner;
import io.taskloop.task.Problem;
import io.taskloop.task.SleepSpec;
import io.taskloop.task.SpecDecoder;
import io.taskloop.task.Task;
import io.taskloop.task.TaskJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What crosses between nodes: any failure a loop answers with is a Problem on the other side. */
class WireCodecTest {

  private final WireCodec codec = new WireCodec();

  private Object roundTrip(Object o) {
    Buffer buffer = Buffer.buffer();
    codec.encodeToWire(buffer, o);
    return codec.decodeFromWire(0, buffer);
  }

  private static Task finished() {
    SpecDecoder specs = new SpecDecoder(1000, 32, new OutboundGuard(List.of("*"), List.of()));
    JsonObject spec = new JsonObject().put("type", "sleep").put("delay_ms", 0).put("name", "caf\u00e9 \"q\"")
        .put("result", new JsonObject().put("rows", new JsonArray().add(1).add(2.5).addNull()).put("\u4e2d", "\ud83d\ude00"));
    Task born = Task.born("n1-0-7", new Owner("n1", 0), specs.decode(spec), null, List.of(), 1_764_900_000_000L);
    return born.succeed(((SleepSpec) born.spec()).result(), 1_764_900_000_004L).to();
  }

  @Test
  void aTaskCrossesAsTheTextItsOwnerMadeAndIsAnsweredWithIt() {
    Task task = finished();
    Buffer buffer = Buffer.buffer();
    codec.encodeToWire(buffer, task);
    // The frame is the JSON object's, as a node that builds the object writes it and reads it.
    assertEquals(buffer.length() - 4, buffer.getInt(0));
    assertEquals(codec.encode(task), new JsonObject(buffer.getBuffer(4, buffer.length())));
    Task readAsObject = assertInstanceOf(Task.class, codec.decode(JsonFrames.read(0, buffer)));
    assertEquals(TaskJson.task(task), TaskJson.task(readAsObject));
    Task back = assertInstanceOf(Task.class, codec.decodeFromWire(0, buffer));
    assertEquals(task.json(), back.json());
    assertEquals(TaskJson.task(task), TaskJson.task(back));
    // Framed after other bytes, as the event bus frames a message, it reads back the same.
    Buffer after = Buffer.buffer().appendString("xyz");
    codec.encodeToWire(after, task);
    assertEquals(buffer.getInt(0), after.getInt(3));
    assertEquals(task.json(), assertInstanceOf(Task.class, codec.decodeFromWire(3, after)).json());
  }

  /** A frame from a node that encodes the object: its text may escape differently, so the record's text is made here. */
  @Test
  void aTaskFramedAsItsJsonObjectIsReadTheSame() {
    Task task = finished();
    Buffer buffer = Buffer.buffer();
    JsonFrames.write(buffer, codec.encode(task));
    Buffer padded = Buffer.buffer().appendString("xyz").appendBuffer(buffer);
    Task back = assertInstanceOf(Task.class, codec.decodeFromWire(3, padded));
    assertEquals(task.json(), back.json());
    assertEquals(task.version(), back.version());
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
