package io.taskloop.http;

import io.taskloop.task.TaskJson;
import io.taskloop.loop.Addresses;
import io.taskloop.loop.ChangeLog;
import io.taskloop.loop.LoopCommand;
import io.taskloop.loop.LoopLink;
import io.taskloop.loop.NodeContext;
import io.taskloop.task.Owner;
import io.taskloop.loop.TaskFilter;
import io.taskloop.task.Problem;
import io.taskloop.task.Task;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Server-sent events of task state changes: {@code GET /v1/stream} for every task a filter
 * matches, {@code GET /v1/tasks/{id}/stream} for one task until it finishes. Loops publish their
 * changes to the node's stream address while a stream is open; each stream also asks the loops'
 * change logs for what it missed when it resumes with {@code Last-Event-ID}.
 */
final class Streams {

  private final Vertx vertx;
  private final NodeContext node;
  private final LoopLink link;
  private final long heartbeatMs;

  Streams(Vertx vertx, NodeContext node, LoopLink link) {
    this.vertx = vertx;
    this.node = node;
    this.link = link;
    this.heartbeatMs = node.config().streamHeartbeatMs();
  }

  /**
   * One open stream: live changes arrive on the event bus while the resume replay is fetched;
   * they wait in {@code held} until it is written, and per-loop sequence numbers drop repeats.
   */
  private abstract class Stream {
    final RoutingContext ctx;
    final HttpServerResponse response;
    final List<ChangeLog.Change> held = new ArrayList<>();
    boolean replaying = true;
    boolean closed;
    MessageConsumer<ChangeLog.Change> consumer;
    long heartbeat;

    Stream(RoutingContext ctx) {
      this.ctx = ctx;
      this.response = ctx.response();
    }

    Future<Void> subscribe() {
      node.streamOpened();
      consumer = vertx.eventBus().localConsumer(Addresses.stream(node.nodeId()), msg -> {
        if (replaying) {
          held.add(msg.body());
        } else {
          offer(msg.body());
        }
      });
      response.closeHandler(v -> close());
      response.exceptionHandler(err -> close());
      return consumer.completion();
    }

    void open() {
      response.setChunked(true)
          .putHeader("Content-Type", "text/event-stream")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no");
      response.write(": taskloop stream\n\n");
      heartbeat = vertx.setPeriodic(heartbeatMs, t -> {
        if (!closed) {
          response.write(": heartbeat\n\n");
        }
      });
    }

    void goLive() {
      replaying = false;
      for (ChangeLog.Change change : held) {
        offer(change);
      }
      held.clear();
    }

    abstract void offer(ChangeLog.Change change);

    void send(String id, String event, JsonObject data) {
      if (closed) {
        return;
      }
      if (response.writeQueueFull()) {
        // A client that cannot keep up is told so and reconnects with Last-Event-ID.
        response.write("event: overflow\ndata: {}\n\n");
        end();
        return;
      }
      response.write((id == null ? "" : "id: " + id + "\n") + "event: " + event + "\ndata: " + data.encode() + "\n\n");
    }

    void end() {
      if (!closed) {
        close();
        response.end();
      }
    }

    void close() {
      if (closed) {
        return;
      }
      closed = true;
      node.streamClosed();
      vertx.cancelTimer(heartbeat);
      if (consumer != null) {
        consumer.unregister();
      }
    }

    void fail(Throwable err) {
      close();
      ctx.fail(err);
    }
  }

  // ---------------------------------------------------------------- GET /v1/stream

  void all(RoutingContext ctx, TaskFilter filter) {
    String lastEventId = ctx.request().getHeader("Last-Event-ID");
    long[] resumeFrom = lastEventId == null ? null : TaskCursor.decode(lastEventId, node.loops(), "Last-Event-ID");
    long[] last = new long[node.loops()];
    Stream stream = new Stream(ctx) {
      @Override
      void offer(ChangeLog.Change c) {
        if (c.seq() <= last[c.loop()]) {
          return;
        }
        last[c.loop()] = c.seq();
        if (filter.matches(c.task())) {
          send(TaskCursor.encode(last), "task", TaskJson.task(c.task()));
        }
      }
    };
    stream.subscribe()
        .compose(v -> replay(resumeFrom))
        .onSuccess(since -> {
          stream.open();
          JsonArray gaps = new JsonArray();
          for (int loop = 0; loop < since.size(); loop++) {
            ChangeLog.Since s = since.get(loop);
            if (resumeFrom == null) {
              last[loop] = s.last(); // a new stream starts from now
            } else {
              last[loop] = resumeFrom[loop];
              if (s.gap()) {
                gaps.add(loop);
              }
            }
          }
          if (!gaps.isEmpty()) {
            stream.send(null, "gap", new JsonObject().put("loops", gaps)
                .put("detail", "some changes since Last-Event-ID are no longer held; what is held follows"));
          }
          for (ChangeLog.Since s : since) {
            s.changes().forEach(stream::offer);
          }
          stream.goLive();
        })
        .onFailure(stream::fail);
  }

  private Future<List<ChangeLog.Since>> replay(long[] resumeFrom) {
    List<Future<ChangeLog.Since>> asks = new ArrayList<>();
    for (int loop = 0; loop < node.loops(); loop++) {
      long after = resumeFrom == null ? Long.MAX_VALUE - 1 : resumeFrom[loop];
      asks.add(link.ask(loop, new LoopCommand.ChangesSince(after)));
    }
    return Future.all(asks).map(all -> all.list());
  }

  // ---------------------------------------------------------------- GET /v1/tasks/{id}/stream

  void task(RoutingContext ctx, String id) {
    Owner owner = node.ownerOf(id);
    if (owner == null) {
      throw Problem.notFound("Task", "no task with id '" + id + "'");
    }
    long resumeAfter = versionHeader(ctx.request().getHeader("Last-Event-ID"));
    long[] sent = {resumeAfter};
    Stream stream = new Stream(ctx) {
      @Override
      void offer(ChangeLog.Change c) {
        Task t = c.task();
        if (!t.id().equals(id) || t.version() <= sent[0]) {
          return;
        }
        sent[0] = t.version();
        send(Integer.toString(t.version()), "task", TaskJson.task(t));
        if (t.isFinished()) {
          end();
        }
      }
    };
    stream.subscribe()
        .compose(v -> link.ask(owner, new LoopCommand.Get(id)))
        .onSuccess(task -> {
          stream.open();
          stream.offer(new ChangeLog.Change(owner.loop(), Long.MAX_VALUE, task));
          if (task.isFinished()) {
            stream.end(); // the client has seen the final state already (or just now)
            return;
          }
          stream.goLive();
        })
        .onFailure(stream::fail);
  }

  private static long versionHeader(String header) {
    if (header == null) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(header.trim()));
    } catch (NumberFormatException e) {
      throw Problem.invalidParameter("Last-Event-ID", "a task stream's event id is the task version, a number");
    }
  }
}
