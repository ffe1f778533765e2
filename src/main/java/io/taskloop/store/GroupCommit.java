package io.taskloop.store;

import io.taskloop.loop.Journal;
import io.taskloop.loop.TaskFilter;
import io.taskloop.metrics.Metrics;
import io.taskloop.task.EventView;
import io.taskloop.task.Problem;
import io.taskloop.task.ScheduleRef;
import io.taskloop.task.Task;
import io.taskloop.task.Tenancy;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's one journal writer. Loops hand it changes from their threads; it commits them in
 * batches, one commit at a time: what arrives while a commit runs goes into the next one (at
 * most {@code journal_batch_max} changes), so the cost of a commit is shared by everything
 * that waited for it. A store that makes a batch durable after writing it (SQLite syncs its
 * WAL on a thread of its own) takes the next batch once this one is written and the one before
 * it is durable: one batch is written while one syncs. Each change's future completes, once
 * its batch is durable, on the loop that made it, in order.
 *
 * <p>A commit that fails fails the changes clients wait on (they answer 503 and do not happen);
 * the changes the loops made on their own (a task ending, an eviction) are written again,
 * after a pause, ahead of anything newer, until they land. While commits fail the node is not
 * ready. More than {@code journal_queue_max} changes waiting is a 503 at once.
 */
public final class GroupCommit implements Journal {

  private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);
  private static final long RETRY_MIN_MS = 50;
  private static final long RETRY_MAX_MS = 2_000;
  /** Ids are reserved this many at a time, so a reservation is one small write per 10,000 tasks. */
  public static final long ID_BLOCK = 10_000;

  /** Changes that one future waits for, made on one loop. */
  private record Entry(List<Write> writes, Context context, Promise<Void> promise, boolean mustLand, boolean create) {
  }

  private final Vertx vertx;
  private final Backend backend;
  private final String node;
  private final int batchMax;
  private final int queueMax;
  private final long lingerUs;
  private final Metrics metrics;
  private final Runnable closed;
  private final ConcurrentLinkedDeque<Entry> queue = new ConcurrentLinkedDeque<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean committing = new AtomicBoolean();
  private volatile boolean failing;
  /**
   * Tasks whose create's commit failed: they never happened, so what their loop wrote of them
   * meanwhile (a sleep 0 that ended before the commit) is dropped, not written. Touched only by
   * whoever holds {@code committing}; emptied once nothing waits.
   */
  private final java.util.Set<String> abandoned = new java.util.HashSet<>();
  private long retryMs = RETRY_MIN_MS;
  /** The last batch handed to the store, until it is durable or failed; set by whoever holds {@code committing}. */
  private volatile Future<Void> syncing = Future.succeededFuture();

  /** {@code closed} runs once the backend closed (the data_dir's lock is let go). */
  public GroupCommit(Vertx vertx, Backend backend, String node, int batchMax, int queueMax, long lingerUs,
      Metrics metrics, Runnable closed) {
    this.closed = closed;
    this.lingerUs = lingerUs;
    this.vertx = vertx;
    this.backend = backend;
    this.node = node;
    this.batchMax = batchMax;
    this.queueMax = queueMax;
    this.metrics = metrics;
    metrics.journalGauges(queued::get);
  }

  /** Whether the last commit failed: the node is not ready until one succeeds again. */
  public boolean failing() {
    return failing;
  }

  public Backend backend() {
    return backend;
  }

  @Override
  public boolean keeps() {
    return true;
  }

  // ---------------------------------------------------------------- what loops hand over

  @Override
  public Future<Void> write(Task task) {
    return enqueue(List.of(new Write.TaskRecord(task)), true);
  }

  @Override
  public Future<Void> commit(Task task) {
    return enqueue(List.of(new Write.TaskRecord(task)), false);
  }

  @Override
  public Future<Void> create(List<Task> born, String key, String fingerprint) {
    List<Write> writes = new ArrayList<>(born.size() + 1);
    for (Task t : born) {
      writes.add(new Write.TaskRecord(t));
    }
    Task root = born.get(born.size() - 1);
    if (key != null) {
      writes.add(new Write.Key(key, root.id(), fingerprint));
    }
    ScheduleRef fired = root.spec().common().schedule();
    if (fired != null && !fired.manual()) {
      // The fire record, in the task's commit, under the schedule's id as its tenant holds it.
      writes.add(new Write.ScheduleFired(Tenancy.qualified(root.tenant(), fired.id()), fired.tick(), root.id()));
    }
    return enqueue(writes, false, true);
  }

  @Override
  public Future<Void> schedule(String id, long version, boolean deleted, String record, boolean clientWaits) {
    return enqueue(List.of(new Write.ScheduleRecord(id, version, deleted, record)), !clientWaits);
  }

  @Override
  public Future<Void> delete(String taskId, String key) {
    return enqueue(gone(taskId, key), false);
  }

  @Override
  public void forget(String taskId, String key) {
    enqueue(gone(taskId, key), true);
  }

  private static List<Write> gone(String taskId, String key) {
    return key == null ? List.of(new Write.TaskGone(taskId)) : List.of(new Write.TaskGone(taskId), new Write.KeyGone(key));
  }

  @Override
  public Future<Void> event(EventView event, boolean clientWaits) {
    Write write = event.set() ? new Write.EventSet(event) : new Write.EventCleared(event.name());
    return enqueue(List.of(write), !clientWaits);
  }

  @Override
  public void reserveIds(int loop, long upTo) {
    enqueue(List.of(new Write.IdsReserved(node, loop, upTo)), true);
  }

  @Override
  public Future<Task> read(String id) {
    return onCaller(backend.read(id));
  }

  @Override
  public Future<List<Task>> list(int loop, TaskFilter filter, long fromSeq, int limit, boolean newest) {
    return onCaller(backend.list(node, loop, filter, fromSeq, limit, newest));
  }

  /** A future of the backend's, completed on the context that asked (the backend's threads are not loops). */
  private <T> Future<T> onCaller(Future<T> answer) {
    Context caller = vertx.getOrCreateContext();
    Promise<T> promise = Promise.promise();
    answer.onComplete(ar -> caller.runOnContext(v -> promise.handle(ar)));
    return promise.future();
  }

  private Future<Void> enqueue(List<Write> writes, boolean mustLand) {
    return enqueue(writes, mustLand, false);
  }

  private Future<Void> enqueue(List<Write> writes, boolean mustLand, boolean create) {
    if (!mustLand && queued.get() >= queueMax) {
      metrics.journalRefused();
      return Future.failedFuture(Problem.unavailable("the journal has " + queued.get()
          + " changes waiting to be written (journal_queue_max); retry"));
    }
    Promise<Void> promise = Promise.promise();
    queued.addAndGet(writes.size());
    Context context = vertx.getOrCreateContext();
    Entry entry = new Entry(writes, context, promise, mustLand, create);
    if (context.isEventLoopContext() && Context.isOnEventLoopThread()) {
      OUTBOX.get().add(this, entry, context);
    } else {
      hand(List.of(entry));
    }
    return promise.future();
  }

  /** Entries join the queue in the order their loop made them; a commit starts if none runs. */
  private void hand(List<Entry> entries) {
    queue.addAll(entries);
    if (committing.compareAndSet(false, true)) {
      next();
    }
  }

  /**
   * What a loop hands the journal during one stretch of its work, handed over in one go once
   * that work (and what it queued to run next, such as a sleep 0 that ends at once) is done:
   * a create and what its tasks do right away then reach the same commit, and the writer sees
   * one hand-over per loop per stretch instead of one per change. One per event-loop thread.
   */
  private static final class Outbox {
    private final Map<GroupCommit, List<Entry>> held = new IdentityHashMap<>(2);
    private boolean scheduled;

    void add(GroupCommit journal, Entry entry, Context context) {
      held.computeIfAbsent(journal, j -> new ArrayList<>()).add(entry);
      if (!scheduled) {
        scheduled = true;
        // Two hops: after the tasks this stretch queued on the loop (a due timer's drain) have run.
        context.runOnContext(v -> context.runOnContext(w -> flush()));
      }
    }

    private void flush() {
      scheduled = false;
      for (Map.Entry<GroupCommit, List<Entry>> e : held.entrySet()) {
        encodeNewest(e.getValue());
        e.getKey().hand(e.getValue());
      }
      held.clear();
    }

    /**
     * Makes the JSON of the newest record of each task here, on the loop, so the single writer
     * thread only binds it (a create and its sleep 0's end are written as one row: the older
     * one is encoded only if a batch boundary falls between them).
     */
    private static void encodeNewest(List<Entry> entries) {
      Map<String, Task> newest = new java.util.HashMap<>();
      for (Entry entry : entries) {
        for (Write w : entry.writes()) {
          if (w instanceof Write.TaskRecord r) {
            newest.merge(r.task().id(), r.task(), (a, b) -> a.version() >= b.version() ? a : b);
          }
        }
      }
      for (Task t : newest.values()) {
        t.json();
      }
    }
  }

  private static final ThreadLocal<Outbox> OUTBOX = ThreadLocal.withInitial(Outbox::new);

  // ---------------------------------------------------------------- commits

  /** Takes what waits (up to the batch bound) and commits it; called by whoever set {@code committing}. */
  private void next() {
    List<Entry> batch = new ArrayList<>();
    List<Write> writes = new ArrayList<>();
    Entry e;
    while (writes.size() < batchMax && (e = queue.pollFirst()) != null) {
      if (ofAbandoned(e)) {
        queued.addAndGet(-e.writes().size());
        settle(List.of(e), Problem.unavailable("the create of this task was not committed"));
        continue;
      }
      batch.add(e);
      writes.addAll(e.writes());
    }
    if (batch.isEmpty()) {
      abandoned.clear(); // nothing waits: nothing can refer to them any more
      committing.set(false);
      // Something may have arrived after the poll and before the flag was cleared.
      if (!queue.isEmpty() && committing.compareAndSet(false, true)) {
        next();
      }
      return;
    }
    long started = System.nanoTime();
    // The next batch is taken once this one is written, which for SQLite comes before it is
    // durable (Backend#commit(List, Runnable)), and the one before it is durable: one batch is
    // written while one syncs, and what arrives meanwhile waits for the next, so a busy node
    // makes fewer, fuller commits instead of many small ones that each cost the writer its
    // fixed part. For a store that says nothing, the next is taken once this one is durable.
    AtomicBoolean handedOn = new AtomicBoolean();
    Runnable takeNext = () -> {
      if (handedOn.compareAndSet(false, true)) {
        lingerThenNext();
      }
    };
    Future<Void> before = syncing;
    Promise<Void> settled = Promise.promise();
    syncing = settled.future(); // set before the commit starts: its "written" may take the next batch at once
    Future<Void> committed;
    try {
      committed = backend.commit(writes, () -> before.onComplete(ar -> takeNext.run()));
    } catch (RuntimeException ex) {
      committed = Future.failedFuture(ex);
    }
    committed.onComplete(ar -> {
      try {
        queued.addAndGet(-writes.size());
        metrics.journalCommit(System.nanoTime() - started, writes.size(), ar.succeeded());
        if (ar.succeeded()) {
          recovered();
          settle(batch, null);
          takeNext.run();
        } else if (handedOn.get()) {
          unsynced(batch, ar.cause());
        } else {
          failed(batch, ar.cause());
        }
      } finally {
        // Only now may the batch after this one take the next: after what must land was put back.
        settled.handle(ar);
      }
    });
  }

  /**
   * A batch that was written but could not be made durable, while the next batch may already be
   * committing: the store takes no more commits (see {@link WalSync}), so every client waiting
   * here gets the 503 at once, and the loops' own changes go back to the front of the queue,
   * where the next commit fails on them as long as the store stays stopped.
   */
  private void unsynced(List<Entry> batch, Throwable cause) {
    LOG.error("the journal could not make {} changes durable in {}: {}", batch.size(), backend.name(), cause.toString());
    failing = true;
    List<Entry> refused = new ArrayList<>();
    List<Entry> again = new ArrayList<>();
    for (Entry e : batch) {
      (e.mustLand() ? again : refused).add(e);
    }
    settle(refused, Problem.unavailable("the journal wrote this change but could not make it durable ("
        + cause.getMessage() + "); the node stops taking changes, and after its restart the change may or may not be there"));
    putBack(again);
    if (committing.compareAndSet(false, true)) {
      next();
    }
  }

  /**
   * Under load, waits {@code journal_linger_us} before taking the next batch when fewer than a
   * quarter of {@code journal_batch_max} changes wait: a commit's fsync costs the same for a few
   * changes as for many, so a slightly fuller batch costs far less per change. The first change
   * after a quiet spell is committed at once.
   */
  private void lingerThenNext() {
    if (lingerUs > 0 && !queue.isEmpty() && queued.get() < batchMax / 4) {
      LINGER.schedule(this::next, lingerUs, TimeUnit.MICROSECONDS);
    } else {
      next();
    }
  }

  private static final ScheduledExecutorService LINGER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "taskloop-journal-linger");
    t.setDaemon(true);
    return t;
  });

  private void recovered() {
    if (failing) {
      LOG.info("the journal commits again");
    }
    failing = false;
    retryMs = RETRY_MIN_MS;
  }

  private void failed(List<Entry> batch, Throwable cause) {
    if (!failing) {
      LOG.error("the journal could not commit {} changes to {}: {}", batch.size(), backend.name(), cause.toString());
    }
    failing = true;
    List<Entry> again = new ArrayList<>();
    List<Entry> refused = new ArrayList<>();
    for (Entry e : batch) {
      if (!e.mustLand()) {
        refused.add(e);
      }
      if (e.create()) {
        for (Write w : e.writes()) {
          if (w instanceof Write.TaskRecord r) {
            abandoned.add(r.task().id()); // a create that failed: its tasks never were
          }
        }
      }
    }
    for (Entry e : batch) {
      if (e.mustLand()) {
        (ofAbandoned(e) ? refused : again).add(e);
      }
    }
    settle(refused, Problem.unavailable("the journal could not commit this change (" + cause.getMessage()
        + "); it did not happen: retry"));
    putBack(again);
    long pause = retryMs;
    retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
    vertx.setTimer(pause, t -> next());
  }

  /** Entries that must land, back at the front of the queue: ahead of anything newer, in their order. */
  private void putBack(List<Entry> again) {
    for (int i = again.size() - 1; i >= 0; i--) {
      queued.addAndGet(again.get(i).writes().size());
      queue.addFirst(again.get(i));
    }
  }

  /** A loop's own write of a task whose create failed. */
  private boolean ofAbandoned(Entry e) {
    if (!e.mustLand() || abandoned.isEmpty()) {
      return false;
    }
    for (Write w : e.writes()) {
      if (!(w instanceof Write.TaskRecord r) || !abandoned.contains(r.task().id())) {
        return false;
      }
    }
    return true;
  }

  /** Completes each entry's future on its own loop, in order: one hop per loop per batch. */
  private static void settle(List<Entry> entries, Problem failure) {
    Map<Context, List<Promise<Void>>> byLoop = new IdentityHashMap<>();
    for (Entry e : entries) {
      byLoop.computeIfAbsent(e.context(), c -> new ArrayList<>()).add(e.promise());
    }
    byLoop.forEach((context, promises) -> context.runOnContext(v -> {
      for (Promise<Void> p : promises) {
        if (failure == null) {
          p.complete();
        } else {
          p.fail(failure);
        }
      }
    }));
  }

  /** Deletes from the store what passed its retention; the node's sweep calls it now and then. */
  public Future<Integer> expire(long cutoff) {
    return backend.expire(cutoff);
  }

  /**
   * Closes the store once what waits has been committed (bounded at {@code boundMs}: past it,
   * what is still queued was never acknowledged, or is re-derived at the next start). Blocks:
   * call it off the event loops.
   */
  public void close(long boundMs) {
    long deadline = System.nanoTime() + boundMs * 1_000_000L;
    while ((committing.get() || !queue.isEmpty()) && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
    if (!queue.isEmpty()) {
      LOG.warn("the journal closes with {} changes not written", queued.get());
    }
    backend.close();
    closed.run();
  }
}
