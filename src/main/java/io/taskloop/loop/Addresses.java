package io.taskloop.loop;

/** Every event-bus address taskloop uses, in one place. */
public final class Addresses {

  /** Prefix of the per-loop addresses: {@code taskloop.loop.<node>.<index>}. */
  public static final String LOOP = "taskloop.loop.";

  // The event-bus API (docs/eventbus-api.md): request/reply with JSON bodies, consumed by every loop.
  public static final String TASKS_CREATE = "taskloop.v1.tasks.create";
  public static final String TASKS_GET = "taskloop.v1.tasks.get";
  public static final String TASKS_CANCEL = "taskloop.v1.tasks.cancel";
  public static final String TASKS_COMPLETE = "taskloop.v1.tasks.complete";
  public static final String TASKS_FAIL = "taskloop.v1.tasks.fail";
  public static final String EVENTS_SET = "taskloop.v1.events.set";
  public static final String EVENTS_CLEAR = "taskloop.v1.events.clear";
  public static final String SCHEDULES_CREATE = "taskloop.v1.schedules.create";
  public static final String SCHEDULES_GET = "taskloop.v1.schedules.get";
  public static final String SCHEDULES_LIST = "taskloop.v1.schedules.list";
  public static final String SCHEDULES_REPLACE = "taskloop.v1.schedules.replace";
  public static final String SCHEDULES_DELETE = "taskloop.v1.schedules.delete";
  public static final String SCHEDULES_PAUSE = "taskloop.v1.schedules.pause";
  public static final String SCHEDULES_RESUME = "taskloop.v1.schedules.resume";
  public static final String SCHEDULES_TRIGGER = "taskloop.v1.schedules.trigger";

  /** Every finished task is published here, as the HTTP API's task JSON. */
  public static final String TASK_DONE = "taskloop.v1.task.done";

  private Addresses() {
  }

  /** Where a node's loops publish task changes for the live streams open on that node. */
  public static String stream(String node) {
    return "taskloop.stream." + node;
  }

  /** Where a node answers for itself in {@code GET /v1/cluster}. */
  public static String nodeReport(String node) {
    return "taskloop.node." + node + ".report";
  }

  /** Named events set or cleared anywhere, published to every node of the cluster. */
  public static final String EVENTS_CHANGED = "taskloop.events.changed";

  /** A node that has joined (or come back under its id) says so here, to every node. */
  public static final String NODE_JOINED = "taskloop.node.joined";

  /** A node that hands its tasks over before it leaves says so here, to every node. */
  public static final String NODE_LEAVING = "taskloop.node.leaving";

  public static String loop(String node, int index) {
    return LOOP + node + "." + index;
  }
}
