package io.taskloop.loop;

import io.taskloop.task.EventBusSpec;
import io.taskloop.task.HttpSpec;
import io.taskloop.task.OnDone;
import io.taskloop.task.Task;
import io.taskloop.task.TaskError;
import io.taskloop.task.TaskJson;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.taskloop.task.OutboundGuard;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loop's way out: http requests, event-bus requests and done hooks, all non-blocking and on
 * the loop's own thread. It uses Vert.x's pooled {@link HttpClient} (what WebClient wraps),
 * because a task must be able to abort its request when cancelled and to stop reading a body
 * that passes the size cap; WebClient offers neither.
 */
final class Outbound {

  private static final Logger LOG = LoggerFactory.getLogger(Outbound.class);
  static final long WEBHOOK_TIMEOUT_MS = 10_000;

  /** How an attempt failed: the task's error, and the HTTP status when there was one (for retry rules). */
  static final class Failure extends RuntimeException {
    final TaskError error;
    final int status;

    Failure(TaskError error, int status) {
      super(error.message(), null, false, false);
      this.error = error;
      this.status = status;
    }
  }

  private final Vertx vertx;
  private final HttpClient client;
  private final OutboundGuard guard;
  private final long maxResponseBytes;
  private final int webhookAttempts;
  private final long webhookBackoffMs;

  Outbound(Vertx vertx, OutboundGuard guard, long maxResponseBytes, int webhookAttempts, long webhookBackoffMs) {
    this.guard = guard;
    this.vertx = vertx;
    this.maxResponseBytes = maxResponseBytes;
    this.webhookAttempts = webhookAttempts;
    this.webhookBackoffMs = webhookBackoffMs;
    this.client = vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true).setConnectTimeout(10_000),
        new PoolOptions().setHttp1MaxSize(64));
  }

  void close() {
    client.close();
  }

  /** Sends an http task's request; {@code onAbort} receives the way to abort it (cancellation). */
  Future<Object> http(HttpSpec spec, Consumer<Runnable> onAbort) {
    Promise<Object> promise = Promise.promise();
    RequestOptions options;
    Buffer body;
    try {
      options = new RequestOptions()
          .setMethod(HttpMethod.valueOf(spec.method()))
          .setAbsoluteURI(spec.url())
          .setFollowRedirects(false);
      spec.headers().forEach(options::putHeader);
      body = body(spec.body(), options);
    } catch (RuntimeException e) {
      // Whatever the decoder let through that the client refuses still ends the attempt.
      return Future.failedFuture(new Failure(new TaskError("ConnectionError", "cannot send to " + spec.url() + ": "
          + e.getMessage(), null), 0));
    }
    long timer = vertx.setTimer(spec.attemptTimeoutMs(), t -> promise.tryFail(
        new Failure(new TaskError("TimeoutError", "attempt timed out after " + spec.attemptTimeoutMs() + " ms", null), 0)));
    // Aborting fails the attempt at once; the request, whenever it exists, is reset on any failure.
    onAbort.accept(() -> promise.tryFail(new Failure(TaskError.cancelled("the task ended"), 0)));
    client.request(options).onComplete(ar -> {
      if (ar.failed()) {
        promise.tryFail(connectionError(ar.cause()));
        return;
      }
      HttpClientRequest request = ar.result();
      promise.future().onFailure(err -> request.reset());
      if (promise.future().isComplete()) {
        return;
      }
      String denied = deniedConnection(request);
      if (denied != null) {
        promise.tryFail(new Failure(new TaskError("OutboundDenied", "not sent to " + spec.url() + ": " + denied, null), 0));
        return;
      }
      request.response().onSuccess(response -> read(spec, response, request, promise))
          .onFailure(err -> promise.tryFail(connectionError(err)));
      (body == null ? request.end() : request.end(body)).onFailure(err -> promise.tryFail(connectionError(err)));
    });
    return promise.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  /**
   * Why the address a request's connection reached is denied (a name may resolve anywhere, and
   * again differently later), or null: checked before anything is sent on it.
   */
  private String deniedConnection(HttpClientRequest request) {
    io.vertx.core.net.SocketAddress remote = request.connection().remoteAddress();
    return remote == null || remote.hostAddress() == null ? null : guard.refusalOfAddress(remote.hostAddress());
  }

  private static Buffer body(Object body, RequestOptions options) {
    if (body == null) {
      return null;
    }
    boolean typed = options.getHeaders() != null && options.getHeaders().contains("Content-Type");
    if (body instanceof String text) {
      if (!typed) {
        options.putHeader("Content-Type", "text/plain; charset=utf-8");
      }
      return Buffer.buffer(text);
    }
    if (!typed) {
      options.putHeader("Content-Type", "application/json");
    }
    return Json.encodeToBuffer(body);
  }

  private void read(HttpSpec spec, HttpClientResponse response, HttpClientRequest request, Promise<Object> promise) {
    Buffer received = Buffer.buffer();
    response.handler(chunk -> {
      if (received.length() + chunk.length() > maxResponseBytes) {
        promise.tryFail(new Failure(new TaskError("ResponseTooLarge",
            "the response body passed the limit of " + maxResponseBytes + " bytes", null), response.statusCode()));
        request.reset();
      } else {
        received.appendBuffer(chunk);
      }
    });
    response.exceptionHandler(err -> promise.tryFail(connectionError(err)));
    response.endHandler(v -> {
      JsonObject result = new JsonObject()
          .put("status", response.statusCode())
          .put("headers", headers(response.headers()))
          .put("body", decode(received, response.getHeader("Content-Type")));
      if (spec.expects(response.statusCode())) {
        promise.tryComplete(result);
      } else {
        promise.tryFail(new Failure(new TaskError("HttpError",
            spec.method() + " " + spec.url() + " answered " + response.statusCode(), result), response.statusCode()));
      }
    });
  }

  private static JsonObject headers(MultiMap headers) {
    JsonObject json = new JsonObject();
    for (String name : headers.names()) {
      json.put(name.toLowerCase(java.util.Locale.ROOT), String.join(", ", headers.getAll(name)));
    }
    return json;
  }

  /** A JSON body is parsed; anything else is kept as text. */
  private static Object decode(Buffer body, String contentType) {
    if (body.length() == 0) {
      return null;
    }
    if (contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).contains("json")) {
      try {
        return Json.decodeValue(body);
      } catch (RuntimeException notJson) {
        return body.toString();
      }
    }
    return body.toString();
  }

  private static Failure connectionError(Throwable cause) {
    if (cause instanceof Failure f) {
      return f;
    }
    return new Failure(new TaskError("ConnectionError", String.valueOf(cause.getMessage()), null), 0);
  }

  /** Request/reply on the event bus; the three ways it can fail are three error types. */
  Future<Object> eventbus(EventBusSpec spec) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(spec.attemptTimeoutMs());
    spec.headers().forEach(options::addHeader);
    return vertx.eventBus().request(spec.address(), spec.body(), options)
        .map(reply -> reply.body() instanceof Buffer b ? b.toString() : reply.body())
        .recover(err -> Future.failedFuture(replyError(spec, err)));
  }

  private static Failure replyError(EventBusSpec spec, Throwable err) {
    if (err instanceof ReplyException re) {
      return switch (re.failureType()) {
        case NO_HANDLERS -> new Failure(new TaskError("NoHandlerError", "no consumer at " + spec.address(), null), 0);
        case TIMEOUT -> new Failure(new TaskError("TimeoutError",
            "no reply from " + spec.address() + " within " + spec.attemptTimeoutMs() + " ms", null), 0);
        default -> new Failure(new TaskError("ReplyError", re.getMessage(),
            new JsonObject().put("failure_code", re.failureCode())), 0);
      };
    }
    return new Failure(new TaskError("ReplyError", String.valueOf(err.getMessage()), null), 0);
  }

  /** Runs a finished task's done hooks. Failures are logged, never passed back: the task is final. */
  void done(OnDone hook, Task finished) {
    JsonObject task = TaskJson.task(finished);
    if (hook.address() != null) {
      vertx.eventBus().publish(hook.address(), task);
    }
    if (hook.url() != null) {
      webhook(hook, task, 1);
    }
  }

  private void webhook(OnDone hook, JsonObject task, int attempt) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(hook.url())
        .setTimeout(WEBHOOK_TIMEOUT_MS).putHeader("Content-Type", "application/json");
    hook.headers().forEach(options::putHeader);
    client.request(options)
        .compose(req -> {
          String denied = deniedConnection(req);
          if (denied != null) {
            req.reset();
            return Future.failedFuture(denied);
          }
          return req.send(task.toBuffer());
        })
        .compose(resp -> resp.body().map(b -> resp.statusCode()))
        .onComplete(ar -> {
          boolean ok = ar.succeeded() && ar.result() / 100 == 2;
          if (ok) {
            return;
          }
          String why = ar.succeeded() ? "status " + ar.result() : String.valueOf(ar.cause().getMessage());
          if (attempt >= webhookAttempts) {
            LOG.warn("webhook {} for task {} gave up after {} attempts: {}", hook.url(), task.getString("id"), attempt, why);
            return;
          }
          long backoff = webhookBackoffMs << (attempt - 1);
          LOG.debug("webhook {} for task {} failed ({}), attempt {} in {} ms", hook.url(), task.getString("id"), why,
              attempt + 1, backoff);
          vertx.setTimer(backoff, t -> webhook(hook, task, attempt + 1));
        });
  }
}
