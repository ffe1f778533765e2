package io.taskloop.bus;

import io.taskloop.loop.Addresses;
import io.taskloop.task.TaskJson;
import io.taskloop.task.Tenancy;
import io.taskloop.loop.LoopCommand;
import io.taskloop.loop.LoopLink;
import io.taskloop.auth.Caller;
import io.taskloop.loop.NodeContext;
import io.taskloop.loop.ScheduleCalls;
import io.taskloop.schedule.ScheduleSpec;
import io.taskloop.task.Owner;
import io.taskloop.task.Problem;
import io.taskloop.task.SpecDecoder;
import io.taskloop.task.Task;
import io.taskloop.task.TaskError;
import io.taskloop.task.TaskSpec;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event-bus API (DESIGN §5, {@code docs/eventbus-api.md}) for services that do not speak
 * HTTP: request/reply on the {@code taskloop.v1.*} addresses of {@link Addresses}, with the same
 * JSON as the HTTP API. Every loop consumes every address, so the bus spreads requests over a
 * node's loops; a request is routed to the owning loop exactly as {@code HttpApi} does. A
 * failure is a reply failure whose code is the HTTP status the same request would get and whose
 * message is the problem JSON.
 */
public final class EventBusApi {

  private static final Logger LOG = LoggerFactory.getLogger(EventBusApi.class);

  /** Request header on create: the same key returns the same task. */
  public static final String IDEMPOTENCY_KEY = SpecDecoder.IDEMPOTENCY_KEY;
  /** Request header on create: seconds to hold the reply until the task is done. */
  public static final String WAIT = "wait";
  /** Reply header on create: {@code true} for a new task, {@code false} for an idempotent replay. */
  public static final String CREATED = "created";
  /** Request header: the tenant a request acts for (required when the node has auth on). */
  public static final String TENANT = "tenant";

  /** Added to a long-poll's own wait so the poll ends first and the bus timeout only catches a stuck loop. */

  private final NodeContext node;
  private final LoopLink link;
  private final long maxWaitMs;
  private final ScheduleCalls schedules;
  private final boolean tenantRequired;

  private EventBusApi(NodeContext node, LoopLink link) {
    this.tenantRequired = !node.config().auth().open();
    this.node = node;
    this.link = link;
    this.schedules = new ScheduleCalls(node, link);
    this.maxWaitMs = node.config().maxWaitMs();
  }

  /** Registers this loop's consumer on every address; completes once all are registered. */
  public static Future<Void> register(Vertx vertx, NodeContext node, LoopLink link) {
    EventBusApi api = new EventBusApi(node, link);
    EventBus bus = vertx.eventBus();
    return Future.all(List.of(
        api.consume(bus, Addresses.TASKS_CREATE, api::create),
        api.consume(bus, Addresses.TASKS_GET, api::get),
        api.consume(bus, Addresses.TASKS_CANCEL, api::cancel),
        api.consume(bus, Addresses.TASKS_COMPLETE, api::complete),
        api.consume(bus, Addresses.TASKS_FAIL, api::fail),
        api.consume(bus, Addresses.EVENTS_SET, api::setEvent),
        api.consume(bus, Addresses.EVENTS_CLEAR, api::clearEvent),
        api.consume(bus, Addresses.SCHEDULES_CREATE, (body, h) -> api.schedule(h, "create", ScheduleCalls.newId(body), body)),
        api.consume(bus, Addresses.SCHEDULES_REPLACE, (body, h) -> api.schedule(h, "put", scheduleId(body), body)),
        api.consume(bus, Addresses.SCHEDULES_GET, (body, h) -> api.schedule(h, "get", scheduleId(body), new JsonObject())),
        api.consume(bus, Addresses.SCHEDULES_DELETE, (body, h) -> api.schedule(h, "delete", scheduleId(body), new JsonObject())),
        api.consume(bus, Addresses.SCHEDULES_PAUSE, (body, h) -> api.schedule(h, "pause", scheduleId(body), new JsonObject())),
        api.consume(bus, Addresses.SCHEDULES_RESUME, (body, h) -> api.schedule(h, "resume", scheduleId(body), new JsonObject())),
        api.consume(bus, Addresses.SCHEDULES_TRIGGER, (body, h) -> api.schedule(h, "trigger", scheduleId(body), new JsonObject())),
        api.consume(bus, Addresses.SCHEDULES_LIST, api::listSchedules))).mapEmpty();
  }

  // ---------------------------------------------------------------- operations

  private Future<Answer> create(JsonObject body, MultiMap headers) {
    String tenant = tenant(headers);
    if (!node.admitCreate(tenant)) {
      throw Problem.tooManyCreates("tenant " + tenant + " made its " + node.config().auth().tenantCreatesPerSecond()
          + " creates of this second (tenant_creates_per_second)");
    }
    TaskSpec spec = node.decoder().decode(body, tenant);
    long startAt = SpecDecoder.startAt(body, node.clock().millis(), node.config().startHorizonMs());
    String key = SpecDecoder.idempotencyKey(headers.get(IDEMPOTENCY_KEY));
    key = key == null ? null : Tenancy.qualified(tenant, key);
    long waitMs = waitHeader(headers);
    int home = key != null ? node.homeOf(key) : link.self();
    return link.ask(home, new LoopCommand.Create(spec, key, startAt))
        .compose(created -> link.awaited(created.task(), waitMs)
            .map(task -> new Answer(task(task), new DeliveryOptions().addHeader(CREATED, Boolean.toString(!created.replayed())))));
  }

  private Future<Answer> get(JsonObject body, MultiMap headers) {
    String id = id(body);
    long waitMs = waitField(body);
    String tenant = tenant(headers);
    Future<Task> first = waitMs > 0 && !tenant.isEmpty() ? link.read(id, 0).compose(t -> mine(tenant, t))
        : Future.succeededFuture();
    return first.compose(v -> link.read(id, waitMs)).compose(t -> mine(tenant, t)).map(t -> Answer.of(task(t)));
  }

  private Future<Answer> cancel(JsonObject body, MultiMap headers) {
    String id = id(body);
    return owned(tenant(headers), id).compose(v -> link.askTask(id, new LoopCommand.Cancel(id))).map(t -> Answer.of(task(t)));
  }

  private Future<Answer> complete(JsonObject body, MultiMap headers) {
    String id = id(body);
    return owned(tenant(headers), id).compose(v -> link.askTask(id, new LoopCommand.Complete(id, body.getValue("result"))))
        .map(t -> Answer.of(task(t)));
  }

  private Future<Answer> fail(JsonObject body, MultiMap headers) {
    String id = id(body);
    TaskError error = TaskError.fromRequest(body);
    return owned(tenant(headers), id).compose(v -> link.askTask(id, new LoopCommand.Fail(id, error)))
        .map(t -> Answer.of(task(t)));
  }

  private Future<Answer> setEvent(JsonObject body, MultiMap headers) {
    String name = Tenancy.qualified(tenant(headers), eventName(body));
    return link.ask(node.homeOf(name), new LoopCommand.EventSet(name, body.getValue("payload")))
        .map(view -> Answer.of(TaskJson.event(view)));
  }

  private Future<Answer> clearEvent(JsonObject body, MultiMap headers) {
    String name = Tenancy.qualified(tenant(headers), eventName(body));
    return link.ask(node.homeOf(name), new LoopCommand.EventClear(name)).map(v -> Answer.of(new JsonObject()));
  }

  /**
   * The tenant a request acts for, from its {@code tenant} header. With auth on, every request
   * must name one (the bus is the cluster's own traffic, so the header is taken as given); a
   * node without auth serves the tenant with no name when none is given.
   */
  private String tenant(MultiMap headers) {
    String tenant = headers.get(TENANT);
    if (tenant == null || tenant.isEmpty()) {
      if (tenantRequired) {
        throw Problem.unauthorized("this node has auth on: every event-bus request names its tenant in the header '"
            + TENANT + "'", false);
      }
      return "";
    }
    if (!Caller.TENANT.matcher(tenant).matches()) {
      throw Problem.invalidParameter(TENANT, "a tenant is 1 to 64 letters, digits, '.', '_' or '-'");
    }
    return tenant;
  }

  /** The task, if it is the tenant's; else the 404 of one that does not exist. */
  private static Future<Task> mine(String tenant, Task task) {
    return tenant.isEmpty() || tenant.equals(task.tenant()) ? Future.succeededFuture(task)
        : Future.failedFuture(Problem.notFound("Task", "no task with id '" + task.id() + "'"));
  }

  private Future<Void> owned(String tenant, String id) {
    return tenant.isEmpty() ? Future.succeededFuture() : link.read(id, 0).compose(t -> mine(tenant, t)).mapEmpty();
  }

  /** A schedule call: the reply is the body HTTP would answer ({@code {}} for a delete). */
  private Future<Answer> schedule(MultiMap headers, String op, String id, JsonObject body) {
    return schedules.call(op, Tenancy.qualified(tenant(headers), id), body).map(a -> Answer.of(a.getValue("body") instanceof JsonObject json ? json : new JsonObject()));
  }

  private Future<Answer> listSchedules(JsonObject body, MultiMap headers) {
    Object limit = body.getValue("limit", 100);
    if (!(limit instanceof Integer n) || n < 1 || n > 1_000) {
      throw Problem.invalid("/limit", "limit must be an integer from 1 to 1000");
    }
    Object cursor = body.getValue("cursor");
    if (cursor != null && !(cursor instanceof String)) {
      throw Problem.invalid("/cursor", "cursor is the next_cursor of the page before");
    }
    return schedules.list(tenant(headers), (String) cursor, n).map(page -> Answer.of(new JsonObject().put("items", page.getJsonArray("items"))
        .put("next_cursor", page.getString("last"))));
  }

  private static String scheduleId(JsonObject body) {
    Object id = body.getValue("id");
    if (!(id instanceof String s) || !ScheduleSpec.ID.matcher(s).matches()) {
      throw Problem.invalid("/id", "id names the schedule: 1 to 128 letters, digits, '.', '_' or '-'");
    }
    return s;
  }

  // ---------------------------------------------------------------- one consumer per address

  /** What an operation answers: the reply body and its delivery options (headers). */
  private record Answer(JsonObject body, DeliveryOptions options) {
    static Answer of(JsonObject body) {
      return new Answer(body, new DeliveryOptions());
    }
  }

  @FunctionalInterface
  private interface Operation {
    Future<Answer> apply(JsonObject body, MultiMap headers);
  }

  private Future<Void> consume(EventBus bus, String address, Operation operation) {
    // consumer, not localConsumer: in cluster mode other nodes' services send here too.
    return bus.<Object>consumer(address, msg -> handle(address, msg, operation)).completion();
  }

  private static void handle(String address, Message<Object> msg, Operation operation) {
    Future<Answer> answer;
    try {
      if (!(msg.body() instanceof JsonObject body)) {
        throw Problem.malformed("the body must be a JSON object (io.vertx.core.json.JsonObject), got " + kind(msg.body()));
      }
      answer = operation.apply(body, msg.headers());
    } catch (RuntimeException e) {
      answer = Future.failedFuture(e);
    }
    answer.onSuccess(a -> msg.reply(a.body(), a.options())).onFailure(cause -> refuse(address, msg, cause));
  }

  private static void refuse(String address, Message<Object> msg, Throwable cause) {
    Problem problem;
    if (cause instanceof Problem p) {
      problem = p;
    } else {
      LOG.error("{} failed", address, cause);
      problem = Problem.of(500, "Internal error", "the server failed on this request; it is logged");
    }
    msg.fail(problem.status(), problem.toJson(address).encode());
  }

  // ---------------------------------------------------------------- reading requests

  private static String id(JsonObject body) {
    Object raw = body.getValue("id");
    if (!(raw instanceof String id)) {
      throw Problem.invalid("/id", raw == null ? "id is required" : "id must be a string");
    }
    return id;
  }

  private static String eventName(JsonObject body) {
    Object raw = body.getValue("name");
    if (!(raw instanceof String name) || !SpecDecoder.NAME.matcher(name).matches()) {
      throw Problem.invalid("/name", raw == null ? "name is required"
          : "an event name is 1 to 200 letters, digits and . _ : @ / -, starting with a letter or digit");
    }
    return name;
  }

  /** The {@code wait} header of create: seconds as text, capped at the server's wait limit. */
  private long waitHeader(MultiMap headers) {
    String raw = headers.get(WAIT);
    if (raw == null) {
      return 0;
    }
    try {
      return waitMillis(Double.parseDouble(raw.trim()), WAIT);
    } catch (NumberFormatException e) {
      throw Problem.invalidParameter(WAIT, "wait must be a number of seconds, got '" + raw + "'");
    }
  }

  /** The {@code wait} field of get: seconds as a JSON number, capped at the server's wait limit. */
  private long waitField(JsonObject body) {
    Object raw = body.getValue("wait");
    if (raw == null) {
      return 0;
    }
    if (!(raw instanceof Number n)) {
      throw Problem.invalid("/wait", "wait must be a number of seconds");
    }
    return waitMillis(n.doubleValue(), "/wait");
  }

  private long waitMillis(double seconds, String where) {
    if (!(seconds >= 0) || Double.isInfinite(seconds)) {
      String detail = "wait must be zero or more seconds, got " + seconds;
      throw where.startsWith("/") ? Problem.invalid(where, detail) : Problem.invalidParameter(where, detail);
    }
    return Math.min((long) Math.ceil(Math.min(seconds, 1e9) * 1000), maxWaitMs);
  }

  // ---------------------------------------------------------------- answers

  private JsonObject task(Task task) {
    return TaskJson.task(task);
  }

  private static String kind(Object body) {
    return body == null ? "no body" : body.getClass().getSimpleName();
  }
}
