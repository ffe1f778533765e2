package io.taskloop.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.taskloop.task.IdPrefix;
import io.taskloop.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The list's sequence index against a sorted set of the same ids, through adds in and out of order, removals and compactions. */
class SeqIndexTest {

  private static void add(SeqIndex index, String id) {
    index.add(IdPrefix.ofId(id), Task.seqOf(id));
  }

  private static void remove(SeqIndex index, String id) {
    index.remove(IdPrefix.ofId(id), Task.seqOf(id));
  }

  private static String id(long seq) {
    return (seq % 3 == 0 ? "other-1-" : "node-0-") + seq;
  }

  @Test
  void idsOfTwoNodesWithOneSequenceAreBothKeptInOrder() {
    SeqIndex index = new SeqIndex();
    add(index, "node-0-1");
    add(index, "node-0-5");
    add(index, "abc-2-5"); // adopted: the same sequence, another node
    add(index, "node-0-6");
    List<String> seen = new ArrayList<>();
    index.ascending(0, (p, s) -> seen.add(p.id(s)));
    assertEquals(List.of("node-0-1", "abc-2-5", "node-0-5", "node-0-6"), seen);
    List<String> down = new ArrayList<>();
    index.descending(6, (p, s) -> down.add(p.id(s)));
    assertEquals(List.of("node-0-5", "abc-2-5", "node-0-1"), down);
    remove(index, "abc-2-5");
    remove(index, "node-0-6");
    List<String> rest = new ArrayList<>();
    index.ascending(1, (p, s) -> rest.add(p.id(s)));
    assertEquals(List.of("node-0-5"), rest);
  }

  private static List<Long> walk(SeqIndex index, long from, boolean newest, int limit) {
    List<Long> out = new ArrayList<>();
    SeqIndex.Visit take = (prefix, seq) -> {
      out.add(seq);
      return out.size() < limit;
    };
    if (newest) {
      index.descending(from, take);
    } else {
      index.ascending(from, take);
    }
    return out;
  }

  @Test
  void pagesMatchASortedSetThroughAddsRemovalsAndCompactions() {
    Random random = new Random(7);
    SeqIndex index = new SeqIndex();
    TreeSet<Long> model = new TreeSet<>();
    long next = 1;
    for (int step = 0; step < 200_000; step++) {
      int what = random.nextInt(10);
      if (what < 6) {
        long seq = next++;
        add(index, id(seq));
        model.add(seq);
      } else if (what == 6) { // arrives out of order (adopted, taken up at restart)
        long seq = 1_000_000 + random.nextInt(1_000_000);
        if (model.add(seq)) {
          add(index, id(seq));
        }
      } else if (what == 7) { // a composite: its id made first, its record stored after its children's
        long parent = next++;
        int children = random.nextInt(random.nextBoolean() ? 10 : 100);
        for (int c = 0; c < children; c++) {
          add(index, id(next));
          model.add(next++);
        }
        add(index, id(parent));
        model.add(parent);
      } else if (!model.isEmpty()) {
        Long seq = random.nextBoolean() ? model.first() : model.ceiling((long) random.nextInt((int) next + 1));
        if (seq != null) {
          model.remove(seq);
          remove(index, id(seq));
        }
      }
      if (step % 5_000 == 0) {
        long from = random.nextInt((int) next + 1);
        assertEquals(new ArrayList<>(model.tailSet(from, false)).subList(0, Math.min(50, model.tailSet(from, false).size())),
            walk(index, from, false, 50), "ascending after " + from + " at step " + step);
        List<Long> down = new ArrayList<>(model.headSet(from, false).descendingSet());
        assertEquals(down.subList(0, Math.min(50, down.size())), walk(index, from, true, 50), "descending below " + from);
      }
    }
    assertEquals(new ArrayList<>(model), walk(index, 0, false, Integer.MAX_VALUE), "every id once, in order");
    List<Long> all = new ArrayList<>(model.descendingSet());
    assertEquals(all, walk(index, Long.MAX_VALUE, true, Integer.MAX_VALUE));
    for (Long seq : new ArrayList<>(model)) {
      remove(index, id(seq));
    }
    assertEquals(List.of(), walk(index, 0, false, 10));
  }
}
