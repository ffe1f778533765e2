package io.taskloop.loop;

import io.taskloop.task.Outcome;
import io.taskloop.task.Task;
import io.taskloop.task.TaskType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The running side of a gather, wait, wait_for or shield: which children have finished and how.
 * Lives on the parent's loop while the parent runs. A child named twice fills both slots.
 */
final class Composite {

  private final TaskType type;
  private final List<String> children;
  private final Set<String> distinct;
  private final Map<String, Outcome> done = new HashMap<>();

  Composite(Task parent) {
    this.type = parent.type();
    this.children = parent.children();
    this.distinct = new LinkedHashSet<>(children);
  }

  Set<String> distinctChildren() {
    return distinct;
  }

  /** Records how a child ended; false if it was recorded already (a repeated notice) or is not a child. */
  boolean record(Outcome child) {
    return distinct.contains(child.id()) && done.putIfAbsent(child.id(), child) == null;
  }

  boolean allDone() {
    return done.size() == distinct.size();
  }

  /** gather and wait_for pass cancellation on to their children; wait and shield do not. */
  boolean passesCancellation() {
    return type == TaskType.GATHER || type == TaskType.WAIT_FOR;
  }

  List<String> unfinishedChildren() {
    List<String> out = new ArrayList<>();
    for (String id : distinct) {
      if (!done.containsKey(id)) {
        out.add(id);
      }
    }
    return out;
  }

  /** Finished children, one per input slot; call only when {@link #allDone()}. */
  List<Outcome> inOrder() {
    List<Outcome> out = new ArrayList<>(children.size());
    for (String id : children) {
      out.add(done.get(id));
    }
    return out;
  }

  /** wait's result: {@code {done: [ids], pending: [ids]}}, each in input order. */
  JsonObject partition() {
    JsonArray finished = new JsonArray();
    JsonArray pending = new JsonArray();
    for (String id : distinct) {
      (done.containsKey(id) ? finished : pending).add(id);
    }
    return new JsonObject().put("done", finished).put("pending", pending);
  }
}
