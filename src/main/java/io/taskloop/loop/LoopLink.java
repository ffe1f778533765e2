package io.taskloop.loop;

import io.taskloop.task.Owner;
import io.taskloop.task.Problem;
import io.taskloop.task.Task;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one loop reaches any loop of the cluster: a command for itself runs in place; one for
 * another loop is a single event-bus hop with an explicit send timeout, passed by reference
 * within the node and as JSON between nodes ({@link WireCodec}).
 */
public final class LoopLink {

  private static final Logger LOG = LoggerFactory.getLogger(LoopLink.class);

  /** How long a loop may take to answer a command that does not wait by design. */
  static final long ANSWER_TIMEOUT_MS = 10_000;
  /** Added to a long-poll's own wait so the poll ends first and the bus timeout only catches a stuck loop. */
  public static final long WAIT_SLACK_MS = 5_000;
  private static final int ADOPTED_CACHE = 100_000;

  private final Vertx vertx;
  private final NodeContext node;
  private final int self;
  private final DeliveryOptions tellOptions;
  private TaskEngine engine;
  private final Map<String, Set<Promise<?>>> pending = new HashMap<>();
  /** Owners of adopted tasks already looked up, so later requests go straight there (bounded). */
  private final Map<String, Owner> adopted = new java.util.LinkedHashMap<>(1_024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Owner> eldest) {
      return size() > ADOPTED_CACHE;
    }
  };

  LoopLink(Vertx vertx, NodeContext node, int self) {
    this.vertx = vertx;
    this.node = node;
    this.self = self;
    this.tellOptions = options(ANSWER_TIMEOUT_MS);
  }

  void bind(TaskEngine engine) {
    this.engine = engine;
  }

  public int self() {
    return self;
  }

  public NodeContext node() {
    return node;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Asks a loop of this node. */
  public <R> Future<R> ask(int loop, LoopCommand<R> command) {
    return ask(new Owner(node.nodeId(), loop), command, ANSWER_TIMEOUT_MS);
  }

  public <R> Future<R> ask(int loop, LoopCommand<R> command, long timeoutMs) {
    return ask(new Owner(node.nodeId(), loop), command, timeoutMs);
  }

  public <R> Future<R> ask(Owner owner, LoopCommand<R> command) {
    return ask(owner, command, ANSWER_TIMEOUT_MS);
  }

  /**
   * Asks the loop that owns something: in place when it is this loop, else one event-bus hop
   * (by reference within the node, as JSON to another node).
   */
  public <R> Future<R> ask(Owner owner, LoopCommand<R> command, long timeoutMs) {
    if (owner.loop() == self && node.isHere(owner)) {
      return runHere(command);
    }
    node.metrics().forwarded(!node.isHere(owner));
    Future<R> answer = vertx.eventBus()
        .<Object>request(Addresses.loop(owner.node(), owner.loop()), command, options(timeoutMs))
        .transform(ar -> ar.succeeded() ? unwrap(ar.result().body()) : Future.failedFuture(translate(owner, ar.cause())));
    if (node.isHere(owner)) {
      return answer;
    }
    // An answer from another node is also failed at once if that node leaves the cluster.
    Promise<R> promise = Promise.promise();
    Set<Promise<?>> waiting = pending.computeIfAbsent(owner.node(), k -> new HashSet<>());
    waiting.add(promise);
    answer.onComplete(ar -> {
      waiting.remove(promise);
      if (ar.succeeded()) {
        promise.tryComplete(ar.result());
      } else {
        promise.tryFail(ar.cause());
      }
    });
    return promise.future();
  }

  /**
   * Asks the owner of a task. When the node in its id has left the cluster (or does not
   * answer as a member), the replicated record says which node adopted it.
   */
  public <R> Future<R> askTask(String taskId, LoopCommand<R> command, long timeoutMs) {
    // A node whose store says another node took the task over sends the asker on, to the owner
    // the cluster's records name now (the store's owner is only a hint: it may have moved on).
    return routed(taskId, command, timeoutMs).recover(err -> err instanceof Problem p && p.livesOn() != null
        ? node.directory().resolve(taskId).compose(owner -> ask(owner, command, timeoutMs))
            .recover(again -> Future.failedFuture(again instanceof Problem q && q.livesOn() != null
                ? Problem.unavailable("task " + taskId + " is moving between nodes; retry") : again))
        : Future.failedFuture(err));
  }

  private <R> Future<R> routed(String taskId, LoopCommand<R> command, long timeoutMs) {
    Owner owner = node.requireOwner(taskId);
    if (node.config().clustered() && node.hasDeparted(owner.node())) {
      Owner adopter = adopted.get(taskId);
      if (adopter != null && !node.hasDeparted(adopter.node())) {
        return ask(adopter, command, timeoutMs);
      }
      return node.directory().resolve(taskId).compose(found -> {
        adopted.put(taskId, found);
        return ask(found, command, timeoutMs);
      });
    }
    Future<R> asked = ask(owner, command, timeoutMs);
    if (!node.config().clustered() || node.isHere(owner)) {
      return asked;
    }
    // The node is gone but its departure not yet seen here: the record names it still, so the
    // task is about to be adopted (503, retry), not unknown.
    return asked.recover(err -> err instanceof Problem p && p.status() == 404 && p.getMessage().contains("not in the cluster")
        ? node.directory().resolve(taskId).compose(adopter -> adopter.node().equals(owner.node())
            ? Future.failedFuture(Problem.unavailable("node " + owner.node() + " that owns task " + taskId
                + " does not answer; its tasks are being adopted: retry"))
            : ask(adopter, command, timeoutMs))
        : Future.failedFuture(err));
  }

  public <R> Future<R> askTask(String taskId, LoopCommand<R> command) {
    return askTask(taskId, command, ANSWER_TIMEOUT_MS);
  }

  /** Tells the owner of a task, wherever it now lives. */
  public void tellTask(String taskId, LoopCommand<?> command) {
    Owner owner = node.ownerOf(taskId);
    if (owner == null) {
      return;
    }
    if (node.config().clustered() && node.hasDeparted(owner.node())) {
      node.directory().resolve(taskId).onSuccess(adopter -> tell(adopter, command));
    } else {
      tell(owner, command);
    }
  }

  /** Fails every answer still awaited from a node that left: its tasks are being adopted. */
  void nodeDeparted(String departedNode) {
    Set<Promise<?>> waiting = pending.remove(departedNode);
    if (waiting != null) {
      for (Promise<?> promise : waiting) {
        promise.tryFail(Problem.unavailable("node " + departedNode + " left the cluster while answering; "
            + "its tasks are adopted by the others: retry"));
      }
    }
  }

  /** The task once it finishes or after {@code waitMs}, asked of its owner; at once if it is done. */
  public Future<Task> awaited(Task task, long waitMs) {
    if (waitMs <= 0 || task.isFinished()) {
      return Future.succeededFuture(task);
    }
    return ask(task.owner(), new LoopCommand.Await(task.id(), waitMs), waitMs + WAIT_SLACK_MS);
  }

  /** Long-polls a task by id on its owner (a plain read when {@code waitMs} is 0). */
  public Future<Task> read(String id, long waitMs) {
    return waitMs > 0
        ? askTask(id, new LoopCommand.Await(id, waitMs), waitMs + WAIT_SLACK_MS)
        : askTask(id, new LoopCommand.Get(id));
  }

  /** Sends to a loop of this node without waiting for an answer: notifications between loops. */
  public void tell(int loop, LoopCommand<?> command) {
    tell(new Owner(node.nodeId(), loop), command);
  }

  public void tell(Owner owner, LoopCommand<?> command) {
    if (owner.loop() == self && node.isHere(owner)) {
      runHere(command);
    } else {
      vertx.eventBus().send(Addresses.loop(owner.node(), owner.loop()), command, tellOptions);
    }
  }

  /**
   * Runs a command on this loop. Whatever it throws or fails with reaches the asker as a
   * {@link Problem}: a thrown problem as itself, anything else (a bug) as a 500, logged here once
   * with its stack, so that a forwarded request is answered at once and never times out.
   */
  public <R> Future<R> runHere(LoopCommand<R> command) {
    Future<R> answer;
    try {
      answer = command.run(engine);
    } catch (RuntimeException e) {
      answer = Future.failedFuture(e);
    }
    if (answer.succeeded()) {
      return answer;
    }
    return answer.recover(err -> Future.failedFuture(err instanceof Problem ? err : internal(command, err)));
  }

  private Problem internal(LoopCommand<?> command, Throwable cause) {
    LOG.error("loop {}/{} failed on {}", node.nodeId(), self, command.getClass().getSimpleName(), cause);
    return Problem.internal("loop " + node.nodeId() + "/" + self + " failed on this request; it is logged");
  }

  /**
   * Asks a loop of this node from any thread (a shutdown hook, a test, a Hazelcast listener):
   * always one event-bus hop, so the command runs on the loop's own thread.
   */
  public static <R> Future<R> askFromAnywhere(Vertx vertx, NodeContext node, int loop, LoopCommand<R> command,
      long timeoutMs) {
    return vertx.eventBus().<Object>request(Addresses.loop(node.nodeId(), loop), command,
        localOptions().setSendTimeout(timeoutMs)).compose(reply -> unwrap(reply.body()));
  }

  /** For messages that never leave the node (stream changes, ticks). */
  static DeliveryOptions localOptions() {
    return new DeliveryOptions().setCodecName(Wire.CODEC).setLocalOnly(true);
  }

  static DeliveryOptions options(long timeoutMs) {
    return new DeliveryOptions().setCodecName(Wire.CODEC).setSendTimeout(timeoutMs);
  }

  @SuppressWarnings("unchecked")
  private static <R> Future<R> unwrap(Object body) {
    return body instanceof Throwable t ? Future.failedFuture(t) : Future.succeededFuture((R) body);
  }

  private Throwable translate(Owner owner, Throwable cause) {
    if (cause instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS && !node.isHere(owner)) {
      return Problem.notFound("Task", "node " + owner.node() + " that owned it is not in the cluster");
    }
    if (cause instanceof ReplyException re && re.failureType() != ReplyFailure.RECIPIENT_FAILURE) {
      return Problem.unavailable("loop " + owner.node() + "/" + owner.loop() + " did not answer (" + re.failureType() + ")");
    }
    return cause;
  }
}
