package io.taskloop.cluster;

import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import io.taskloop.task.TaskJson;
import io.taskloop.loop.Replication;
import io.taskloop.task.Task;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one loop's task records in the cluster map {@code taskloop.tasks} (one backup), so that
 * the survivors can adopt them if this node dies. Off the hot path: a change only marks the
 * task; every {@link #FLUSH_MS} the loop writes what changed in one asynchronous batch, the
 * latest state of each task once. A record carries its owner (node and loop), which routing
 * reads for tasks whose node is gone.
 */
public final class Replicator implements Replication {

  private static final Logger LOG = LoggerFactory.getLogger(Replicator.class);
  public static final long FLUSH_MS = 50;

  private final Vertx vertx;
  private final Context context;
  private final String nodeId;
  private final int loop;
  private final IMap<String, HazelcastJsonValue> map;
  private Map<String, Task> dirty = new LinkedHashMap<>();
  private Set<String> removed = new LinkedHashSet<>();
  private long timer = -1;

  public Replicator(Vertx vertx, String nodeId, int loop, IMap<String, HazelcastJsonValue> map) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.nodeId = nodeId;
    this.loop = loop;
    this.map = map;
  }

  /** Starts the periodic flush; called on the loop's thread. */
  public Replicator start() {
    timer = vertx.setPeriodic(FLUSH_MS, t -> write());
    return this;
  }

  @Override
  public void stop() {
    vertx.cancelTimer(timer);
  }

  @Override
  public void changed(Task task) {
    removed.remove(task.id());
    dirty.put(task.id(), task);
  }

  @Override
  public void removed(String id) {
    dirty.remove(id);
    removed.add(id);
  }

  @Override
  public Future<Void> flush() {
    return Future.fromCompletionStage(write(), context);
  }

  /** Writes what changed since the last flush; completes once the cluster holds it. */
  private java.util.concurrent.CompletionStage<Void> write() {
    java.util.concurrent.CompletionStage<Void> written = java.util.concurrent.CompletableFuture.completedFuture(null);
    if (!dirty.isEmpty()) {
      Map<String, HazelcastJsonValue> batch = new HashMap<>(dirty.size() * 2);
      for (Task task : dirty.values()) {
        batch.put(task.id(), record(task, nodeId, loop));
      }
      dirty = new LinkedHashMap<>();
      written = map.setAllAsync(batch).whenComplete((v, err) -> {
        if (err != null) {
          LOG.warn("loop {} could not replicate {} task records: {}", loop, batch.size(), err.getMessage());
        }
      });
    }
    if (!removed.isEmpty()) {
      for (String id : removed) {
        map.removeAsync(id);
      }
      removed = new LinkedHashSet<>();
    }
    return written;
  }

  /** A task's record: its JSON as the API shows it, plus who owns it now. */
  public static HazelcastJsonValue record(Task task, String nodeId, int loop) {
    JsonObject json = TaskJson.task(task).put("owner", nodeId).put("owner_loop", loop);
    return new HazelcastJsonValue(json.encode());
  }
}
