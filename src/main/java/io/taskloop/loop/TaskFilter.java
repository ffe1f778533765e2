package io.taskloop.loop;

import io.taskloop.task.Task;
import io.taskloop.task.TaskState;
import io.taskloop.task.TaskType;

/**
 * The filters of {@code GET /v1/tasks}; a null field matches everything. {@code tenant} is not a
 * client's filter but who asks: a caller sees its own tenant's tasks (an admin, null, sees all).
 */
public record TaskFilter(TaskState state, TaskType type, String name, String labelKey, String labelValue, String tenant) {

  public TaskFilter(TaskState state, TaskType type, String name, String labelKey, String labelValue) {
    this(state, type, name, labelKey, labelValue, null);
  }

  /** This filter, for what {@code tenant} may see (null: every tenant). */
  public TaskFilter seenBy(String tenant) {
    return new TaskFilter(state, type, name, labelKey, labelValue, tenant);
  }

  public boolean matches(Task t) {
    if (tenant != null && !tenant.equals(t.tenant())) {
      return false;
    }
    if (state != null && t.state() != state) {
      return false;
    }
    if (type != null && t.type() != type) {
      return false;
    }
    if (name != null && !name.equals(t.name())) {
      return false;
    }
    if (labelKey != null) {
      String v = t.spec().common().labels().get(labelKey);
      return v != null && (labelValue == null || labelValue.equals(v));
    }
    return true;
  }
}
