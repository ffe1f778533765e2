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
    String query = request.getParam("wait");
    if (query != null) {
      long ms = parse(query, "wait");
      if (ms > maxMs) {
        throw Problem.invalidParameter("wait", "wait=" + query + " is over this server's limit of " + maxMs / 1000.0 + " s");
      }
      return ms;
    }
    for (String prefer : request.headers().getAll("Prefer")) {
      for (String token : prefer.split("[,;]")) {
        String t = token.trim();
        if (t.regionMatches(true, 0, "wait=", 0, 5)) {
          return Math.min(parse(t.substring(5).trim(), "Prefer"), maxMs);
        }
      }
    }
    return fallbackMs;
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
