package io.taskloop.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A task's id kept as a shared prefix and a sequence answers as the id's text would. */
class IdPrefixTest {

  private static final List<String> PREFIXES = List.of("k1bqkw-0-", "n-17-", "a\"b-1-", "", "x-y-2-");

  @Test
  void theHashIsTheTextsHashForEverySequence() {
    Random random = new Random(3);
    for (String text : PREFIXES) {
      IdPrefix prefix = IdPrefix.of(text);
      long[] edges = {0, 1, 9, 10, 99, 100, 999_999_999L, 1_000_000_000L, Integer.MAX_VALUE, Long.MAX_VALUE};
      for (long seq : edges) {
        assertEquals((text + seq).hashCode(), prefix.hashOf(seq), text + seq);
      }
      for (int i = 0; i < 10_000; i++) {
        long seq = (random.nextLong() >>> 1) >>> random.nextInt(63);
        assertEquals((text + seq).hashCode(), prefix.hashOf(seq), text + seq);
      }
    }
  }

  @Test
  void itNamesItsOwnIdsAndNoOtherText() {
    IdPrefix prefix = IdPrefix.of("k1bqkw-0-");
    for (long seq : new long[] {0, 1, 7, 10, 1234, Long.MAX_VALUE}) {
      assertTrue(prefix.names("k1bqkw-0-" + seq, seq));
      assertFalse(prefix.names("k1bqkw-0-" + (seq + 1), seq));
      assertFalse(prefix.names("k1bqkw-0-0" + seq, seq), "a leading zero");
      assertFalse(prefix.names("k1bqkw-0-+" + seq, seq), "a sign");
      assertFalse(prefix.names("k1bqkw-0-" + seq + "0", seq));
      assertFalse(prefix.names("k1bqkw-1-" + seq, seq), "another loop");
      assertFalse(prefix.names("xk1bqkw-0-" + seq, seq), "a longer prefix");
      assertFalse(prefix.names("1bqkw-0-" + seq, seq), "a shorter prefix");
    }
    assertFalse(prefix.names("k1bqkw-0-", 0));
    assertFalse(prefix.names("", 0));
  }

  @Test
  void theIdsJsonIsTheTextsJson() {
    for (String text : PREFIXES) {
      StringBuilder mine = new StringBuilder();
      IdPrefix.of(text).appendJson(mine, 42);
      StringBuilder plain = new StringBuilder();
      JsonText.string(plain, text + 42);
      assertEquals(plain.toString(), mine.toString());
    }
  }

  @Test
  void aRecordsIdReadsBackAsTheSameSharedPrefix() {
    Owner owner = new Owner("n1", 0);
    TaskSpec spec = new SpecDecoder(1000, 32, new OutboundGuard(List.of("*"), List.of()))
        .decode(new io.vertx.core.json.JsonObject().put("type", "sleep").put("delay_ms", 5));
    Task a = Task.born("n1-0-17", owner, spec, null, List.of(), 1_000);
    Task b = Task.born(IdPrefix.of("n1-0-"), 17, owner, spec, null, List.of(), 2_000, 0);
    assertSame(a.idPrefix(), b.idPrefix());
    assertEquals("n1-0-17", a.id());
    assertEquals(17, a.seq());
    assertTrue(a.sameTask(b));
    assertTrue(a.hasId("n1-0-17"));
    assertEquals("n1-0-17".hashCode(), a.idHash());
    assertThrows(IllegalArgumentException.class, () -> IdPrefix.ofId("n1-0-017"));
    assertThrows(IllegalArgumentException.class, () -> IdPrefix.ofId("n1-0-x"));
    assertThrows(IllegalArgumentException.class, () -> IdPrefix.ofId("n1"));
  }
}
