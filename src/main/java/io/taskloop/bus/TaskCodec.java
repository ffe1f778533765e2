package io.taskloop.bus;

import io.taskloop.loop.Addresses;
import io.taskloop.task.TaskJson;
import io.taskloop.task.Task;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * Publishes finished tasks cheaply: the engine hands over the immutable record, and the task's
 * JSON is built only when a consumer receives it (locally) or it crosses the wire (clustered).
 * Consumers always see the same JSON as the HTTP API.
 */
public final class TaskCodec implements MessageCodec<TaskCodec.Notice, JsonObject> {

  public static final String NAME = "taskloop.task";

  /** A task as it finished, with the node that owns it. */
  public record Notice(Task task, String nodeId) {
  }

  @Override
  public void encodeToWire(Buffer buffer, Notice notice) {
    JsonFrames.write(buffer, TaskJson.task(notice.task()));
  }

  @Override
  public JsonObject decodeFromWire(int pos, Buffer buffer) {
    return JsonFrames.read(pos, buffer);
  }

  @Override
  public JsonObject transform(Notice notice) {
    return TaskJson.task(notice.task());
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
