package io.taskloop.loop;

import io.taskloop.task.ChildRef;
import io.taskloop.task.Owner;
import io.taskloop.task.Problem;
import io.taskloop.task.Task;
import io.taskloop.task.TaskJson;
import io.taskloop.task.TaskSpec;
import io.taskloop.task.TaskType;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

/**
 * How a create becomes tasks on this loop: the Idempotency-Key is claimed (a replay gets the
 * first task back, from whichever loop or node holds it), room is made under the tasks-held
 * cap, every child given by id is checked to exist, and then the task and its inline children
 * are stored through the transition path and started, children first.
 */
final class Admission {

  private final NodeContext node;
  private final LoopLink link;
  private final TaskTable table;
  private final Transitions path;
  private final IdempotencyKeys keys;
  private final Journal journal;
  private final Owner self;
  private final IntPredicate makeRoom;
  private final Starter start;
  private final Consumer<List<Task>> undo;
  /** Keyed creates whose key is claimed and whose task is not stored yet: a replay waits for them. */
  private final Map<String, Promise<Task>> pending = new HashMap<>();

  /**
   * @param makeRoom evicts finished tasks to make room for {@code n} more; true if it did
   * @param start    what a stored task does first (arm its timers, send its first attempt, watch)
   * @param undo     takes out again the tasks of a create whose commit failed
   */
  Admission(NodeContext node, LoopLink link, TaskTable table, Transitions path, IdempotencyKeys keys,
      IntPredicate makeRoom, Starter start, Consumer<List<Task>> undo) {
    this.undo = undo;
    this.node = node;
    this.link = link;
    this.table = table;
    this.path = path;
    this.keys = keys;
    this.journal = node.journal();
    this.self = new Owner(node.nodeId(), link.self());
    this.makeRoom = makeRoom;
    this.start = start;
  }

  /** {@code startAt}: when a delayed task starts, 0 for at once; a replayed key's task keeps its own. */
  Future<LoopCommand.Created> create(TaskSpec spec, String key, long startAt, String fingerprint) {
    if (key == null) {
      return admit(spec, table.nextId(), null, null, startAt).map(task -> new LoopCommand.Created(task, false));
    }
    return keyed(spec, key, startAt, true, fingerprint != null ? fingerprint : fingerprint(spec));
  }

  private Future<LoopCommand.Created> keyed(TaskSpec spec, String key, long startAt, boolean firstTry, String fingerprint) {
    String id = table.nextId();
    IdempotencyKeys.Claim mine = new IdempotencyKeys.Claim(id, fingerprint);
    Promise<Task> waiting = Promise.promise();
    pending.put(id, waiting);
    return keys.claim(key, mine).compose(held -> {
      if (held == null) {
        Future<Task> admitted = admit(spec, id, key, fingerprint, startAt).onFailure(err -> keys.release(key, id));
        admitted.onComplete(waiting);
        return admitted.map(task -> new LoopCommand.Created(task, false));
      }
      pending.remove(id);
      waiting.fail(Problem.conflict("key " + key + " was claimed by another create"));
      if (!held.fingerprint().equals(fingerprint)) {
        return Future.failedFuture(Problem.invalidParameter("Idempotency-Key",
            "key '" + key + "' was first used with a different body (task " + held.taskId() + ")"));
      }
      return link.askTask(held.taskId(), new LoopCommand.Replay(held.taskId()))
          .map(task -> new LoopCommand.Created(task, true))
          .recover(err -> {
            if (firstTry && err instanceof Problem p && p.status() == 404) {
              // The key's task was evicted or deleted just now: the key is free again.
              keys.release(key, held.taskId());
              return keyed(spec, key, startAt, false, fingerprint);
            }
            return Future.failedFuture(err);
          });
    }).onComplete(ar -> pending.remove(id));
  }

  /** The owner's side of a replay: the task, or the create of it still under way. */
  Future<Task> replay(String id) {
    Task task = table.get(id);
    if (task != null) {
      return Future.succeededFuture(task);
    }
    Promise<Task> waiting = pending.get(id);
    return waiting != null ? waiting.future() : Future.failedFuture(Problem.notFound("Task", "no task with id '" + id + "'"));
  }

  /**
   * Builds the task and its inline children, commits their records (and the key) to the
   * journal, and only then stores and starts them: the create is answered once it is durable
   * (and, in a cluster, replicated). A failed commit leaves nothing behind.
   */
  private Future<Task> admit(TaskSpec spec, String rootId, String key, String fingerprint, long startAt) {
    int size = spec.size();
    String tenant = spec.common().tenant();
    if (!node.reserveFor(tenant, size)) {
      return Future.failedFuture(Problem.tooManyTasks("tenant " + tenant + " holds its limit of "
          + node.config().auth().tenantMaxTasks() + " tasks on this node (tenant_max_tasks)", 1));
    }
    if (!node.reserve(size) && !(makeRoom.test(size) && node.reserve(size))) {
      node.releaseFor(tenant, size);
      return Future.failedFuture(Problem.tooManyTasks("this node holds its limit of " + node.config().maxTasks()
          + " tasks; finished tasks are evicted after " + node.config().retentionMs() + " ms", 1));
    }
    List<Ref> refs = new ArrayList<>();
    collectRefs(spec, "", refs);
    Future<Map<String, Task>> checked = refs.isEmpty() ? Future.succeededFuture(Map.of())
        : checkRefs(refs, spec.common().tenant());
    return checked
        .compose(finishedRefs -> {
          long now = node.clock().millis();
          List<Task> born = new ArrayList<>(size);
          Task root = build(spec, Task.seqOf(rootId), rootId, null, now, startAt, born);
          // The records go to the journal and the tasks start at once, so what they do before
          // the commit (a sleep 0 ending) is written with them; nothing leaves the node before
          // the create is durable (outbound attempts, hooks, streams, answers wait for it).
          Future<Void> committed = journal.create(born, key, fingerprint);
          if (key != null) {
            table.keyed(root.id(), key);
          }
          Future<Void> durable = path.arrive(born, committed);
          for (Task task : born) {
            start.start(task, committed, finishedRefs);
          }
          return durable.transform(ar -> {
            if (ar.failed()) {
              undo.accept(born); // the commit failed: the create did not happen
              return Future.failedFuture(ar.cause());
            }
            Task held = table.get(root);
            return Future.succeededFuture(held != null ? held : root);
          });
        }, refused -> {
          node.release(size);
          node.releaseFor(tenant, size);
          return Future.failedFuture(refused);
        });
  }

  /**
   * What a stored task does first; {@code committed} completes once its create is durable.
   * {@code finishedRefs} are the children given by id that the create found finished (a
   * finished record is final), so a composite need not ask their owners a second time.
   */
  interface Starter {
    void start(Task task, Future<Void> committed, Map<String, Task> finishedRefs);
  }

  /**
   * The records of a task and its inline children, children first (so a parent can watch them).
   * A delayed task's inline children wait with it: they start at its instant, as if made then.
   */
  private Task build(TaskSpec spec, long seq, String id, String parent, long now, long startAt, List<Task> out) {
    List<ChildRef> refs = spec.children();
    List<String> childIds = List.of();
    if (!refs.isEmpty()) {
      String[] ids = new String[refs.size()];
      for (int i = 0; i < ids.length; i++) {
        ChildRef ref = refs.get(i);
        if (ref instanceof ChildRef.ById byId) {
          ids[i] = byId.id();
        } else {
          long childSeq = table.nextSeq();
          ids[i] = table.idPrefix().id(childSeq);
          build(((ChildRef.Inline) ref).spec(), childSeq, ids[i], id, now, startAt, out);
        }
      }
      childIds = List.of(ids);
    }
    Task task = Task.born(table.idPrefix(), seq, self, spec, parent, childIds, now, startAt);
    out.add(task);
    return task;
  }

  /** A child given by id, with the JSON pointer where the request named it. */
  private record Ref(String id, String pointer) {
  }

  private static void collectRefs(TaskSpec spec, String at, List<Ref> out) {
    List<ChildRef> children = spec.children();
    boolean single = spec.type() == TaskType.WAIT_FOR || spec.type() == TaskType.SHIELD;
    for (int i = 0; i < children.size(); i++) {
      String pointer = single ? at + "/task" : at + "/tasks/" + i;
      ChildRef child = children.get(i);
      if (child instanceof ChildRef.ById byId) {
        out.add(new Ref(byId.id(), pointer));
      } else {
        collectRefs(((ChildRef.Inline) child).spec(), pointer, out);
      }
    }
  }

  /**
   * Every child given by id must exist, in the composite's own tenant, before the composite is
   * accepted: a 422 naming it if not (another tenant's task is one that does not exist). Answers
   * those of them that have finished, by id.
   */
  private Future<Map<String, Task>> checkRefs(List<Ref> refs, String tenant) {
    List<Future<Task>> lookups = new ArrayList<>(refs.size());
    for (Ref ref : refs) {
      Future<Task> found = node.ownerOf(ref.id()) == null
          ? Future.failedFuture(Problem.notFound("Task", ref.id()))
          : link.askTask(ref.id(), new LoopCommand.Get(ref.id())).compose(child -> child.tenant().equals(tenant)
              ? Future.succeededFuture(child) : Future.failedFuture(Problem.notFound("Task", ref.id())));
      lookups.add(found.recover(err -> Future.failedFuture(err instanceof Problem p && p.status() == 404
          ? Problem.invalid(ref.pointer(), "no task with id '" + ref.id() + "'")
          : err)));
    }
    return Future.all(lookups).map(all -> {
      Map<String, Task> finished = new HashMap<>();
      for (Future<Task> found : lookups) {
        if (found.result().isFinished()) {
          finished.put(found.result().id(), found.result());
        }
      }
      return finished;
    });
  }

  /** The canonical body of a create, hashed: two creates with one key must carry the same. */
  static String fingerprint(TaskSpec spec) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(TaskJson.request(spec).encode().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
