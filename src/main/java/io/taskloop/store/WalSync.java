package io.taskloop.store;

import io.vertx.core.Promise;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the SQLite writer's commits durable on a thread of its own. The writer commits with
 * {@code synchronous=NORMAL}: its frames reach the WAL file (the OS holds them, so a crash of
 * the process loses nothing) and SQLite skips the sync that {@code FULL} makes inside each
 * commit. Here the WAL file is synced after the commit instead, and the commit's answer waits
 * for that sync: the guarantee is {@code FULL}'s (SQLite's {@code FULL} in WAL mode is
 * {@code NORMAL} plus one sync of the WAL after each commit), but the writer writes the next
 * batch while the disk syncs this one, and one sync covers every commit that landed before it
 * began.
 *
 * <p>A sync that fails leaves the WAL's state on disk unknown (the OS may have dropped the
 * pages it could not write), so the store stops: the commits waiting fail, and so does every
 * later one, until the node is restarted and recovers from what the file holds.
 */
final class WalSync {

  private static final Logger LOG = LoggerFactory.getLogger(WalSync.class);
  private static final Promise<Void> STOP = Promise.promise();

  private final Path wal;
  private final Runnable beforeSync;
  private final LinkedBlockingQueue<Promise<Void>> committed = new LinkedBlockingQueue<>();
  private final Thread thread;
  private FileChannel channel;
  private volatile Exception broken;
  private volatile long syncs;

  /** {@code beforeSync} runs on the sync thread before each sync (tests hold a sync with it). */
  WalSync(Path wal, Runnable beforeSync) {
    this.wal = wal;
    this.beforeSync = beforeSync;
    this.thread = new Thread(this::run, "taskloop-sqlite-sync");
    thread.setDaemon(true);
    thread.start();
  }

  /** Why the store stopped taking commits, or null while it takes them. */
  Exception broken() {
    return broken;
  }

  /** After a commit returned: {@code durable} completes once a sync that began after it is done. */
  void after(Promise<Void> durable) {
    committed.add(durable);
  }

  private void run() {
    List<Promise<Void>> batch = new ArrayList<>();
    while (true) {
      try {
        batch.add(committed.take());
      } catch (InterruptedException e) {
        return;
      }
      committed.drainTo(batch);
      boolean stop = batch.remove(STOP);
      sync(batch);
      batch.clear();
      if (stop) {
        return;
      }
    }
  }

  private void sync(List<Promise<Void>> batch) {
    if (batch.isEmpty()) {
      return;
    }
    if (broken == null) {
      try {
        beforeSync.run();
        if (channel == null) {
          // The writer's first commit made the file, so it exists by now; SQLite keeps it while
          // its connections are open, and the node's stay open until close().
          channel = FileChannel.open(wal, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        channel.force(true);
        syncs++;
      } catch (IOException | RuntimeException e) {
        broken = e;
        LOG.error("the sync of {} failed ({}): the journal takes no more commits until the node restarts", wal, e.toString());
      }
    }
    for (Promise<Void> p : batch) {
      if (broken == null) {
        p.complete();
      } else {
        p.fail(new IllegalStateException("the WAL could not be synced: " + broken.getMessage(), broken));
      }
    }
  }

  /** Syncs made so far (read after {@link #close}, or by tests once their commits answered). */
  long syncs() {
    return syncs;
  }

  /** Syncs what was committed before, then stops; call it after the writer's last commit. */
  void close(long boundMs) {
    committed.add(STOP);
    try {
      thread.join(boundMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.warn("the sync of {} did not end within {} ms", wal, boundMs);
      thread.interrupt();
    }
    try {
      if (channel != null) {
        channel.close();
      }
    } catch (IOException e) {
      LOG.warn("closing {}: {}", wal, e.getMessage());
    }
  }
}
