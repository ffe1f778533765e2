package io.taskloop.loop;

import io.taskloop.task.EventView;
import io.taskloop.task.Task;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Where a node's acknowledged changes are kept (DESIGN §7): task records, idempotency keys,
 * events and schedules. Loops call it from their own thread; each future completes on the calling loop's
 * context once the commit that holds the change is durable, or fails with a 503 Problem when
 * that commit failed (the change must then not happen). Writes are versioned upserts, so a
 * stale owner never overwrites a newer record. {@code store/} implements it with group commit.
 */
public interface Journal {

  /** Nothing is kept: every change is "durable" at once, and nothing survives a restart. */
  Journal MEMORY = new Journal() {
    private final Future<Void> done = Future.succeededFuture();

    @Override
    public boolean keeps() {
      return false;
    }

    @Override
    public Future<Void> write(Task task) {
      return done;
    }

    @Override
    public Future<Void> commit(Task task) {
      return done;
    }

    @Override
    public Future<Void> create(List<Task> born, String key, String fingerprint) {
      return done;
    }

    @Override
    public Future<Void> delete(String taskId, String key) {
      return done;
    }

    @Override
    public void forget(String taskId, String key) {
    }

    @Override
    public Future<Void> event(EventView event, boolean clientWaits) {
      return done;
    }

    @Override
    public void reserveIds(int loop, long upTo) {
    }

    @Override
    public Future<Void> schedule(String id, long version, boolean deleted, String record, boolean clientWaits) {
      return done;
    }

    @Override
    public Future<Task> read(String id) {
      return Future.succeededFuture();
    }

    @Override
    public Future<List<Task>> list(int loop, TaskFilter filter, long fromSeq, int limit, boolean newest) {
      return Future.succeededFuture(List.of());
    }
  };

  /** Whether anything is kept: false for the memory store, where finished tasks live in memory only. */
  boolean keeps();

  /**
   * A task's record as the loop changed it on its own (a timer, an attempt, a child): written
   * until it lands, however many commits fail meanwhile.
   */
  Future<Void> write(Task task);

  /** A change a client waits on (a complete, a cancel): if its commit fails, it fails, and must not happen. */
  Future<Void> commit(Task task);

  /** A create: its records (the task and its inline children) and its idempotency key, in one commit. */
  Future<Void> create(List<Task> born, String key, String fingerprint);

  /** A task a client deletes, and its key. */
  Future<Void> delete(String taskId, String key);

  /** A task gone on its own (past its retention), and its key: written until it lands. */
  void forget(String taskId, String key);

  /**
   * An event set ({@code event.set()}) or cleared. A client's set or clear fails with its
   * commit; one that came from another node of the cluster is written until it lands.
   */
  Future<Void> event(EventView event, boolean clientWaits);

  /**
   * Ids of {@code loop} up to {@code upTo} may be given out: recorded before any task that
   * carries one can be acknowledged, so a restart never gives an id out twice.
   */
  void reserveIds(int loop, long upTo);

  /**
   * A schedule's record as it now stands (a deleted one as its tombstone). A client's change
   * fails with its commit; what the schedule's own ticks changed is written until it lands.
   */
  Future<Void> schedule(String id, long version, boolean deleted, String record, boolean clientWaits);

  /** A task that has left memory, as the store holds it; null when it holds none. */
  Future<Task> read(String id);

  /**
   * The stored tasks of this node's {@code loop} that match, with the lowest sequence after
   * {@code fromSeq}, or with {@code newest} the highest below it.
   */
  Future<List<Task>> list(int loop, TaskFilter filter, long fromSeq, int limit, boolean newest);
}
