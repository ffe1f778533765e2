package io.taskloop.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Instants on the wire are written exactly as {@link Instant#toString()} writes them. */
class TaskJsonTimeTest {

  @Test
  void writesInstantsAsInstantDoes() {
    long[] edges = {1, -1, 999, 1_000, 1_001, -999, -1_000, -1_001, 1_764_740_000_000L, 1_764_740_000_100L,
        1_764_740_000_010L, 1_764_740_000_001L, 253_402_300_799_999L, 253_402_300_800_000L, -62_135_596_800_001L};
    for (long ms : edges) {
      assertEquals(Instant.ofEpochMilli(ms).toString(), TaskJson.time(ms), "epoch ms " + ms);
    }
    SplittableRandom random = new SplittableRandom(7);
    long ms = 1_764_740_000_000L;
    for (int i = 0; i < 20_000; i++) {
      // Mostly the same second as before (the cache's case), now and then a jump anywhere.
      ms = i % 97 == 0 ? random.nextLong(-100_000_000_000_000L, 100_000_000_000_000L) : ms + random.nextInt(0, 400);
      if (ms != 0) {
        assertEquals(Instant.ofEpochMilli(ms).toString(), TaskJson.time(ms), "epoch ms " + ms);
      }
    }
    assertNull(TaskJson.time(0), "0 is no instant");
  }
}
