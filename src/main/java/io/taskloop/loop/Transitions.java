package io.taskloop.loop;

import io.taskloop.metrics.Metrics;
import io.taskloop.task.OnDone;
import io.taskloop.task.Task;
import io.taskloop.task.Transition;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
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

  private static final Future<Void> DONE = Future.succeededFuture();

  /** A stored transition whose effects are to run, and the write that makes it durable. */
  private record Queued(Transition transition, Future<Void> durable) {
  }

  /** A client's change waiting for its commit; {@code settled} completes when it is decided. */
  private static final class Pending {
    final Promise<Void> settled = Promise.promise();
    final List<Transition> deferred = new ArrayList<>(1);
  }

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
  private final ArrayDeque<Queued> queue = new ArrayDeque<>();
  private final Journal journal;
  /** Client changes waiting for their commit, by task; the loop's own moves on the task wait behind them. */
  private final Map<String, Pending> pending = new HashMap<>();
  /** The latest write of a task that is not durable yet. */
  private final Map<String, Future<Void>> undurable = new HashMap<>();
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
    this.journal = node.journal();
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

  /** Whether a client's change to the task waits for its commit (moves made now would wait behind it). */
  boolean busy(String id) {
    return pending.containsKey(id);
  }

  /**
   * Applies {@code t} if its record is still the one held (for a new or adopted task: if none is
   * held). Answers the record held afterwards: {@code t.to()}, or the newer record that made
   * {@code t} stale. The record is journaled (and replicated) behind the loop's back; what waits
   * for durability waits for that write. While a client's change to the task waits for its
   * commit, {@code t} waits behind it (and is refused if that change ended the task).
   */
  Task apply(Transition t) {
    Pending busy = pending.isEmpty() ? null : pending.get(t.id());
    if (busy != null) {
      busy.deferred.add(t);
      return table.get(t.to());
    }
    Queued q = store(t, null);
    return q == null ? table.get(t.to()) : t.to();
  }

  /**
   * A change a client waits on: computed from the record held now ({@code change} throws the
   * Problem that refuses it), committed to the journal, and only then stored and its effects
   * run. Answers once it is durable (and, in a cluster, replicated); if its commit fails it
   * fails with a 503 and the task is as it was.
   */
  Future<Task> commit(String id, Function<Task, Transition> change) {
    Pending busy = pending.get(id);
    if (busy != null) {
      return busy.settled.future().transform(ar -> commit(id, change));
    }
    Transition t;
    try {
      t = change.apply(table.get(id));
    } catch (RuntimeException refused) {
      return Future.failedFuture(refused);
    }
    if (!journal.keeps()) {
      Queued q = store(t, null);
      return q == null ? Future.succeededFuture(table.get(id)) : q.durable.map(t.to());
    }
    Pending p = new Pending();
    pending.put(id, p);
    return journal.commit(t.to()).transform(ar -> {
      pending.remove(id);
      Queued q = ar.succeeded() ? store(t, DONE) : null;
      for (Transition deferred : p.deferred) {
        apply(deferred); // after a commit that ended the task these are stale, and refused
      }
      p.settled.complete();
      if (ar.failed()) {
        return Future.failedFuture(ar.cause());
      }
      return q == null ? Future.succeededFuture(table.get(id)) : q.durable.map(t.to());
    });
  }

  /**
   * New tasks whose records a create hands to the journal ({@code committed} completes when
   * that commit is durable): stored and their effects run now, their durable effects once the
   * commit and replication hold them. Answers when the last of them is durable.
   */
  Future<Void> arrive(List<Task> born, Future<Void> committed) {
    Future<Void> last = committed;
    for (Task task : born) {
      Queued q = store(Transition.create(task), committed);
      if (q != null) {
        last = q.durable;
      }
    }
    return last;
  }

  /** The task once its latest change is durable (at once when it is). */
  Future<Task> settled(Task task) {
    Future<Void> latest = undurable.isEmpty() ? null : undurable.get(task.id());
    return latest == null ? Future.succeededFuture(task) : latest.map(v -> {
      Task now = table.get(task);
      return now != null ? now : task;
    });
  }

  /** Whether every change of the task is durable: only then may it leave memory for the store. */
  boolean isDurable(Task task) {
    if (undurable.isEmpty() && pending.isEmpty()) {
      return true;
    }
    String id = task.id();
    return !undurable.containsKey(id) && !pending.containsKey(id);
  }

  /** {@code journaled}: the commit that holds the record already (null: write it now, until it lands). */
  private Queued store(Transition t, Future<Void> journaled) {
    Task held = table.get(t.to());
    boolean arrives = t.move() == Transition.Move.CREATE || t.move() == Transition.Move.ADOPT;
    if (arrives ? held != null : held != t.from()) {
      LOG.debug("{} of task {} not applied: the loop holds {}", t.move().wire(), t.id(), held);
      return null;
    }
    if (!t.legal()) {
      throw new IllegalStateException(t.move().wire() + " of task " + t.id() + " from " + t.from() + " to " + t.to()
          + " is not in the state table");
    }
    table.store(t);
    Task task = t.to();
    Future<Void> durable = both(journaled != null ? journaled : journal.write(task), replication.changed(task));
    if (!durable.isComplete()) {
      String id = task.id();
      undurable.put(id, durable);
      durable.onComplete(ar -> undurable.remove(id, durable));
    }
    Queued q = new Queued(t, durable);
    queue.addLast(q);
    if (!draining) {
      drain();
    }
    return q;
  }

  private static Future<Void> both(Future<Void> a, Future<Void> b) {
    if (b.succeeded()) {
      return a;
    }
    if (a.succeeded()) {
      return b;
    }
    return Future.all(a, b).mapEmpty();
  }

  private void drain() {
    draining = true;
    try {
      Queued q;
      while ((q = queue.pollFirst()) != null) {
        effects(q);
      }
    } finally {
      draining = false;
    }
  }

  private void effects(Queued q) {
    Transition t = q.transition;
    Task task = t.to();
    if (t.move() == Transition.Move.CREATE) {
      metrics.created(task.type());
    }
    if (t.finishes()) {
      metrics.finished(task.type(), task.state());
    }
    for (Reaction reaction : reactions) {
      reaction.react(t);
    }
    if (t.finishes()) {
      tell(watchers.takeLocal(task), task);
    }
    if (q.durable.succeeded()) {
      durable(t);
    } else {
      q.durable.onSuccess(v -> durable(t));
    }
  }

  /** What waits until the change is durable: streams, long polls, remote parents, publication, hooks. */
  private void durable(Transition t) {
    Task task = t.to();
    ChangeLog.Change change = changes.append(task);
    if (node.streamsOpen() > 0) {
      vertx.eventBus().publish(streamAddress, change, streamOptions);
    }
    if (t.finishes()) {
      tell(watchers.takeDurable(task), task);
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

}
