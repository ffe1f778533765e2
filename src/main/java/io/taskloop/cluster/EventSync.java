package io.taskloop.cluster;

import io.taskloop.loop.Addresses;
import io.taskloop.loop.EventTable;
import io.taskloop.task.EventView;
import io.taskloop.loop.NodeContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes named events cluster-wide. Each node keeps every event in the loop its name hashes
 * to; a set or clear made on one node is published to all the others, which apply it to their
 * own copy (waking their waiters), and is written to the cluster map {@code taskloop.events}
 * so that a node joining later starts with the events already set.
 */
public final class EventSync {

  private static final Logger LOG = LoggerFactory.getLogger(EventSync.class);
  public static final String EVENTS_MAP = "taskloop.events";

  private final Vertx vertx;
  private final NodeContext node;
  private final int index;
  private final EventTable table;

  public EventSync(Vertx vertx, NodeContext node, int index, EventTable table) {
    this.vertx = vertx;
    this.node = node;
    this.index = index;
    this.table = table;
  }

  /** Wires the table to the cluster and loads the events set before this node joined. */
  public Future<Void> start() {
    if (!node.config().clustered()) {
      return Future.succeededFuture();
    }
    table.announceWith(this::announce);
    Future<Void> listening = vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_CHANGED, msg -> {
      JsonObject change = msg.body();
      String name = change.getString("name");
      if (!node.nodeId().equals(change.getString("origin")) && node.homeOf(name) == index) {
        table.applyRemote(name, change.getBoolean("set"), change.getValue("payload"));
      }
    }).completion();
    return listening.compose(v -> loadSetEvents());
  }

  private void announce(EventView view) {
    JsonObject change = new JsonObject().put("origin", node.nodeId()).put("name", view.name())
        .put("set", view.set()).put("payload", view.payload());
    vertx.eventBus().publish(Addresses.EVENTS_CHANGED, change);
    events().compose(map -> view.set()
            ? map.put(view.name(), new JsonObject().put("payload", view.payload()))
            : map.remove(view.name()).mapEmpty())
        .onFailure(err -> LOG.warn("event {} not recorded in the cluster map: {}", view.name(), err.getMessage()));
  }

  /** Each loop takes, from the cluster map, the set events whose name hashes to it. */
  private Future<Void> loadSetEvents() {
    return events().compose(AsyncMap::entries).map(all -> {
      List<String> mine = new ArrayList<>();
      all.forEach((name, value) -> {
        if (node.homeOf(name) == index) {
          table.applyRemote(name, true, value.getValue("payload"));
          mine.add(name);
        }
      });
      if (!mine.isEmpty()) {
        LOG.info("loop {} took {} set events from the cluster", index, mine.size());
      }
      return null;
    });
  }

  private Future<AsyncMap<String, JsonObject>> events() {
    return vertx.sharedData().getAsyncMap(EVENTS_MAP);
  }
}
