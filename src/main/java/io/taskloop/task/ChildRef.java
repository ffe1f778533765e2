package io.taskloop.task;

/** A composite's child: a spec to create inline, or the id of a task that already exists. */
public sealed interface ChildRef {

  record Inline(TaskSpec spec) implements ChildRef {
  }

  record ById(String id) implements ChildRef {
  }
}
