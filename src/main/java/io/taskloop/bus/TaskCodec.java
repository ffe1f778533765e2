package io.taskloop.bus;

import io.taskloop.loop.Addresses;
import io.taskloop.task.TaskJson;
import io.taskloop.loop.DoneNotice;
import io.taskloop.loop.Wire;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * Publishes finished tasks cheaply: the engine hands over the immutable record, and the task's
 * JSON is built only when a consumer receives it (locally) or it crosses the wire (clustered).
 * Consumers always see the same JSON as the HTTP API.
 */
public final class TaskCodec implements MessageCodec<DoneNotice, JsonObject> {

  public static final String NAME = Wire.DONE_CODEC;

  @Override
  public void encodeToWire(Buffer buffer, DoneNotice notice) {
    JsonFrames.write(buffer, TaskJson.task(notice.task()));
  }

  @Override
  public JsonObject decodeFromWire(int pos, Buffer buffer) {
    return JsonFrames.read(pos, buffer);
  }

  @Override
  public JsonObject transform(DoneNotice notice) {
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
