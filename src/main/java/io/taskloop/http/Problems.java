package io.taskloop.http;

import io.taskloop.task.Problem;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one failure handler: every failed request is answered as {@code application/problem+json}. */
final class Problems {

  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);
  static final String CONTENT_TYPE = "application/problem+json";

  private Problems() {
  }

  static void handle(RoutingContext ctx) {
    Problem problem = toProblem(ctx);
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      response.reset();
      return;
    }
    send(response, problem, ctx.request().path());
  }

  /** Answers {@code problem} as problem+json; {@code instance} is the path it is about. */
  static io.vertx.core.Future<Void> send(HttpServerResponse response, Problem problem, String instance) {
    response.setStatusCode(problem.status()).putHeader("Content-Type", CONTENT_TYPE);
    if (problem.retryAfterSeconds() > 0) {
      response.putHeader("Retry-After", Long.toString(problem.retryAfterSeconds()));
    }
    if (problem.challenge() != null) {
      response.putHeader("WWW-Authenticate", problem.challenge());
    }
    return response.end(problem.toJson(instance).toBuffer());
  }

  private static Problem toProblem(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof Problem p) {
      return p;
    }
    if (failure instanceof DecodeException e) {
      return Problem.malformed("the body is not valid JSON: " + firstLine(e.getMessage()));
    }
    if (failure instanceof HttpException e) {
      return byStatus(e.getStatusCode(), ctx);
    }
    if (failure instanceof IllegalArgumentException && !queryDecodes(ctx.request().query())) {
      return Problem.malformed("the query string is not valid percent-encoding");
    }
    if (failure == null) {
      return byStatus(ctx.statusCode(), ctx);
    }
    if (ctx.response().closed() || failure instanceof java.io.IOException
        || failure instanceof io.vertx.core.http.HttpClosedException) {
      // The client went away mid-request: nobody reads an answer, and it is no error of ours.
      LOG.debug("{} {}: the client went away ({})", ctx.request().method(), ctx.request().path(), failure.toString());
      return Problem.malformed("the connection closed before the request was read");
    }
    LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), failure);
    return Problem.of(500, "Internal error", "the server failed on this request; it is logged");
  }

  static Problem byStatus(int status, RoutingContext ctx) {
    return switch (status) {
      case 413 -> Problem.tooLarge("", "the body is over this server's limit");
      case 404 -> Problem.notFound("Resource", "no route for " + ctx.request().method() + " " + ctx.request().path());
      case 405 -> Problem.of(405, "Method not allowed", ctx.request().method() + " is not allowed on " + ctx.request().path());
      case 400 -> Problem.malformed("the request could not be read");
      default -> Problem.of(status, "HTTP " + status, "the request failed with status " + status);
    };
  }

  private static boolean queryDecodes(String query) {
    if (query == null) {
      return true;
    }
    try {
      QueryStringDecoder.decodeComponent(query);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
