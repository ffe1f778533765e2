package io.taskloop.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TimerQueueTest {

  @Test
  void pollsInDueOrderThroughGrowthAndShrinking() {
    TimerQueue<Long> q = new TimerQueue<>();
    Random random = new Random(7);
    List<Long> added = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      long at = random.nextInt(1_000_000);
      q.add(at, at);
      added.add(at);
    }
    added.sort(Long::compare);
    List<Long> polled = new ArrayList<>();
    while (!q.isEmpty()) {
      long due = q.peekDue();
      long item = q.poll();
      assertEquals(due, item);
      polled.add(item);
    }
    assertEquals(added, polled);
    assertEquals(Long.MAX_VALUE, q.peekDue());
  }

  @Test
  void interleavedAddsAndPollsKeepTheHeapOrdered() {
    TimerQueue<Integer> q = new TimerQueue<>();
    Random random = new Random(11);
    long last = Long.MIN_VALUE;
    for (int round = 0; round < 5_000; round++) {
      q.add(last + 1 + random.nextInt(100), round);
      if (random.nextBoolean()) {
        long due = q.peekDue();
        q.poll();
        assertTrue(due >= last);
        last = due;
      }
    }
  }
}
