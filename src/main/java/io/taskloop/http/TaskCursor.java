package io.taskloop.http;

import io.taskloop.task.Problem;

/**
 * The opaque cursor of {@code GET /v1/tasks}: for each loop, the last sequence number already
 * listed. Pages are stable while tasks are created, because sequence numbers only grow.
 */
final class TaskCursor {

  private TaskCursor() {
  }

  static String encode(long[] afterSeq) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < afterSeq.length; i++) {
      sb.append(i == 0 ? "" : ".").append(afterSeq[i]);
    }
    return HttpApi.encodeText(sb.toString());
  }

  static long[] decode(String cursor, int loops) {
    return decode(cursor, loops, "cursor");
  }

  /** Decodes a cursor given in {@code parameter} (the query's cursor, or a stream's Last-Event-ID). */
  static long[] decode(String cursor, int loops, String parameter) {
    long[] after = new long[loops];
    if (cursor == null) {
      return after;
    }
    String[] parts;
    try {
      parts = HttpApi.decodeText(cursor).split("\\.");
    } catch (Problem p) {
      throw Problem.invalidParameter(parameter, "not a position this server gave out");
    }
    if (parts.length != loops) {
      throw Problem.invalidParameter(parameter, "not a position this server gave out");
    }
    try {
      for (int i = 0; i < loops; i++) {
        after[i] = Long.parseLong(parts[i]);
      }
    } catch (NumberFormatException e) {
      throw Problem.invalidParameter(parameter, "not a position this server gave out");
    }
    return after;
  }
}
