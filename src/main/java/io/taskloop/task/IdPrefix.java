package io.taskloop.task;

import java.util.concurrent.ConcurrentHashMap;

/**
 * What a task id says before its sequence: {@code <node>-<loop>-}, one shared object per node and
 * loop. A task keeps this and its sequence instead of the id's own {@code String}, which with its
 * bytes took 56-64 bytes per task, a quarter of what a pending sleep holds; {@link Task#id()}
 * writes the text when asked. Prefixes are interned ({@link #of}), so two tasks have equal
 * prefixes exactly when they have the same one, and only ids the node made or read back from its
 * own records are interned: a lookup by an id a client sent never adds one.
 */
public final class IdPrefix {

  private static final ConcurrentHashMap<String, IdPrefix> INTERNED = new ConcurrentHashMap<>();

  private final String text;
  /** {@code text.hashCode()}: the start of every id's hash, continued over its digits by {@link #hashOf}. */
  private final int hash;
  /** The opening of every id's JSON string: a quote and the prefix, escaped. */
  private final String jsonOpening;

  /**
   * A prefix and the owner of tasks with it: what a task keeps in one reference. A task made on a
   * loop is owned there, so the tasks of a loop share one; an adopted task shares its new
   * owner's with the others adopted there from the same loop.
   */
  public static final class Home {
    private final IdPrefix prefix;
    private final Owner owner;

    private Home(IdPrefix prefix, Owner owner) {
      this.prefix = prefix;
      this.owner = owner;
    }

    public IdPrefix prefix() {
      return prefix;
    }

    public Owner owner() {
      return owner;
    }
  }

  /** The homes of this prefix's tasks by owner: one per loop that has owned any. */
  private final ConcurrentHashMap<Owner, Home> homes = new ConcurrentHashMap<>();

  private IdPrefix(String text) {
    this.text = text;
    this.hash = text.hashCode();
    StringBuilder b = new StringBuilder(text.length() + 2);
    JsonText.string(b, text);
    this.jsonOpening = b.substring(0, b.length() - 1);
  }

  /** The one prefix of this text. */
  public static IdPrefix of(String text) {
    IdPrefix known = INTERNED.get(text);
    return known != null ? known : INTERNED.computeIfAbsent(text, IdPrefix::new);
  }

  /** The prefix of a whole id, made by the node or read from its records: everything up to its last '-'. */
  public static IdPrefix ofId(String id) {
    int dash = id.lastIndexOf('-');
    if (dash < 0 || !isCanonical(id, dash + 1)) {
      throw new IllegalArgumentException("not a task id: " + id);
    }
    return of(id.substring(0, dash + 1));
  }

  /** The home of this prefix's tasks owned by {@code owner}. */
  public Home home(Owner owner) {
    Home known = homes.get(owner);
    return known != null ? known : homes.computeIfAbsent(owner, o -> new Home(this, o));
  }

  public String text() {
    return text;
  }

  /** The id of sequence {@code seq} under this prefix. */
  public String id(long seq) {
    return text + seq;
  }

  /** {@code id(seq).hashCode()}, without writing the id: the prefix's hash carried on over the digits. */
  public int hashOf(long seq) {
    int tail = 0;
    int power = 1;
    long v = seq;
    do {
      tail += ('0' + (int) (v % 10)) * power;
      power *= 31;
      v /= 10;
    } while (v != 0);
    return hash * power + tail;
  }

  /** Whether {@code id} is {@code id(seq)}, without writing it. */
  boolean names(String id, long seq) {
    int start = text.length();
    int i = id.length() - 1;
    if (i < start) {
      return false;
    }
    long v = seq;
    for (; i >= start; i--) {
      if (id.charAt(i) != '0' + (int) (v % 10)) {
        return false;
      }
      v /= 10;
      if (v == 0) {
        break;
      }
    }
    return i == start && v == 0 && id.startsWith(text);
  }

  void appendJson(StringBuilder b, long seq) {
    b.append(jsonOpening).append(seq).append('"');
  }

  /** Decimal digits from {@code from} to the end, as {@link Long#toString} writes a sequence: no sign or leading zero. */
  private static boolean isCanonical(String id, int from) {
    int n = id.length() - from;
    if (n < 1 || n > 19 || (id.charAt(from) == '0' && n > 1)) {
      return false;
    }
    for (int i = from; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return text;
  }
}
