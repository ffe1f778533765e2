package io.taskloop.http;

import io.taskloop.task.TaskJson;
import io.taskloop.task.Tenancy;
import io.taskloop.task.EventView;
import io.taskloop.auth.Authenticator;
import io.taskloop.auth.Caller;
import io.taskloop.loop.LoopCommand;
import io.taskloop.loop.LoopLink;
import io.taskloop.loop.LoopStats;
import io.taskloop.loop.NodeContext;
import io.taskloop.loop.ScheduleCalls;
import io.taskloop.task.Owner;
import io.taskloop.loop.TaskFilter;
import io.taskloop.task.Problem;
import io.taskloop.task.SpecDecoder;
import io.taskloop.task.Task;
import io.taskloop.task.TaskError;
import io.taskloop.task.TaskSpec;
import io.taskloop.task.TaskState;
import io.taskloop.task.TaskType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;

/**
 * One loop's HTTP face: a route per operationId of {@code openapi.yaml}, each a small handler
 * that decodes the request, asks the owning loop (here or one event-bus hop away) and writes
 * the answer. Failures go to {@link Problems}. The routes are checked against the contract by
 * {@code ContractTest}, so the two cannot drift.
 */
public final class HttpApi {

  static final String JSON = "application/json";
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 1_000;

  private final NodeContext node;
  private final LoopLink link;
  private final SpecDecoder decoder;
  private final long maxWaitMs;
  private final Supplier<Boolean> ready;
  /** Which loop answered: {@code Taskloop-Served-By: <node>/<loop>}, for operators and tests. */
  static final String SERVED_BY = "Taskloop-Served-By";
  private final String servedBy;
  private final ClusterView report;

  /** What {@code GET /v1/cluster} shows: this node and, in a cluster, every member that answers. */
  private final Access access;

  public interface ClusterView {
    Future<JsonObject> cluster();
  }

  public HttpApi(NodeContext node, LoopLink link, ClusterView report, Supplier<Boolean> ready, Authenticator authenticator) {
    this.access = new Access(authenticator, node.config().auth().metricsOpen());
    this.node = node;
    this.link = link;
    this.decoder = node.decoder();
    this.maxWaitMs = node.config().maxWaitMs();
    this.ready = ready;
    this.servedBy = node.nodeId() + "/" + link.self();
    this.report = report;
  }

  /**
   * Puts this loop's server behind the edge ({@link Edge}): read timeouts, the node's cap on
   * open connections ({@code open} counts them across the node's loops), refused heads as
   * problem+json, client disconnects at DEBUG. Then the API's routes.
   */
  public HttpServer serve(Vertx vertx, HttpServer server, Buffer contract, UiAssets ui, AtomicInteger open) {
    Edge edge = new Edge(vertx, node.config().httpReadTimeoutMs(), node.config().httpMaxConnections(),
        node.config().httpMaxUriBytes(), open, node.metrics());
    return server.connectionHandler(edge::opened)
        .invalidRequestHandler(Edge::invalid)
        .exceptionHandler(Edge::failed)
        .requestHandler(router(vertx, contract, ui, edge));
  }

  private Router router(Vertx vertx, Buffer contract, UiAssets ui, Edge edge) {
    Streams streams = new Streams(vertx, node, link);
    Router router = Router.router(vertx);
    router.route().handler(edge::request);
    router.route().handler(access::handle);
    router.route().handler(HttpApi::everyBodyIsJson);
    router.route().handler(BodyHandler.create(false).setBodyLimit(node.config().maxBodyBytes()));
    router.post("/v1/tasks").handler(this::createTask);
    router.get("/v1/tasks").handler(this::listTasks);
    router.get("/v1/tasks/:id").handler(this::getTask);
    router.get("/v1/tasks/:id/stream").handler(ctx -> reachable(Access.caller(ctx), ctx.pathParam("id"))
        .onSuccess(v -> streams.task(ctx, ctx.pathParam("id"))).onFailure(ctx::fail));
    router.get("/v1/stream").handler(ctx -> streams.all(ctx, seenBy(ctx, filter(ctx))));
    router.delete("/v1/tasks/:id").handler(this::deleteTask);
    router.post("/v1/tasks/:id/cancel").handler(this::cancelTask);
    router.post("/v1/tasks/:id/complete").handler(this::completeTask);
    router.post("/v1/tasks/:id/fail").handler(this::failTask);
    router.post("/v1/gather").handler(ctx -> createAndAwait(ctx, TaskType.GATHER));
    router.post("/v1/wait").handler(ctx -> createAndAwait(ctx, TaskType.WAIT));
    router.post("/v1/wait_for").handler(ctx -> createAndAwait(ctx, TaskType.WAIT_FOR));
    router.get("/v1/events").handler(this::listEvents);
    router.put("/v1/events/:name").handler(this::setEvent);
    router.get("/v1/events/:name").handler(this::getEvent);
    router.delete("/v1/events/:name").handler(this::clearEvent);
    new ScheduleRoutes(new ScheduleCalls(node, link), servedBy).mount(router);
    router.get("/v1/cluster").handler(this::cluster);
    router.get("/health/live").handler(ctx -> health(ctx, true));
    router.get("/health/ready").handler(ctx -> health(ctx, ready.get()));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(node.metrics().registry()));
    router.get("/v1/whoami").handler(this::whoami);
    ui.mount(router);
    router.get("/openapi.yaml").handler(ctx -> ctx.response().putHeader("Content-Type", "application/yaml").end(contract));
    router.route().failureHandler(this::problem);
    router.errorHandler(404, this::problem);
    router.errorHandler(405, this::problem);
    return router;
  }

  /**
   * Bodies are JSON whatever the Content-Type says (curl -d sends form encoding), so the body
   * handler must not try to parse them as a form: a large "form" would fail inside its decoder.
   */
  private static void everyBodyIsJson(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type != null && (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/"))) {
      ctx.request().headers().set("Content-Type", JSON);
    }
    ctx.next();
  }

  // ---------------------------------------------------------------- tasks

  private void createTask(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    admitCreate(caller);
    JsonObject body = body(ctx);
    TaskSpec spec = decoder.decode(body, caller.tenant());
    long startAt = SpecDecoder.startAt(body, node.clock().millis(), node.config().startHorizonMs());
    String key = SpecDecoder.idempotencyKey(ctx.request().getHeader(SpecDecoder.IDEMPOTENCY_KEY));
    key = key == null ? null : Tenancy.qualified(caller.tenant(), key);
    long waitMs = WaitParam.millis(ctx.request(), maxWaitMs, 0);
    int home = key != null ? node.homeOf(key) : link.self();
    link.ask(home, new LoopCommand.Create(spec, key, startAt))
        .compose(created -> link.awaited(created.task(), waitMs)
            .map(task -> new LoopCommand.Created(task, created.replayed())))
        .onSuccess(created -> {
          ctx.response().putHeader("Location", location(created.task()));
          if (created.replayed()) {
            ctx.response().putHeader("Idempotent-Replayed", "true");
          }
          sendTask(ctx, created.replayed() ? 200 : 201, created.task());
        })
        .onFailure(ctx::fail);
  }

  /** {@code POST /v1/gather|wait|wait_for}: create and await in one round trip. */
  private void createAndAwait(RoutingContext ctx, TaskType type) {
    admitCreate(Access.caller(ctx));
    JsonObject body = body(ctx);
    TaskSpec spec = decoder.decode(body, type, Access.caller(ctx).tenant());
    long startAt = SpecDecoder.startAt(body, node.clock().millis(), node.config().startHorizonMs());
    long waitMs = WaitParam.millis(ctx.request(), maxWaitMs, maxWaitMs);
    link.ask(link.self(), new LoopCommand.Create(spec, null, startAt))
        .compose(created -> link.awaited(created.task(), waitMs))
        .onSuccess(task -> {
          if (task.isFinished()) {
            sendTask(ctx, 200, task);
          } else {
            ctx.response().putHeader("Location", location(task));
            sendTask(ctx, 202, task);
          }
        })
        .onFailure(ctx::fail);
  }

  private void getTask(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    long waitMs = WaitParam.millis(ctx.request(), maxWaitMs, 0);
    Caller caller = Access.caller(ctx);
    // Another tenant's task is a 404 at once: a long poll must not tell by its wait that it exists.
    Future<Void> checked = waitMs > 0 ? reachable(caller, id) : Future.succeededFuture();
    checked.compose(v -> link.read(id, waitMs)).compose(task -> visible(caller, task))
        .onSuccess(task -> sendTask(ctx, 200, task)).onFailure(ctx::fail);
  }

  /** A 429 when the caller's tenant made its tenant_creates_per_second creates this second. */
  private void admitCreate(Caller caller) {
    if (!node.admitCreate(caller.tenant())) {
      throw Problem.tooManyCreates("tenant " + caller.tenant() + " made its " + node.config().auth().tenantCreatesPerSecond()
          + " creates of this second (tenant_creates_per_second)");
    }
  }

  /** The task, if the caller reaches its tenant; else the 404 of a task that does not exist. */
  static Future<Task> visible(Caller caller, Task task) {
    return caller.reaches(task.tenant()) ? Future.succeededFuture(task)
        : Future.failedFuture(Problem.notFound("Task", "no task with id '" + task.id() + "'"));
  }

  /** Succeeds when the caller may act on task {@code id} (an admin on any): a 404 for another tenant's. */
  Future<Void> reachable(Caller caller, String id) {
    return caller.admin() ? Future.succeededFuture() : link.read(id, 0).compose(t -> visible(caller, t)).mapEmpty();
  }

  private void cancelTask(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    reply(ctx, reachable(Access.caller(ctx), id).compose(v -> link.askTask(id, new LoopCommand.Cancel(id))));
  }

  private void completeTask(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    JsonObject body = optionalBody(ctx);
    reply(ctx, reachable(Access.caller(ctx), id)
        .compose(v -> link.askTask(id, new LoopCommand.Complete(id, body.getValue("result")))));
  }

  private void failTask(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    TaskError error = TaskError.fromRequest(body(ctx));
    reply(ctx, reachable(Access.caller(ctx), id).compose(v -> link.askTask(id, new LoopCommand.Fail(id, error))));
  }

  private void deleteTask(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    reachable(Access.caller(ctx), id).compose(v -> link.askTask(id, new LoopCommand.Delete(id)))
        .onSuccess(task -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /** {@code order=newest} lists newest first; {@code oldest}, the default, oldest first. */
  private static boolean newestFirst(RoutingContext ctx) {
    String order = ctx.request().getParam("order");
    if (order == null || order.equals("oldest")) {
      return false;
    }
    if (order.equals("newest")) {
      return true;
    }
    throw Problem.invalidParameter("order", "must be oldest or newest");
  }

  /** What a caller lists and streams: its own tenant's tasks (an admin's: every tenant's). */
  private static TaskFilter seenBy(RoutingContext ctx, TaskFilter filter) {
    Caller caller = Access.caller(ctx);
    return filter.seenBy(caller.admin() ? null : caller.tenant());
  }

  private void listTasks(RoutingContext ctx) {
    TaskFilter filter = seenBy(ctx, filter(ctx));
    int limit = limit(ctx);
    boolean newest = newestFirst(ctx);
    String cursor = ctx.request().getParam("cursor");
    long[] from = TaskCursor.decode(cursor, node.loops());
    if (newest && cursor == null) {
      java.util.Arrays.fill(from, Long.MAX_VALUE); // below everything: the newest first
    }
    List<Future<List<Task>>> pages = new ArrayList<>(node.loops());
    for (int loop = 0; loop < node.loops(); loop++) {
      pages.add(link.ask(loop, new LoopCommand.ListTasks(filter, from[loop], limit + 1, newest)));
    }
    java.util.Comparator<Task> oldestFirst = (a, b) -> a.createdAt() != b.createdAt() ? Long.compare(a.createdAt(), b.createdAt())
        : a.loop() != b.loop() ? Integer.compare(a.loop(), b.loop()) : Long.compare(a.seq(), b.seq());
    Future.all(pages).onSuccess(all -> {
      List<Task> merged = new ArrayList<>();
      for (int loop = 0; loop < node.loops(); loop++) {
        merged.addAll(all.<List<Task>>resultAt(loop));
      }
      merged.sort(newest ? oldestFirst.reversed() : oldestFirst);
      List<Task> page = merged.size() > limit ? merged.subList(0, limit) : merged;
      JsonArray items = new JsonArray();
      long[] next = from.clone();
      for (Task task : page) {
        items.add(TaskJson.task(task));
        next[task.loop()] = newest ? Math.min(next[task.loop()], task.seq()) : Math.max(next[task.loop()], task.seq());
      }
      boolean more = merged.size() > limit; // each loop gave up to limit + 1, so this sees a next page
      sendJson(ctx, 200, new JsonObject().put("items", items).put("next_cursor", more ? TaskCursor.encode(next) : null));
    }).onFailure(ctx::fail);
  }

  // ---------------------------------------------------------------- events

  private void setEvent(RoutingContext ctx) {
    String name = eventName(ctx);
    Object payload = optionalBody(ctx).getValue("payload");
    link.ask(node.homeOf(name), new LoopCommand.EventSet(name, payload))
        .onSuccess(view -> sendJson(ctx, 200, TaskJson.event(view)))
        .onFailure(ctx::fail);
  }

  private void clearEvent(RoutingContext ctx) {
    String name = eventName(ctx);
    link.ask(node.homeOf(name), new LoopCommand.EventClear(name))
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private void getEvent(RoutingContext ctx) {
    String name = eventName(ctx);
    long waitMs = WaitParam.millis(ctx.request(), maxWaitMs, 0);
    link.ask(node.homeOf(name), new LoopCommand.EventGet(name, waitMs), waitMs + LoopLink.WAIT_SLACK_MS)
        .onSuccess(view -> sendJson(ctx, 200, TaskJson.event(view)))
        .onFailure(ctx::fail);
  }

  private void listEvents(RoutingContext ctx) {
    int limit = limit(ctx);
    String after = ctx.request().getParam("cursor");
    String afterName = after == null ? null : decodeText(after);
    List<Future<List<EventView>>> pages = new ArrayList<>(node.loops());
    for (int loop = 0; loop < node.loops(); loop++) {
      pages.add(link.ask(loop, new LoopCommand.EventList(Access.caller(ctx).tenant(), afterName, limit + 1)));
    }
    Future.all(pages).onSuccess(all -> {
      List<EventView> merged = new ArrayList<>();
      for (int loop = 0; loop < node.loops(); loop++) {
        merged.addAll(all.<List<EventView>>resultAt(loop));
      }
      merged.sort((a, b) -> a.name().compareTo(b.name()));
      List<EventView> page = merged.size() > limit ? merged.subList(0, limit) : merged;
      JsonArray items = new JsonArray();
      page.forEach(e -> items.add(TaskJson.event(e)));
      String next = merged.size() > limit ? encodeText(page.get(page.size() - 1).name()) : null;
      sendJson(ctx, 200, new JsonObject().put("items", items).put("next_cursor", next));
    }).onFailure(ctx::fail);
  }

  // ---------------------------------------------------------------- node

  /** The node's auth setting as whoami names it: {@code none}, {@code keys}, {@code jwt} or {@code keys,jwt}. */
  private String authMode() {
    String mode = node.config().auth().mode();
    return mode.isEmpty() ? "none" : mode.equals("jwt,keys") ? "keys,jwt" : mode;
  }

  /** Who the caller is and what it may do: what the dashboard shows and hides by. */
  private void whoami(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    JsonArray scopes = new JsonArray();
    caller.scopes().forEach(s -> scopes.add(s.wire()));
    sendJson(ctx, 200, new JsonObject()
        .put("auth", authMode())
        .put("tenant", caller.tenant().isEmpty() ? null : caller.tenant())
        .put("who", caller.who())
        .put("scopes", scopes)
        .put("admin", caller.admin())
        .put("node", node.nodeId()));
  }

  private void cluster(RoutingContext ctx) {
    report.cluster().onSuccess(view -> sendJson(ctx, 200, view)).onFailure(ctx::fail);
  }

  private void problem(RoutingContext ctx) {
    if (!ctx.response().headWritten()) {
      ctx.response().putHeader(SERVED_BY, servedBy);
    }
    Problems.handle(ctx);
  }

  private static void health(RoutingContext ctx, boolean up) {
    ctx.response().setStatusCode(up ? 200 : 503).putHeader("Content-Type", JSON)
        .end(new JsonObject().put("status", up ? "UP" : "DOWN").toBuffer());
  }

  // ---------------------------------------------------------------- reading requests

  static JsonObject body(RoutingContext ctx) {
    Buffer buffer = ctx.body().buffer();
    if (buffer == null || buffer.length() == 0) {
      throw Problem.invalid("", "a JSON object body is required");
    }
    Object value = Json.decodeValue(buffer);
    if (!(value instanceof JsonObject json)) {
      throw Problem.invalid("", "the body must be a JSON object");
    }
    return json;
  }

  /** A body that may be left out: nothing, or a JSON null (what some clients send for "no body"). */
  private static JsonObject optionalBody(RoutingContext ctx) {
    Buffer buffer = ctx.body().buffer();
    if (buffer == null || buffer.length() == 0 || buffer.toString().trim().equals("null")) {
      return new JsonObject();
    }
    return body(ctx);
  }

  /** The event a path names, as the caller's tenant holds it. */
  private static String eventName(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (!SpecDecoder.NAME.matcher(name).matches()) {
      throw Problem.invalidParameter("name", "an event name is 1 to 200 letters, digits and . _ : @ / -, starting with a letter or digit");
    }
    return Tenancy.qualified(Access.caller(ctx).tenant(), name);
  }

  private static TaskFilter filter(RoutingContext ctx) {
    String state = ctx.request().getParam("state");
    TaskState s = state == null ? null : TaskState.fromWire(state);
    if (state != null && s == null) {
      throw Problem.invalidParameter("state", "unknown state '" + state + "'");
    }
    String type = ctx.request().getParam("type");
    TaskType t = type == null ? null : TaskType.fromWire(type);
    if (type != null && t == null) {
      throw Problem.invalidParameter("type", "unknown type '" + type + "'");
    }
    String label = ctx.request().getParam("label");
    String key = null;
    String value = null;
    if (label != null) {
      int eq = label.indexOf('=');
      key = eq < 0 ? label : label.substring(0, eq);
      value = eq < 0 ? null : label.substring(eq + 1);
      if (key.isEmpty()) {
        throw Problem.invalidParameter("label", "label is key or key=value");
      }
    }
    return new TaskFilter(s, t, ctx.request().getParam("name"), key, value);
  }

  static int limit(RoutingContext ctx) {
    String raw = ctx.request().getParam("limit");
    if (raw == null) {
      return DEFAULT_LIMIT;
    }
    try {
      int limit = Integer.parseInt(raw);
      if (limit >= 1 && limit <= MAX_LIMIT) {
        return limit;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw Problem.invalidParameter("limit", "limit must be an integer from 1 to " + MAX_LIMIT + ", got '" + raw + "'");
  }

  // ---------------------------------------------------------------- writing answers

  private void reply(RoutingContext ctx, Future<Task> answer) {
    answer.onSuccess(task -> sendTask(ctx, 200, task)).onFailure(ctx::fail);
  }

  private void sendTask(RoutingContext ctx, int status, Task task) {
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", JSON)
        .putHeader(SERVED_BY, servedBy)
        .end(task.json());
  }

  private void sendJson(RoutingContext ctx, int status, JsonObject json) {
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", JSON)
        .putHeader(SERVED_BY, servedBy)
        .end(json.toBuffer());
  }

  private static String location(Task task) {
    return "/v1/tasks/" + task.id();
  }

  static String encodeText(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static String decodeText(String cursor) {
    try {
      return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw Problem.invalidParameter("cursor", "not a cursor this server gave out");
    }
  }
}
