package io.taskloop.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Passes objects between loops of one JVM without serialization. Everything sent with it is
 * immutable (commands, task records) or handed over whole, so sharing the reference is safe.
 * It refuses the wire: messages for other nodes travel as JSON.
 */
public final class LocalCodec implements MessageCodec<Object, Object> {

  public static final String NAME = "taskloop.local";

  @Override
  public void encodeToWire(Buffer buffer, Object o) {
    throw new UnsupportedOperationException("taskloop.local messages never leave the JVM");
  }

  @Override
  public Object decodeFromWire(int pos, Buffer buffer) {
    throw new UnsupportedOperationException("taskloop.local messages never leave the JVM");
  }

  @Override
  public Object transform(Object o) {
    return o;
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
