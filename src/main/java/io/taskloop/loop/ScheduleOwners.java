package io.taskloop.loop;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Which node owns a schedule, and how a schedule's record is shared. A node alone owns every
 * schedule; in a cluster {@code cluster/} gives each to one live node (rendezvous over the live
 * node ids) and keeps every record in a cluster map, so a new owner carries on where the last
 * one stopped.
 */
public interface ScheduleOwners {

  /** A node that runs alone: it owns every schedule and shares nothing. */
  ScheduleOwners ALONE = new ScheduleOwners() {
    @Override
    public String ownerOf(String id) {
      return null;
    }

    @Override
    public Future<Void> claim(String id, JsonObject record) {
      return Future.succeededFuture();
    }

    @Override
    public void unclaim(String id, long version) {
    }

    @Override
    public void refresh() {
    }

    @Override
    public Future<JsonObject> record(String id) {
      return Future.succeededFuture();
    }

    @Override
    public void share(String id, long version, String record) {
    }

    @Override
    public Future<List<JsonObject>> list(String tenant, String after, int limit, long now) {
      return null;
    }
  };

  /** The id of the node that owns schedule {@code id} now; null when this node owns them all. */
  String ownerOf(String id);

  /**
   * Looks at who is live now rather than at the next periodic look, and takes up or lets go of
   * schedules if that changed: a call showed that two nodes disagree on an owner.
   */
  void refresh();

  /** The record the cluster holds for schedule {@code id} (a deleted one's tombstone too); null if none. */
  Future<JsonObject> record(String id);

  /** Claims a new schedule's id across the cluster: fails with a 409 when a schedule holds it. */
  Future<Void> claim(String id, JsonObject record);

  /** A claim whose create did not commit: the id is free again. */
  void unclaim(String id, long version);

  /** The record as it now stands (newer versions win), for whichever node owns the schedule next. */
  void share(String id, long version, String record);

  /**
   * A page of {@code tenant}'s schedules across the cluster (as clients read them), after the
   * qualified id {@code after}; null on a node alone.
   */
  Future<List<JsonObject>> list(String tenant, String after, int limit, long now);
}
