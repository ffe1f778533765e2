package io.taskloop.task;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The tasks whose JSON text ({@link Task#json()}) was made lately. The text is made once for the
 * journal's row and the API's answer of a version; kept on a task that stays held (a pending
 * sleep, a waiting external), it would cost its ~350 bytes for the task's whole life, more than
 * the rest of the task. So each node sweeps every {@link #EVERY_MS}: the text of a task encoded
 * before the previous sweep is dropped (a later read makes it again), so a text lives for one to
 * two sweeps, long past the commit and the answer that share it.
 */
public final class EncodedRecently {

  public static final long EVERY_MS = 500;

  private static volatile ConcurrentLinkedQueue<Task> young = new ConcurrentLinkedQueue<>();
  private static ConcurrentLinkedQueue<Task> old = new ConcurrentLinkedQueue<>();

  private EncodedRecently() {
  }

  static void add(Task task) {
    young.add(task);
  }

  /** Drops the text of the tasks encoded before the previous sweep; the younger ones wait for the next. */
  public static synchronized void sweep() {
    for (Task t; (t = old.poll()) != null; ) {
      t.forgetJson();
    }
    ConcurrentLinkedQueue<Task> aging = young;
    young = old; // empty now
    old = aging;
  }
}
