package io.taskloop.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** How {@code Prefer: wait=S} is found among a Prefer header's preferences (RFC 7240). */
class WaitParamTest {

  @Test
  void findsWaitAmongPreferencesAndParameters() {
    assertEquals("5", WaitParam.preference("wait=5", "wait"));
    assertEquals("5", WaitParam.preference("respond-async, wait=5", "wait"));
    assertEquals("2.5", WaitParam.preference("return=minimal; wait=2.5 ;x=1", "wait"));
    assertEquals("1", WaitParam.preference("  WAIT=1", "wait"), "names are case-insensitive");
    assertEquals("3", WaitParam.preference("wait=3, wait=9", "wait"), "the first one counts");
    assertEquals("", WaitParam.preference("wait=", "wait"), "an empty value is found, and refused by the parser");
    assertEquals("never", WaitParam.preference("wait=never", "wait"));
  }

  @Test
  void otherPreferencesAreNotWait() {
    assertNull(WaitParam.preference("waits=3", "wait"));
    assertNull(WaitParam.preference("respond-async", "wait"));
    assertNull(WaitParam.preference("", "wait"));
    assertNull(WaitParam.preference("wait", "wait"));
    assertNull(WaitParam.preference(",;,", "wait"));
    assertNull(WaitParam.preference("x=wait=3", "wait"));
  }
}
