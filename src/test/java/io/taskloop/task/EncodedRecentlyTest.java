package io.taskloop.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A task's JSON text is shared while fresh and dropped after two sweeps, so a held task does not carry it. */
class EncodedRecentlyTest {

  @Test
  void theTextIsSharedUntilTwoSweepsPassedThenMadeAgain() {
    TaskSpec spec = new SpecDecoder(1000, 32, new OutboundGuard(List.of("*"), List.of()))
        .decode(new JsonObject().put("type", "sleep").put("delay_ms", 600_000));
    Task task = Task.born("n1-0-1", new Owner("n1", 0), spec, null, List.of(), 1_700_000_000_000L);
    EncodedRecently.sweep();
    EncodedRecently.sweep(); // whatever other tests left is gone
    String text = task.json();
    assertSame(text, task.json(), "made once, shared");
    EncodedRecently.sweep();
    assertSame(text, task.json(), "one sweep later it is still kept: the commit and the answer may still want it");
    EncodedRecently.sweep();
    String again = task.json();
    assertNotSame(text, again, "two sweeps later it was dropped and is made again");
    assertEquals(text, again);
  }
}
