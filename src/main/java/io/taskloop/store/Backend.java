package io.taskloop.store;

import io.taskloop.loop.TaskFilter;
import io.taskloop.task.Task;
import io.vertx.core.Future;
import java.util.List;

/**
 * A store the journal commits to: SQLite (a file under data_dir) or PostgreSQL (one database a
 * cluster shares). {@link GroupCommit} calls {@link #commit} with one batch at a time, never two
 * at once: the next only once this one is written (its {@code written} ran) or answered, and
 * the one before it answered. The other calls may come at any time. Futures may complete on
 * any thread; answers come in the order of the commits.
 */
public interface Backend extends AutoCloseable {

  /** Writes the batch in one transaction; it fails as a whole. The answer comes once it is durable. */
  Future<Void> commit(List<Write> batch);

  /**
   * As {@link #commit(List)}, for a store that can take the next batch before this one is
   * durable: it runs {@code written} (on any thread) once the batch is written, and answers
   * once it is durable. SQLite syncs its WAL on a thread of its own while the next batch is
   * written. A store that cannot never runs {@code written}: its answer is then the signal.
   */
  default Future<Void> commit(List<Write> batch, Runnable written) {
    return commit(batch);
  }

  /** A task by id, or null. */
  Future<Task> read(String id);

  /** Tasks owned by {@code node}'s {@code loop} that match, lowest sequence first after {@code afterSeq}. */
  Future<List<Task>> list(String node, int loop, TaskFilter filter, long fromSeq, int limit, boolean newest);

  /** What a node finds at start: see {@link Recovery}. */
  Future<Recovery> recover(String node);

  /**
   * Unfinished tasks owned by nodes other than those in {@code alive}: after a full cluster
   * restart on a shared store, the new nodes share them out.
   */
  Future<List<Task>> orphans(List<String> alive);

  /**
   * Makes {@code node} the owner of those {@code orphans} whose stored owner and version are
   * still as read (a compare-and-set per task), and answers those it claimed: when several new
   * nodes share out the same orphans, each task goes to one of them.
   */
  Future<List<Task>> claim(List<Task> orphans, String node);

  /** Deletes tasks (and their keys) that finished at or before {@code cutoff}; answers how many. */
  Future<Integer> expire(long cutoff);

  /** Name of the store, for logs and metrics: {@code sqlite}, {@code postgres}. */
  String name();

  @Override
  void close();
}
