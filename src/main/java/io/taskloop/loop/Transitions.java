package io.taskloop.loop;

import io.taskloop.metrics.Metrics;
import io.taskloop.task.OnDone;
import io.taskloop.task.Task;
import io.taskloop.task.Transition;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one path by which a loop's tasks change. {@link #apply} checks a transition against the
 * state table and against the record the loop holds (a change computed from an older record is
 * refused), stores the new record, and only then runs the change's effects, each once and in
 * this order: the counts, replication, the reactions of the other parts of the engine (stop an
 * attempt, pass cancellation on, stop waiting for an event), the watchers on this node; then,
 * once the record is durable, the live streams, the long polls and other nodes' parents, the
 * {@code taskloop.v1.task.done} publication and the {@code on_done} hooks.
 *
 * <p>Effects never call back into the path on the same stack: a transition applied while
 * effects run (a parent that ends because its child did) is stored at once and its effects
 * queue behind the current ones.
 */
final class Transitions {

  private static final Logger LOG = LoggerFactory.getLogger(Transitions.class);

  /** What another part of the engine does when a task of this loop changes. */
  interface Reaction {
    void react(Transition t);
  }

  private final Vertx vertx;
  private final TaskTable table;
  private final Watchers watchers;
  private final Metrics metrics;
  private final ChangeLog changes;
  private final NodeContext node;
  private final String streamAddress;
  private final DeliveryOptions streamOptions = LoopLink.localOptions();
  private final DeliveryOptions doneOptions = new DeliveryOptions().setCodecName(Wire.DONE_CODEC);
  private final Outbound outbound;
  private final List<Reaction> reactions = new ArrayList<>();
  private final ArrayDeque<Transition> queue = new ArrayDeque<>();
  private Replication replication = Replication.NONE;
  private boolean draining;

  Transitions(Vertx vertx, NodeContext node, TaskTable table, Watchers watchers, ChangeLog changes, Outbound outbound) {
    this.vertx = vertx;
    this.node = node;
    this.table = table;
    this.watchers = watchers;
    this.changes = changes;
    this.outbound = outbound;
    this.metrics = node.metrics();
    this.streamAddress = Addresses.stream(node.nodeId());
  }

  void react(Reaction reaction) {
    reactions.add(reaction);
  }

  void replicateWith(Replication replication) {
    this.replication = replication;
  }

  Replication replication() {
    return replication;
  }

  /**
   * Applies {@code t} if its record is still the one held (for a new or adopted task: if none is
   * held). Answers the record held afterwards: {@code t.to()}, or the newer record that made
   * {@code t} stale.
   */
  Task apply(Transition t) {
    Task held = table.get(t.id());
    boolean arrives = t.move() == Transition.Move.CREATE || t.move() == Transition.Move.ADOPT;
    if (arrives ? held != null : held != t.from()) {
      LOG.debug("{} of task {} not applied: the loop holds {}", t.move().wire(), t.id(), held);
      return held;
    }
    if (!t.legal()) {
      throw new IllegalStateException(t.move().wire() + " of task " + t.id() + " from " + t.from() + " to " + t.to()
          + " is not in the state table");
    }
    table.store(t);
    queue.addLast(t);
    if (!draining) {
      drain();
    }
    return t.to();
  }

  private void drain() {
    draining = true;
    try {
      Transition t;
      while ((t = queue.pollFirst()) != null) {
        effects(t);
      }
    } finally {
      draining = false;
    }
  }

  private void effects(Transition t) {
    Task task = t.to();
    if (t.move() == Transition.Move.CREATE) {
      metrics.created(task.type());
    }
    if (t.finishes()) {
      metrics.finished(task.type(), task.state());
    }
    replication.changed(task);
    for (Reaction reaction : reactions) {
      reaction.react(t);
    }
    if (t.finishes()) {
      tell(watchers.takeLocal(task.id()), task);
    }
    durable(t);
  }

  /** What waits until the change is durable: streams, long polls, remote parents, publication, hooks. */
  private void durable(Transition t) {
    Task task = t.to();
    ChangeLog.Change change = changes.append(task);
    if (node.streamsOpen() > 0) {
      vertx.eventBus().publish(streamAddress, change, streamOptions);
    }
    if (t.finishes()) {
      tell(watchers.takeDurable(task.id()), task);
      announce(task);
    }
  }

  private static void tell(List<Consumer<Task>> listeners, Task task) {
    for (Consumer<Task> listener : listeners) {
      listener.accept(task);
    }
  }

  /** Publishes the finish on {@code taskloop.v1.task.done}; the codec builds JSON only for a consumer that reads it. */
  private void announce(Task task) {
    vertx.eventBus().publish(Addresses.TASK_DONE, new DoneNotice(task, node.nodeId()), doneOptions);
    OnDone hook = task.spec().common().onDone();
    if (hook != null) {
      outbound.done(hook, task);
    }
  }

  /** A change the caller waits on before it answers: durable now, as nothing is journaled yet. */
  Future<Task> settled(Task task) {
    return Future.succeededFuture(task);
  }
}
