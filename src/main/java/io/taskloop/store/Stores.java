package io.taskloop.store;

import io.taskloop.config.Config;
import io.taskloop.loop.Journal;
import io.taskloop.loop.NodeContext;
import io.taskloop.loop.Restored;
import io.taskloop.metrics.Metrics;
import io.taskloop.task.EventView;
import io.taskloop.task.Task;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the store a node keeps its changes in ({@code store}): where its node id comes from,
 * the journal its loops write to, and what the store held for it at start.
 */
public final class Stores {

  private static final Logger LOG = LoggerFactory.getLogger(Stores.class);
  /** The file under data_dir that keeps a node's id across restarts. */
  public static final String NODE_ID_FILE = "node-id";

  private Stores() {
  }

  /**
   * An opened store. {@code commit} is null for the memory store; {@code recovery} holds what
   * the store had for {@code nodeId} (nothing for a new store).
   */
  public record Opened(String nodeId, Journal journal, GroupCommit commit, Recovery recovery) {

    /**
     * What loop {@code loop} of {@code loops} takes up: its tasks (by {@code loopOf}), the events
     * and keys that hash to it, its ids.
     */
    public Restored forLoop(int loop, int loops, ToIntFunction<String> loopOf) {
      List<Task> tasks = new ArrayList<>();
      for (Task t : recovery.unfinished()) {
        if (loopOf.applyAsInt(t.id()) == loop) {
          tasks.add(t);
        }
      }
      List<EventView> events = new ArrayList<>();
      for (EventView e : recovery.events()) {
        if (NodeContext.homeOf(e.name(), loops) == loop) {
          events.add(e);
        }
      }
      Map<String, Restored.Key> keys = new HashMap<>();
      recovery.keys().forEach((key, k) -> {
        if (NodeContext.homeOf(key, loops) == loop) {
          keys.put(key, k);
        }
      });
      return new Restored(tasks, events, keys, recovery.ids().getOrDefault(loop, 0L));
    }

    public boolean keeps() {
      return commit != null;
    }
  }

  private static final Recovery NOTHING = new Recovery(List.of(), List.of(), Map.of(), Map.of(), List.of());

  /** Opens the configured store; {@code newNodeId} names a node that has no id yet. */
  public static Future<Opened> open(Vertx vertx, Config config, Metrics metrics, Supplier<String> newNodeId) {
    if (config.store().equals("memory")) {
      LOG.warn("store=memory: nothing is kept on disk; a restart or crash of this node loses every task, event"
          + " and idempotency key (set TASKLOOP_STORE=sqlite or postgres to keep them)");
      return Future.succeededFuture(new Opened(newNodeId.get(), Journal.MEMORY, null, NOTHING));
    }
    Path dataDir = Path.of(config.dataDir());
    return vertx.executeBlocking(() -> DataDirLock.take(dataDir)).compose(lock -> {
      Future<Backend> backend = config.store().equals("postgres")
          ? PostgresBackend.open(vertx, config.postgresUrl()).map(b -> (Backend) b)
          : vertx.executeBlocking(() -> SqliteBackend.open(dataDir));
      return backend.compose(b -> vertx.executeBlocking(() -> nodeId(dataDir, newNodeId))
          .compose(id -> b.recover(id).map(recovery -> {
            GroupCommit commit = new GroupCommit(vertx, b, id, config.journalBatchMax(), config.journalQueueMax(),
                config.journalLingerUs(), metrics, lock::close);
            return new Opened(id, commit, commit, recovery);
          }))
          .onFailure(err -> b.close()))
          .onFailure(err -> lock.close());
    });
  }

  /** The node id kept in {@code <data_dir>/node-id}, written there the first time. Blocks. */
  static String nodeId(Path dataDir, Supplier<String> newNodeId) throws IOException {
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(NODE_ID_FILE);
    if (Files.exists(file)) {
      String id = Files.readString(file, StandardCharsets.UTF_8).trim();
      if (!id.matches("[a-z0-9]{1,16}")) {
        throw new IOException(file + " does not hold a node id (letters and digits): '" + id + "'");
      }
      return id;
    }
    String id = newNodeId.get();
    Path tmp = dataDir.resolve(NODE_ID_FILE + ".tmp");
    Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.SYNC);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return id;
  }
}
