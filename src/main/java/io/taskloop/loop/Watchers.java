package io.taskloop.loop;

import io.taskloop.task.Task;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Who waits for a task of this loop to finish. Parents on this node are told as soon as the end
 * is stored (the node's journal keeps their ends in order); long polls and parents on other
 * nodes are told once the end is durable, since they answer clients or other journals with it.
 * Only unfinished tasks with someone waiting have an entry.
 */
final class Watchers {

  private final Map<String, List<Consumer<Task>>> local = new HashMap<>();
  private final Map<String, List<Consumer<Task>>> durable = new HashMap<>();
  private int waiting;

  void onStored(String id, Consumer<Task> watcher) {
    local.computeIfAbsent(id, k -> new ArrayList<>(2)).add(watcher);
  }

  void onDurable(String id, Consumer<Task> watcher) {
    durable.computeIfAbsent(id, k -> new ArrayList<>(2)).add(watcher);
    waiting++;
  }

  void remove(String id, Consumer<Task> watcher) {
    List<Consumer<Task>> list = durable.get(id);
    if (list != null && list.remove(watcher)) {
      waiting--;
      if (list.isEmpty()) {
        durable.remove(id);
      }
    }
  }

  /** Long polls and other nodes' parents waiting now: what {@code GET /v1/cluster} shows as {@code waiting}. */
  int waiting() {
    return waiting;
  }

  /** The watchers to tell now that the task's end is stored; each is told once. */
  List<Consumer<Task>> takeLocal(Task task) {
    List<Consumer<Task>> list = local.isEmpty() ? null : local.remove(task.id());
    return list == null ? List.of() : list;
  }

  /** The watchers to tell now that the task's end is durable; each is told once. */
  List<Consumer<Task>> takeDurable(Task task) {
    List<Consumer<Task>> list = durable.isEmpty() ? null : durable.remove(task.id());
    if (list == null) {
      return List.of();
    }
    waiting -= list.size();
    return list;
  }

  /** The task left this loop without ending here (another node carries it on). */
  void drop(String id) {
    local.remove(id);
    List<Consumer<Task>> gone = durable.remove(id);
    waiting -= gone == null ? 0 : gone.size();
  }
}
