package io.taskloop.loop;

import io.taskloop.task.EventView;
import io.taskloop.task.Owner;
import io.taskloop.task.Problem;
import io.taskloop.task.Task;
import io.taskloop.task.TaskError;
import io.taskloop.task.TaskSpec;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A request to the loop that owns a task or an event. It travels in one event-bus hop (by
 * reference, with the codec named {@link Wire#CODEC}) or, when the owner is the loop at hand, is
 * run directly; either way {@link #run} executes on the owner's thread.
 */
public interface LoopCommand<R> {

  Future<R> run(TaskEngine engine);

  /** What {@code create} answers: the task, and whether an Idempotency-Key replayed it. */
  record Created(Task task, boolean replayed) {
  }

  /**
   * {@code startAt}: when a delayed task starts (0: at once), from the body's start_at or
   * start_in_ms; {@code fingerprint}: the keyed body's hash when the caller worked it out ahead
   * (a schedule's prepared tick), else null.
   */
  record Create(TaskSpec spec, String idempotencyKey, long startAt, String fingerprint) implements LoopCommand<Created> {
    public Create(TaskSpec spec, String idempotencyKey, long startAt) {
      this(spec, idempotencyKey, startAt, null);
    }

    public Future<Created> run(TaskEngine e) {
      return e.create(spec, idempotencyKey, startAt, fingerprint);
    }
  }

  record Get(String id) implements LoopCommand<Task> {
    public Future<Task> run(TaskEngine e) {
      return e.read(id);
    }
  }

  /** Answers when the task finishes or {@code waitMs} passes, whichever is first. */
  record Await(String id, long waitMs) implements LoopCommand<Task> {
    public Future<Task> run(TaskEngine e) {
      return e.await(id, waitMs);
    }
  }

  record Cancel(String id) implements LoopCommand<Task> {
    public Future<Task> run(TaskEngine e) {
      return e.cancel(id);
    }
  }

  record Complete(String id, Object result) implements LoopCommand<Task> {
    public Future<Task> run(TaskEngine e) {
      return e.complete(id, result);
    }
  }

  record Fail(String id, TaskError error) implements LoopCommand<Task> {
    public Future<Task> run(TaskEngine e) {
      return e.fail(id, error);
    }
  }

  record Delete(String id) implements LoopCommand<Task> {
    public Future<Task> run(TaskEngine e) {
      return e.delete(id);
    }
  }

  /** A parent on {@code parentLoop} wants to hear when {@code childId} finishes; answers its state now. */
  record Watch(String childId, Owner parentLoop, String parentId) implements LoopCommand<Task> {
    public Future<Task> run(TaskEngine e) {
      return e.watchForRemote(childId, parentLoop, parentId);
    }
  }

  /** An Idempotency-Key named this task: answers it once its create is stored. */
  record Replay(String id) implements LoopCommand<Task> {
    public Future<Task> run(TaskEngine e) {
      return e.replay(id);
    }
  }

  /** Told to a parent's loop: one of its children finished. */
  record ChildDone(String parentId, Task child) implements LoopCommand<Void> {
    public Future<Void> run(TaskEngine e) {
      e.onChildDone(parentId, child);
      return Future.succeededFuture();
    }
  }

  /** Told to a child's loop by a parent that passes cancellation on; a finished child ignores it. */
  record CancelChild(String id, String why) implements LoopCommand<Void> {
    public Future<Void> run(TaskEngine e) {
      e.cancelQuietly(id, why);
      return Future.succeededFuture();
    }
  }

  /** A page of a loop's tasks: after {@code fromSeq} oldest first, or with {@code newest} below it newest first. */
  record ListTasks(TaskFilter filter, long fromSeq, int limit, boolean newest) implements LoopCommand<List<Task>> {
    public Future<List<Task>> run(TaskEngine e) {
      return e.list(filter, fromSeq, limit, newest);
    }
  }

  /** What this loop's change log still holds after {@code afterSeq}: a stream resuming. */
  record ChangesSince(long afterSeq) implements LoopCommand<ChangeLog.Since> {
    public Future<ChangeLog.Since> run(TaskEngine e) {
      return Future.succeededFuture(e.changesSince(afterSeq));
    }
  }

  /** Take over a task from its replicated record (a departed or leaving node's). */
  record Adopt(JsonObject record, Resume resume) implements LoopCommand<Task> {
    public Future<Task> run(TaskEngine e) {
      return Future.succeededFuture(e.adopt(record, resume));
    }
  }

  /** Stop and write every record: this node is handing its tasks over. Answers how many. */
  record Freeze() implements LoopCommand<Integer> {
    public Future<Integer> run(TaskEngine e) {
      return e.freeze();
    }
  }

  /** The ids of the loop's unfinished tasks (a healed partition checks them against the merged records). */
  record UnfinishedIds() implements LoopCommand<List<String>> {
    public Future<List<String>> run(TaskEngine e) {
      return Future.succeededFuture(e.unfinishedIds());
    }
  }

  /** Forget these tasks without ending them: another node owns them now. Answers how many were held. */
  record Drop(List<String> ids) implements LoopCommand<Integer> {
    public Future<Integer> run(TaskEngine e) {
      int dropped = 0;
      for (String id : ids) {
        if (e.drop(id)) {
          dropped++;
        }
      }
      return Future.succeededFuture(dropped);
    }
  }

  /** Told to every loop of a node when another node left the cluster. */
  record NodeDeparted(String node) implements LoopCommand<Void> {
    public Future<Void> run(TaskEngine e) {
      e.onNodeDeparted(node);
      return Future.succeededFuture();
    }
  }

  record Stats() implements LoopCommand<LoopStats> {
    public Future<LoopStats> run(TaskEngine e) {
      return Future.succeededFuture(e.stats());
    }
  }

  /** The clock moved (tests move a settable clock): run what is due now. */
  record Tick() implements LoopCommand<Void> {
    public Future<Void> run(TaskEngine e) {
      e.tick();
      return Future.succeededFuture();
    }
  }

  record EventSet(String name, Object payload) implements LoopCommand<EventView> {
    public Future<EventView> run(TaskEngine e) {
      return e.events().set(name, payload);
    }
  }

  record EventClear(String name) implements LoopCommand<Void> {
    public Future<Void> run(TaskEngine e) {
      return e.events().clear(name);
    }
  }

  record EventGet(String name, long waitMs) implements LoopCommand<EventView> {
    public Future<EventView> run(TaskEngine e) {
      return e.events().get(name, waitMs);
    }
  }

  /** An {@code event} task on {@code taskLoop} waits for the event; answers its state now. */
  record EventWatch(String name, int taskLoop, String taskId) implements LoopCommand<EventView> {
    public Future<EventView> run(TaskEngine e) {
      return Future.succeededFuture(e.events().watch(name, taskLoop, taskId));
    }
  }

  record EventUnwatch(String name, int taskLoop, String taskId) implements LoopCommand<Void> {
    public Future<Void> run(TaskEngine e) {
      e.events().unwatch(name, taskLoop, taskId);
      return Future.succeededFuture();
    }
  }

  /** Told to an event task's loop: the event it waits for was set. */
  record EventFired(String taskId, Object payload) implements LoopCommand<Void> {
    public Future<Void> run(TaskEngine e) {
      e.onEventFired(taskId, payload);
      return Future.succeededFuture();
    }
  }

  /** The loop's events of {@code tenant} whose (qualified) name is after {@code after}. */
  record EventList(String tenant, String after, int limit) implements LoopCommand<List<EventView>> {
    public Future<List<EventView>> run(TaskEngine e) {
      return Future.succeededFuture(e.events().list(tenant, after, limit));
    }
  }

  /**
   * A client's call on a schedule ({@code op}: create, put, get, delete, pause, resume, trigger;
   * list, where {@code id} is the page's cursor), run on the schedule's home loop of the node
   * that owns it. Answers {@code {"status", "body"}}.
   */
  record ScheduleCall(String op, String id, JsonObject body) implements LoopCommand<JsonObject> {
    public Future<JsonObject> run(TaskEngine e) {
      return e.scheduler().route(this);
    }
  }

  /** Take up a schedule from its record: this node owns it now (start, failover, a node joined). */
  record InstallSchedule(JsonObject record, long firedUpTo) implements LoopCommand<Void> {
    public Future<Void> run(TaskEngine e) {
      e.scheduler().install(record, firedUpTo);
      return Future.succeededFuture();
    }
  }

  /** Let a schedule go: another node owns it now. */
  record UninstallSchedule(String id) implements LoopCommand<Void> {
    public Future<Void> run(TaskEngine e) {
      e.scheduler().uninstall(id);
      return Future.succeededFuture();
    }
  }

  /** The ids of the loop's schedules. */
  record ScheduleIds() implements LoopCommand<List<String>> {
    public Future<List<String>> run(TaskEngine e) {
      return Future.succeededFuture(e.scheduler().ids());
    }
  }
}
