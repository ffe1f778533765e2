package io.taskloop.loop;

/** How a task taken over from another owner carries on an outbound attempt that was in flight. */
public enum Resume {
  /** The previous owner stopped the attempt on purpose (a graceful leave): run it again under its number. */
  HANDED_OVER,
  /** The previous owner died (or this node restarted): the attempt in flight is lost. */
  OWNER_LOST
}
