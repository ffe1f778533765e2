package io.taskloop.http;

import io.taskloop.auth.Authenticator;
import io.taskloop.auth.Caller;
import io.taskloop.auth.Scope;
import io.taskloop.task.Problem;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

/**
 * Who may reach which route: every {@code /v1} route and {@code /metrics} asks who the caller
 * is (401 without credentials) and whether it holds the route's scope (403 without); the health
 * probes and the contract stay open. Reading needs {@code tasks:read}; making and changing tasks
 * {@code tasks:write}; setting and clearing events {@code events:write}; changing schedules
 * {@code schedules:write}; the cluster view {@code admin}, and {@code /metrics} too unless
 * {@code metrics_open}; {@code /v1/whoami} any known caller. The dashboard's files ({@code /ui})
 * are open: they hold no data and call the API with the caller's key. The caller rides on the request for the handlers ({@link #caller}).
 */
final class Access {

  private static final String CALLER = "taskloop.caller";
  /** Who the caller is: any known caller may ask, whatever its scopes. */
  static final String WHOAMI = "/v1/whoami";

  private final Authenticator authenticator;
  private final boolean metricsOpen;

  Access(Authenticator authenticator, boolean metricsOpen) {
    this.authenticator = authenticator;
    this.metricsOpen = metricsOpen;
  }

  /** The scope a request needs, or null for a route anyone may reach. */
  Scope required(HttpMethod method, String path) {
    if (path.equals("/metrics")) {
      return metricsOpen ? null : Scope.ADMIN;
    }
    if (!path.startsWith("/v1/") && !path.equals("/v1")) {
      return null;
    }
    boolean reads = method == HttpMethod.GET || method == HttpMethod.HEAD;
    if (path.equals("/v1/cluster")) {
      return Scope.ADMIN;
    }
    if (path.startsWith("/v1/events")) {
      return reads ? Scope.TASKS_READ : Scope.EVENTS_WRITE;
    }
    if (path.startsWith("/v1/schedules")) {
      return reads ? Scope.TASKS_READ : Scope.SCHEDULES_WRITE;
    }
    return reads ? Scope.TASKS_READ : Scope.TASKS_WRITE;
  }

  void handle(RoutingContext ctx) {
    Scope needed = required(ctx.request().method(), ctx.request().path());
    if (needed == null || authenticator.open()) {
      ctx.next(); // no caller on the request is the open caller (caller(ctx)): nothing to allocate per request
      return;
    }
    Future<Caller> caller = authenticator.caller(ctx.request().getHeader("Authorization"));
    if (caller.isComplete()) { // an API key: known at once, the request goes on as it is
      admit(ctx, needed, caller);
      return;
    }
    // A token is checked asynchronously: the body waits until the caller is known.
    ctx.request().pause();
    caller.onComplete(ar -> {
      ctx.request().resume();
      admit(ctx, needed, ar);
    });
  }

  /** 401 when the caller is unknown, 403 when it lacks the scope, else on to the route. */
  private static void admit(RoutingContext ctx, Scope needed, io.vertx.core.AsyncResult<Caller> ar) {
    if (ar.failed()) {
      ctx.fail(ar.cause());
    } else if (!ar.result().may(needed) && !ctx.request().path().equals(WHOAMI)) {
      ctx.fail(Problem.forbidden(ar.result().who() + " of tenant " + ar.result().tenant() + " lacks the scope "
          + needed.wire() + " that " + ctx.request().method() + " " + ctx.request().path() + " needs"));
    } else {
      ctx.put(CALLER, ar.result());
      ctx.next();
    }
  }

  /** The caller of a request that passed {@link #handle}. */
  static Caller caller(RoutingContext ctx) {
    Caller caller = ctx.get(CALLER);
    return caller != null ? caller : Caller.OPEN;
  }
}
