package io.taskloop.http;

import io.taskloop.task.Problem;
import io.vertx.core.http.HttpServerRequest;

/**
 * How long a client asks the server to hold its answer: {@code ?wait=S} or
 * {@code Prefer: wait=S} (RFC 7240), in seconds, fractions allowed. The query parameter is an
 * explicit request, so one over the server's limit is a 422; {@code Prefer} is a preference,
 * so it is capped at the limit instead.
 */
final class WaitParam {

  private WaitParam() {
  }

  /** Milliseconds to wait, {@code fallbackMs} when the client asked nothing. */
  static long millis(HttpServerRequest request, long maxMs, long fallbackMs) {
    // Only a request with a query string has a wait parameter: parsing the query (what
    // getParam does) and splitting Prefer with a regex were 4.6% of a create-and-await's CPU.
    String query = request.query() == null ? null : request.getParam("wait");
    if (query != null) {
      long ms = parse(query, "wait");
      if (ms > maxMs) {
        throw Problem.invalidParameter("wait", "wait=" + query + " is over this server's limit of " + maxMs / 1000.0 + " s");
      }
      return ms;
    }
    for (String prefer : request.headers().getAll("Prefer")) {
      String wait = preference(prefer, "wait");
      if (wait != null) {
        return Math.min(parse(wait, "Prefer"), maxMs);
      }
    }
    return fallbackMs;
  }

  /** The value of {@code name=value} among a Prefer header's preferences and parameters (split at ',' and ';'). */
  static String preference(String header, String name) {
    int from = 0;
    while (from <= header.length()) {
      int end = from;
      while (end < header.length() && header.charAt(end) != ',' && header.charAt(end) != ';') {
        end++;
      }
      int start = from;
      while (start < end && Character.isWhitespace(header.charAt(start))) {
        start++;
      }
      if (end - start > name.length() && header.regionMatches(true, start, name, 0, name.length())
          && header.charAt(start + name.length()) == '=') {
        return header.substring(start + name.length() + 1, end).trim();
      }
      from = end + 1;
    }
    return null;
  }

  private static long parse(String seconds, String parameter) {
    double s;
    try {
      s = Double.parseDouble(seconds);
    } catch (NumberFormatException e) {
      throw Problem.invalidParameter(parameter, "wait must be a number of seconds, got '" + seconds + "'");
    }
    if (!(s >= 0) || Double.isInfinite(s)) {
      throw Problem.invalidParameter(parameter, "wait must be zero or more seconds, got '" + seconds + "'");
    }
    return (long) Math.ceil(Math.min(s, 1e9) * 1000);
  }
}
