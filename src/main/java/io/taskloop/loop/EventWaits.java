package io.taskloop.loop;

import io.taskloop.task.EventSpec;
import io.taskloop.task.Tenancy;
import io.taskloop.task.Task;
import io.taskloop.task.TaskState;
import io.taskloop.task.Transition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loop's {@code event} tasks: each waits on the loop its event's name hashes to ({@link
 * EventTable}) and succeeds with the payload when the event is set. One that ends any other way
 * (cancelled, timed out) stops being a waiter there, by its reaction to that transition.
 */
final class EventWaits {

  private static final Logger LOG = LoggerFactory.getLogger(EventWaits.class);

  private final NodeContext node;
  private final LoopLink link;
  private final TaskTable table;
  private final Transitions path;

  EventWaits(NodeContext node, LoopLink link, TaskTable table, Transitions path) {
    this.node = node;
    this.link = link;
    this.table = table;
    this.path = path;
    path.react(this::react);
  }

  void watch(Task task) {
    String event = Tenancy.qualified(task.tenant(), ((EventSpec) task.spec()).event());
    link.ask(node.homeOf(event), new LoopCommand.EventWatch(event, link.self(), task.id()))
        .onSuccess(view -> {
          if (view.set()) {
            fired(task.id(), view.payload());
          }
        })
        .onFailure(err -> LOG.warn("event task {} could not watch event {}: {}", task.id(), event, err.getMessage()));
  }

  void fired(String taskId, Object payload) {
    Task task = table.get(taskId);
    if (task != null && !task.isFinished()) {
      path.apply(task.succeed(payload, node.clock().millis()));
    }
  }

  private void react(Transition t) {
    if (t.finishes() && t.to().spec() instanceof EventSpec ev && t.to().state() != TaskState.SUCCEEDED) {
      String event = Tenancy.qualified(t.to().tenant(), ev.event());
      link.tell(node.homeOf(event), new LoopCommand.EventUnwatch(event, link.self(), t.id()));
    }
  }
}
