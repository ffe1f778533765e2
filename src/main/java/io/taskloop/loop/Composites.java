package io.taskloop.loop;

import io.taskloop.task.GatherSpec;
import io.taskloop.task.Outcome;
import io.taskloop.task.Owner;
import io.taskloop.task.Problem;
import io.taskloop.task.ReturnWhen;
import io.taskloop.task.Task;
import io.taskloop.task.TaskState;
import io.taskloop.task.Transition;
import io.taskloop.task.WaitSpec;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composites of a loop ({@code gather}, {@code wait}, {@code wait_for}, {@code shield})
 * watching their children, wherever those live: told when each finishes, never polling. When a
 * composite is cancelled or times out, the reaction to that transition passes the cancellation
 * on where asyncio does: a gather or wait_for cancels its unfinished children; wait and shield
 * do not.
 */
final class Composites {

  private static final Logger LOG = LoggerFactory.getLogger(Composites.class);
  /** How long (real time) a parent keeps asking for a child whose node is away (adopting, or not back yet after a restart). */
  private static final long WATCH_FOR_MS = 120_000;
  private static final long WATCH_RETRY_MIN_MS = 200;
  private static final long WATCH_RETRY_MAX_MS = 5_000;

  private final Vertx vertx;
  private final Clock clock;
  private final NodeContext node;
  private final LoopLink link;
  private final TaskTable table;
  private final Transitions path;
  private final Watchers watchers;
  private final Owner self;
  private final Map<String, Composite> running = new HashMap<>();

  Composites(Vertx vertx, NodeContext node, LoopLink link, TaskTable table, Transitions path, Watchers watchers) {
    this.vertx = vertx;
    this.clock = node.clock();
    this.node = node;
    this.link = link;
    this.table = table;
    this.path = path;
    this.watchers = watchers;
    this.self = new Owner(node.nodeId(), link.self());
    path.react(this::react);
  }

  private void react(Transition t) {
    if (!t.finishes() || !t.to().type().isComposite()) {
      return;
    }
    Composite composite = running.remove(t.id());
    if (composite == null && t.from() != null && t.from().isDelayed()) {
      cancelWaitingChildren(t.to());
      return;
    }
    boolean interrupted = t.move() == Transition.Move.CANCEL || t.move() == Transition.Move.TIME_OUT;
    if (composite != null && interrupted && composite.passesCancellation()) {
      String why = "parent " + t.id() + " ended " + t.to().state().wire();
      for (String child : composite.unfinishedChildren()) {
        link.tellTask(child, new LoopCommand.CancelChild(child, why));
      }
    }
  }

  /**
   * A delayed composite that ended before its start (cancelled) never ran: the inline children
   * made with it, waiting for the same instant, never run either. Children given by id are
   * their own tasks and carry on.
   */
  private void cancelWaitingChildren(Task parent) {
    String why = "parent " + parent.id() + " ended " + parent.state().wire() + " before it started";
    for (String childId : parent.children()) {
      Task child = table.get(childId);
      if (child != null && parent.id().equals(child.parent()) && !child.isFinished()) {
        link.tellTask(childId, new LoopCommand.CancelChild(childId, why));
      }
    }
  }

  /**
   * Starts watching a composite's children (a new composite, or one taken over from another
   * node); {@code finished} holds children known to have finished (as its create found them),
   * which need no question to their owner.
   */
  void watch(Task parent, Map<String, Task> finished) {
    Composite composite = new Composite(parent);
    running.put(parent.id(), composite);
    if (composite.distinctChildren().isEmpty()) {
      // gather() of nothing is [] at once, as in asyncio (wait of nothing is refused at decode).
      path.apply(parent.succeed(new JsonArray(), clock.millis()));
      return;
    }
    String parentId = parent.id();
    for (String childId : composite.distinctChildren()) {
      Owner owner = node.ownerOf(childId);
      if (owner == null) {
        onChildDone(parentId, Outcome.vanished(childId));
      } else if (node.isHere(owner) && owner.loop() == self.loop() && table.get(childId) != null) {
        Task child = table.get(childId);
        if (child.isFinished()) {
          onChildDone(parentId, Outcome.of(child));
        } else {
          watchers.onStored(childId, done -> onChildDone(parentId, Outcome.of(done)));
        }
      } else if (finished.containsKey(childId)) {
        onChildDone(parentId, Outcome.of(finished.get(childId)));
      } else {
        // On another loop or node, or finished and gone from memory to the store: asked by id.
        watchRemote(parentId, childId, System.nanoTime() + WATCH_FOR_MS * 1_000_000L, WATCH_RETRY_MIN_MS);
      }
    }
  }

  /**
   * Asks a child's owner to tell this loop when the child finishes. A child whose node is away
   * (503 while its record is adopted, or its node not in the cluster yet: after a whole cluster
   * restarts, its nodes come back one by one) is asked again, with a growing pause, for up to
   * {@link #WATCH_FOR_MS}; one that no longer exists fails its slot with a LookupError.
   */
  private void watchRemote(String parentId, String childId, long until, long pause) {
    link.askTask(childId, new LoopCommand.Watch(childId, self, parentId))
        .onSuccess(child -> {
          if (child.isFinished()) {
            onChildDone(parentId, Outcome.of(child));
          }
        })
        .onFailure(err -> {
          boolean away = err instanceof Problem p
              && (p.status() == 503 || (p.status() == 404 && p.getMessage().contains("cluster")));
          if (away && System.nanoTime() - until < 0) {
            vertx.setTimer(pause, t -> watchRemote(parentId, childId, until, Math.min(WATCH_RETRY_MAX_MS, pause * 2)));
          } else {
            onChildDone(parentId, Outcome.vanished(childId));
          }
        });
  }

  /**
   * The owner's side of {@link LoopCommand.Watch}: tell the parent's loop when the child ends,
   * once that end is durable (the parent's node journals what it does with it). Answers the
   * child as it stands, or null when this loop does not hold it.
   */
  Task watchForRemote(String childId, Owner parentLoop, String parentId) {
    Task child = table.get(childId);
    if (child != null && !child.isFinished()) {
      watchers.onDurable(childId, done -> link.tell(parentLoop, new LoopCommand.ChildDone(parentId, done)));
    }
    return child;
  }

  /** A child of {@code parentId} finished (or is gone): the composite takes the step asyncio does. */
  void onChildDone(String parentId, Outcome child) {
    Composite composite = running.get(parentId);
    Task parent = table.get(parentId);
    if (composite == null || parent == null || parent.isFinished()) {
      return;
    }
    if (!composite.record(child)) {
      return; // told twice (a child watched again after a node left): its end counts once
    }
    long now = clock.millis();
    switch (parent.type()) {
      case GATHER -> gatherStep(parent, composite, child, now);
      case WAIT -> {
        ReturnWhen when = ((WaitSpec) parent.spec()).returnWhen();
        boolean ready = composite.allDone()
            || when == ReturnWhen.FIRST_COMPLETED
            || (when == ReturnWhen.FIRST_EXCEPTION && child.raised());
        if (ready) {
          path.apply(parent.succeed(composite.partition(), now));
        }
      }
      case WAIT_FOR, SHIELD -> path.apply(parent.mirror(child, now));
      default -> LOG.warn("task {} of type {} got a child result", parentId, parent.type());
    }
  }

  private void gatherStep(Task parent, Composite composite, Outcome child, long now) {
    boolean returnExceptions = ((GatherSpec) parent.spec()).returnExceptions();
    if (!returnExceptions && child.state() == TaskState.CANCELLED) {
      path.apply(parent.cancelledByChild(child.id(), now));
    } else if (!returnExceptions && child.raised()) {
      path.apply(parent.fail(child.error(), now));
    } else if (composite.allDone()) {
      JsonArray results = new JsonArray();
      List<Integer> errorSlots = new ArrayList<>();
      List<Outcome> done = composite.inOrder();
      for (int i = 0; i < done.size(); i++) {
        Outcome c = done.get(i);
        if (c.state() == TaskState.SUCCEEDED) {
          results.add(c.result());
        } else {
          results.add(c.error().toJson());
          errorSlots.add(i);
        }
      }
      path.apply(returnExceptions ? parent.succeed(results, List.copyOf(errorSlots), now) : parent.succeed(results, now));
    }
  }

  /** The partition of a wait whose timeout ran out: {@code {done, pending}} as it stands. */
  io.vertx.core.json.JsonObject partition(String waitId) {
    return running.get(waitId).partition();
  }

  /**
   * A node left: every child on another loop is watched again. A child's id names the node that
   * created it, not the one that holds it now (after an adoption), so any remote child may have
   * lived on the departed node; an extra watch is harmless, since a parent takes each child's end
   * once.
   */
  void rewatchRemoteChildren() {
    for (Map.Entry<String, Composite> e : running.entrySet()) {
      for (String child : e.getValue().unfinishedChildren()) {
        if (table.get(child) == null) {
          watchRemote(e.getKey(), child, System.nanoTime() + WATCH_FOR_MS * 1_000_000L, WATCH_RETRY_MIN_MS);
        }
      }
    }
  }

  /** The composite leaves this loop without ending here (another node carries it on). */
  void drop(String id) {
    running.remove(id);
  }
}
