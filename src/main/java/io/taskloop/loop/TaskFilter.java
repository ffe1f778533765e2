package io.taskloop.loop;

import io.taskloop.task.Task;
import io.taskloop.task.TaskState;
import io.taskloop.task.TaskType;

/** The filters of {@code GET /v1/tasks}; a null field matches everything. */
public record TaskFilter(TaskState state, TaskType type, String name, String labelKey, String labelValue) {

  public boolean matches(Task t) {
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
