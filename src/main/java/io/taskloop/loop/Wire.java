package io.taskloop.loop;

/**
 * The names of the event-bus codecs loops send with. {@code bus/} registers codecs of these
 * names: one for commands between loops (by reference inside a JVM, JSON between nodes), one
 * for finished tasks published on {@code taskloop.v1.task.done}.
 */
public final class Wire {

  public static final String CODEC = "taskloop.wire";
  public static final String DONE_CODEC = "taskloop.task";

  private Wire() {
  }
}
