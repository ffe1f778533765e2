package io.taskloop.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A data_dir belongs to one node at a time: the node that opens it holds an exclusive lock on
 * {@code <data_dir>/lock} until its store closes (or its process ends, when the system drops the
 * lock). A second node started on the same directory would take the same node id and write the
 * same journal, so it refuses to start instead and says why.
 */
final class DataDirLock implements AutoCloseable {

  private static final String FILE = "lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the directory's lock, or fails naming the directory and who holds it. Blocks. */
  static DataDirLock take(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(FILE);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by another node in this same process
    }
    if (lock == null) {
      String holder = Files.readString(file, StandardCharsets.UTF_8).trim();
      channel.close();
      throw new IOException("data_dir " + dataDir.toAbsolutePath() + " is in use by another taskloop node"
          + (holder.isEmpty() ? "" : " (" + holder + ")") + "; give each node a data_dir of its own (TASKLOOP_DATA_DIR)");
    }
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
    return new DataDirLock(channel, lock);
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // the process ending drops the lock all the same
    }
  }
}
