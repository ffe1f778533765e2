package io.taskloop.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Equal plain sleeps share one spec; anything that tells two sleeps apart keeps them apart. */
class SleepSpecTest {

  @Test
  void equalPlainSleepsShareOneSpec() {
    assertSame(SleepSpec.of(Common.NONE, 600_000, null), SleepSpec.of(Common.NONE, 600_000, null));
    assertSame(SleepSpec.of(Common.NONE, 5, "done"), SleepSpec.of(Common.NONE, 5, "done"));
  }

  @Test
  void whatTellsSleepsApartKeepsThemApart() {
    SleepSpec plain = SleepSpec.of(Common.NONE, 7, 1);
    assertNotSame(plain, SleepSpec.of(Common.NONE, 8, 1));
    assertNotSame(plain, SleepSpec.of(Common.NONE, 7, 2));
    // 1 and 1L and 1.0 are different JSON values as a client reads them back
    assertEquals(1L, SleepSpec.of(Common.NONE, 7, 1L).result());
    assertEquals(1.0, SleepSpec.of(Common.NONE, 7, 1.0).result());
    assertEquals(1, SleepSpec.of(Common.NONE, 7, 1).result());
    Common named = Common.of("n", -1, Map.of(), null, null, "");
    assertSame(named, SleepSpec.of(named, 7, 1).common());
    assertSame(Common.NONE, SleepSpec.of(Common.NONE, 7, 1).common());
  }

  @Test
  void aTenantsEqualSleepsShareAndNeverAnotherTenants() {
    // "Aa" and "BB" have one String hash: their commons and sleeps fall in the same slots.
    Common acme = Common.of(null, -1, Map.of(), null, null, "Aa");
    Common globex = Common.of(null, -1, Map.of(), null, null, "BB");
    assertEquals("BB", globex.tenant());
    assertSame(globex, Common.of(null, -1, Map.of(), null, null, "BB"), "a tenant's bare common is shared");
    SleepSpec mine = SleepSpec.of(acme, 9, "r");
    assertSame(mine, SleepSpec.of(acme, 9, "r"));
    assertEquals("Aa", mine.common().tenant());
    assertEquals("BB", SleepSpec.of(globex, 9, "r").common().tenant());
    assertEquals("", SleepSpec.of(Common.NONE, 9, "r").common().tenant());
    assertEquals("Aa", SleepSpec.of(acme, 9, "r").common().tenant());
    Common labelled = Common.of(null, -1, Map.of("k", "v"), null, null, "acme");
    assertSame(labelled, SleepSpec.of(labelled, 9, "r").common(), "a common with more than its tenant is its own");
  }

  @Test
  void structuredResultsAreNeverShared() {
    JsonObject result = new JsonObject().put("k", 1);
    SleepSpec first = SleepSpec.of(Common.NONE, 3, result);
    assertNotSame(first, SleepSpec.of(Common.NONE, 3, result.copy()));
    assertSame(result, first.result());
  }

  @Test
  void decodedSleepsOfEqualBodiesShare() {
    JsonObject body = new JsonObject().put("type", "sleep").put("delay_ms", 1234);
    SpecDecoder specs = new SpecDecoder(1000, 32, new OutboundGuard(List.of("*"), List.of()));
    TaskSpec a = specs.decode(body.copy());
    TaskSpec b = specs.decode(body.copy());
    assertSame(a, b);
  }
}
