package io.taskloop.http;

import io.taskloop.loop.ScheduleCalls;
import io.taskloop.schedule.ScheduleSpec;
import io.taskloop.task.Problem;
import io.taskloop.task.Tenancy;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** {@code /v1/schedules}: the HTTP face of {@link ScheduleCalls}. */
final class ScheduleRoutes {

  private final ScheduleCalls calls;
  private final String servedBy;

  ScheduleRoutes(ScheduleCalls calls, String servedBy) {
    this.calls = calls;
    this.servedBy = servedBy;
  }

  void mount(Router router) {
    router.post("/v1/schedules").handler(this::create);
    router.get("/v1/schedules").handler(this::list);
    router.get("/v1/schedules/:id").handler(ctx -> send(ctx, calls.call("get", id(ctx), new JsonObject())));
    router.put("/v1/schedules/:id").handler(ctx -> {
      String id = ctx.pathParam("id");
      if (!ScheduleSpec.ID.matcher(id).matches()) {
        throw Problem.invalidParameter("id", "a schedule id is 1 to 128 letters, digits, '.', '_' or '-', starting with"
            + " a letter or digit");
      }
      send(ctx, calls.call("put", Tenancy.qualified(Access.caller(ctx).tenant(), id), HttpApi.body(ctx)));
    });
    router.delete("/v1/schedules/:id").handler(ctx -> send(ctx, calls.call("delete", id(ctx), new JsonObject())));
    router.post("/v1/schedules/:id/pause").handler(ctx -> send(ctx, calls.call("pause", id(ctx), new JsonObject())));
    router.post("/v1/schedules/:id/resume").handler(ctx -> send(ctx, calls.call("resume", id(ctx), new JsonObject())));
    router.post("/v1/schedules/:id/trigger").handler(ctx -> send(ctx, calls.call("trigger", id(ctx), new JsonObject())));
  }

  private void create(RoutingContext ctx) {
    JsonObject body = HttpApi.body(ctx);
    String id = ScheduleCalls.newId(body);
    send(ctx, calls.call("create", Tenancy.qualified(Access.caller(ctx).tenant(), id), body));
  }

  private void list(RoutingContext ctx) {
    int limit = HttpApi.limit(ctx);
    String cursor = ctx.request().getParam("cursor");
    calls.list(Access.caller(ctx).tenant(), cursor == null ? null : HttpApi.decodeText(cursor), limit).onSuccess(page -> {
      String last = page.getString("last");
      JsonObject body = new JsonObject().put("items", page.getJsonArray("items"))
          .put("next_cursor", last == null ? null : HttpApi.encodeText(last));
      ctx.response().setStatusCode(200).putHeader("Content-Type", HttpApi.JSON).putHeader(HttpApi.SERVED_BY, servedBy)
          .end(body.toBuffer());
    }).onFailure(ctx::fail);
  }

  /** The schedule a path names, as the caller's tenant holds it; an id no schedule could have is a 404. */
  private static String id(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!ScheduleSpec.ID.matcher(id).matches()) {
      throw Problem.notFound("Schedule", "no schedule with id '" + id + "'");
    }
    return Tenancy.qualified(Access.caller(ctx).tenant(), id);
  }

  private void send(RoutingContext ctx, Future<JsonObject> answer) {
    answer.onSuccess(a -> {
      int status = a.getInteger("status");
      ctx.response().setStatusCode(status).putHeader(HttpApi.SERVED_BY, servedBy);
      if (status == 201) {
        ctx.response().putHeader("Location", "/v1/schedules/" + a.getJsonObject("body").getString("id"));
      }
      Object body = a.getValue("body");
      if (body == null) {
        ctx.response().end();
      } else {
        ctx.response().putHeader("Content-Type", HttpApi.JSON).end(((JsonObject) body).toBuffer());
      }
    }).onFailure(ctx::fail);
  }
}
