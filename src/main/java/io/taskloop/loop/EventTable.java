package io.taskloop.loop;

import io.taskloop.task.EventView;
import io.taskloop.task.Tenancy;
import io.taskloop.task.Problem;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The named events whose home is this loop ({@link NodeContext#homeOf}): asyncio's
 * {@code Event}, set from anywhere. Waiters are event tasks (told on their own loop) and
 * long-polling readers.
 */
public final class EventTable {

  private final Vertx vertx;
  private final LoopLink link;
  private final Clock clock;
  private final Map<String, Entry> entries = new HashMap<>();
  /** Told of every set and clear made on this node, to carry it to the rest of the cluster. */
  private Consumer<EventView> announcer = view -> { };

  private static final class Entry {
    final String name;
    boolean set;
    Object payload;
    long setAt;
    long touchedAt;
    long version;
    final List<TaskWaiter> tasks = new ArrayList<>(1);
    final List<Promise<EventView>> readers = new ArrayList<>(1);

    Entry(String name, long now) {
      this.name = name;
      this.touchedAt = now;
    }

    EventView view() {
      return new EventView(name, set, payload, setAt, tasks.size() + readers.size(), version);
    }

    boolean idle() {
      return tasks.isEmpty() && readers.isEmpty();
    }
  }

  private record TaskWaiter(int loop, String taskId) {
  }

  private final Journal journal;

  EventTable(Vertx vertx, LoopLink link, Clock clock, Journal journal) {
    this.vertx = vertx;
    this.link = link;
    this.clock = clock;
    this.journal = journal;
  }

  public void announceWith(Consumer<EventView> announcer) {
    this.announcer = announcer;
  }

  int size() {
    return entries.size();
  }

  /** Sets an event once the set is durable; its waiters wake then, and the answer goes out. */
  public Future<EventView> set(String name, Object payload) {
    Entry e = entries.get(name);
    EventView next = new EventView(name, true, payload, clock.millis(), 0, (e == null ? 0 : e.version) + 1);
    return journal.event(next, true).map(v -> {
      EventView view = apply(name, payload);
      announcer.accept(view);
      return view;
    });
  }

  /** Clears an event once the clear is durable (a no-op for an unknown one); one nobody waits on is forgotten at once. */
  public Future<Void> clear(String name) {
    return journal.event(new EventView(name, false, null, 0, 0, 0), true).map(v -> {
      applyClear(name);
      announcer.accept(new EventView(name, false, null, 0, 0, 0));
      return null;
    });
  }

  /** A set or clear made on another node of the cluster: applied, and kept here too (a restart finds it). */
  public void applyRemote(String name, boolean set, Object payload) {
    if (set) {
      journal.event(apply(name, payload), false);
    } else {
      applyClear(name);
      journal.event(new EventView(name, false, null, 0, 0, 0), false);
    }
  }

  /** An event the store held when the node started: set again, as it was (nobody waits on it yet). */
  void restore(EventView event) {
    Entry e = entries.computeIfAbsent(event.name(), n -> new Entry(n, clock.millis()));
    e.set = true;
    e.payload = event.payload();
    e.setAt = event.setAt();
    e.version = event.version();
  }

  private EventView apply(String name, Object payload) {
    long now = clock.millis();
    Entry e = entries.computeIfAbsent(name, n -> new Entry(n, now));
    e.set = true;
    e.payload = payload;
    e.setAt = now;
    e.touchedAt = now;
    e.version++;
    EventView view = e.view();
    for (TaskWaiter w : e.tasks) {
      link.tell(w.loop(), new LoopCommand.EventFired(w.taskId(), payload));
    }
    for (Promise<EventView> reader : e.readers) {
      reader.tryComplete(view);
    }
    e.tasks.clear();
    e.readers.clear();
    return new EventView(name, true, payload, now, 0, e.version);
  }

  private void applyClear(String name) {
    Entry e = entries.get(name);
    if (e == null) {
      return;
    }
    e.set = false;
    e.payload = null;
    e.setAt = 0;
    e.version++;
    e.touchedAt = clock.millis();
    if (e.idle()) {
      entries.remove(name);
    }
  }

  /** The event now, or once it is set within {@code waitMs}; an unknown name without a wait is a 404. */
  public Future<EventView> get(String name, long waitMs) {
    Entry e = entries.get(name);
    if (e != null && e.set) {
      e.touchedAt = clock.millis();
      return Future.succeededFuture(e.view());
    }
    if (waitMs <= 0) {
      if (e == null) {
        throw Problem.notFound("Event", "no event named '" + name + "'");
      }
      return Future.succeededFuture(e.view());
    }
    Entry entry = e != null ? e : newEntry(name);
    Promise<EventView> reader = Promise.promise();
    entry.readers.add(reader);
    long timer = vertx.setTimer(waitMs, t -> {
      entry.readers.remove(reader);
      reader.tryComplete(entry.view());
      forgetIfIdle(entry);
    });
    return reader.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  public EventView watch(String name, int taskLoop, String taskId) {
    Entry e = entries.get(name);
    if (e == null) {
      e = newEntry(name);
    }
    if (!e.set) {
      e.tasks.add(new TaskWaiter(taskLoop, taskId));
    }
    return e.view();
  }

  public void unwatch(String name, int taskLoop, String taskId) {
    Entry e = entries.get(name);
    if (e != null) {
      e.tasks.remove(new TaskWaiter(taskLoop, taskId));
      forgetIfIdle(e);
    }
  }

  public List<EventView> list(String tenant, String after, int limit) {
    List<EventView> out = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (Tenancy.holds(tenant, e.name) && (after == null || e.name.compareTo(after) > 0)) {
        out.add(e.view());
      }
    }
    out.sort((a, b) -> a.name().compareTo(b.name()));
    return out.size() > limit ? new ArrayList<>(out.subList(0, limit)) : out;
  }

  /** Forgets cleared events nobody waits on, and set events untouched for the retention time. */
  void sweep(long retentionMs) {
    long cutoff = clock.millis() - retentionMs;
    for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (e.idle() && (!e.set || e.touchedAt <= cutoff)) {
        it.remove();
      }
    }
  }

  /** An unset event that nobody waits on any more is forgotten at once, as a cleared one is. */
  private void forgetIfIdle(Entry e) {
    if (!e.set && e.idle() && entries.get(e.name) == e) {
      entries.remove(e.name);
    }
  }

  private Entry newEntry(String name) {
    Entry e = new Entry(name, clock.millis());
    entries.put(name, e);
    return e;
  }
}
