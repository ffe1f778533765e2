package io.taskloop.cluster;

import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import io.taskloop.task.TaskJson;
import io.taskloop.loop.Replication;
import io.taskloop.task.Task;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one loop's task records in the cluster map {@code taskloop.tasks} (one synchronous
 * backup), so that the survivors can adopt them if this node dies. A change marks the task;
 * the loop writes what is marked in one asynchronous batch as soon as the previous batch is
 * done (the latest state of each task once), and each change's future completes when the batch
 * that holds it is in the map, backup included. Acknowledgements wait for it, so a node that
 * dies loses nothing it answered for. A record carries its owner (node and loop), which routing
 * reads for tasks whose node is gone.
 */
public final class Replicator implements Replication {

  private static final Logger LOG = LoggerFactory.getLogger(Replicator.class);
  private static final long RETRY_MS = 200;
  /** The field of a forward: the record of a finished task gone to its owner's store. */
  public static final String FORWARD_TO = "forward_to";

  private final Context context;
  private final String nodeId;
  private final int loop;
  private final IMap<String, HazelcastJsonValue> map;
  private Map<String, Task> dirty = new LinkedHashMap<>();
  private Set<String> removed = new LinkedHashSet<>();
  /** Completed when the batch after the one in flight is written: what changes marked now wait for. */
  private Promise<Void> next = Promise.promise();
  private boolean writing;
  private boolean scheduled;
  private boolean stopped;

  /** Made on the loop's thread; every call comes from it. */
  public Replicator(Vertx vertx, String nodeId, int loop, IMap<String, HazelcastJsonValue> map) {
    this.context = vertx.getOrCreateContext();
    this.nodeId = nodeId;
    this.loop = loop;
    this.map = map;
  }

  @Override
  public void stop() {
    stopped = true;
  }

  @Override
  public Future<Void> changed(Task task) {
    removed.remove(task.id());
    dirty.put(task.id(), task);
    schedule();
    return next.future();
  }

  @Override
  public void removed(Task task) {
    String id = task.id();
    dirty.remove(id);
    removed.add(id);
    schedule();
  }

  /**
   * A finished task left memory for the store: its record gives way to a forward that names its
   * owner, kept (with a time to live) until its retention ends, so requests for it still find
   * the node whose store holds it.
   */
  @Override
  public void offloaded(Task task, long keepMs) {
    dirty.remove(task.id());
    removed.remove(task.id());
    JsonObject forward = new JsonObject().put(FORWARD_TO, nodeId).put("owner_loop", loop);
    map.setAsync(task.id(), new HazelcastJsonValue(forward.encode()), Math.max(1, keepMs), TimeUnit.MILLISECONDS);
  }

  @Override
  public Future<Void> flush() {
    Future<Void> all = next.future();
    if (!writing) {
      write();
    }
    return all;
  }

  /** Writes once the loop's current work is done, so one tick's changes share a batch. */
  private void schedule() {
    if (!writing && !scheduled && !stopped) {
      scheduled = true;
      context.runOnContext(v -> {
        scheduled = false;
        if (!writing) {
          write();
        }
      });
    }
  }

  /** Writes what is marked; when it is in the map, completes its changes' futures and writes what came meanwhile. */
  private void write() {
    Promise<Void> batchDone = next;
    next = Promise.promise();
    if (dirty.isEmpty() && removed.isEmpty()) {
      batchDone.complete();
      return;
    }
    writing = true;
    Map<String, Task> tasks = dirty;
    Map<String, HazelcastJsonValue> batch = new HashMap<>(tasks.size() * 2);
    for (Task task : tasks.values()) {
      batch.put(task.id(), record(task, nodeId, loop));
    }
    dirty = new LinkedHashMap<>();
    for (String id : removed) {
      map.removeAsync(id);
    }
    removed = new LinkedHashSet<>();
    CompletionStage<Void> written = batch.isEmpty() ? CompletableFuture.completedFuture(null) : map.setAllAsync(batch);
    Future.fromCompletionStage(written, context).onComplete(ar -> {
      if (ar.failed()) {
        // The journal holds these; the cluster map gets them with the next batch.
        LOG.warn("loop {} could not replicate {} task records: {}", loop, batch.size(), ar.cause().getMessage());
        tasks.forEach(dirty::putIfAbsent);
      }
      batchDone.complete();
      if (ar.failed()) {
        context.owner().setTimer(RETRY_MS, t -> {
          writing = false;
          write();
        });
      } else {
        writing = false;
        if (!dirty.isEmpty() || !removed.isEmpty()) {
          write();
        }
      }
    });
  }

  /** A task's record: its JSON as the API shows it, plus who owns it now. */
  public static HazelcastJsonValue record(Task task, String nodeId, int loop) {
    JsonObject json = TaskJson.task(task).put("owner", nodeId).put("owner_loop", loop);
    return new HazelcastJsonValue(json.encode());
  }
}
