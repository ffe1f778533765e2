package io.taskloop.bus;

/** Every event-bus address taskloop uses, in one place. */
public final class Addresses {

  /** Prefix of the per-loop addresses: {@code taskloop.loop.<node>.<index>}. */
  public static final String LOOP = "taskloop.loop.";

  private Addresses() {
  }

  public static String loop(String node, int index) {
    return LOOP + node + "." + index;
  }
}
