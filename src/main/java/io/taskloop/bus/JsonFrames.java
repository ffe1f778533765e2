package io.taskloop.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/** How taskloop's codecs put a JSON object on the wire: its length, then its bytes. */
final class JsonFrames {

  private JsonFrames() {
  }

  static void write(Buffer buffer, JsonObject json) {
    Buffer bytes = json.toBuffer();
    buffer.appendInt(bytes.length()).appendBuffer(bytes);
  }

  static JsonObject read(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return new JsonObject(buffer.getBuffer(pos + 4, pos + 4 + length));
  }
}
