package io.taskloop.task;

import java.util.List;

/**
 * When an {@code http} or {@code eventbus} attempt fails, whether and when to try again.
 * {@code on} lists what is retried: error types ({@code "TimeoutError"}), status codes
 * ({@code "503"}) or status classes ({@code "5xx"}). The whole task stays bounded by its
 * {@code timeout_ms}.
 */
public record RetryPolicy(int maxAttempts, long backoffMs, double multiplier, long maxBackoffMs, List<String> on) {

  /** One attempt, nothing retried: what a task without {@code retry} gets. */
  public static final RetryPolicy NONE = new RetryPolicy(1, 0, 1, 0, List.of());

  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  public static final long DEFAULT_BACKOFF_MS = 100;
  public static final double DEFAULT_MULTIPLIER = 2;
  public static final long DEFAULT_MAX_BACKOFF_MS = 30_000;
  /** By default 5xx answers, failed connections and attempt timeouts are retried; 4xx are not. */
  public static final List<String> DEFAULT_HTTP_ON = List.of("5xx", "ConnectionError", "TimeoutError");
  /** By default a missing consumer and a reply timeout are retried; a consumer's own failure is not. */
  public static final List<String> DEFAULT_EVENTBUS_ON = List.of("NoHandlerError", "TimeoutError");

  /** The pause before attempt {@code next} (2 for the first retry). */
  public long backoffBefore(int next) {
    double ms = backoffMs * Math.pow(multiplier, Math.max(0, next - 2));
    return (long) Math.min(ms, maxBackoffMs);
  }

  /** Whether a failed attempt with this error (and HTTP status, or 0) is worth another try. */
  public boolean retries(TaskError error, int status) {
    for (String rule : on) {
      if (rule.equals(error.type())) {
        return true;
      }
      if (status > 0) {
        String code = Integer.toString(status);
        if (rule.equals(code) || (rule.length() == 3 && rule.endsWith("xx") && rule.charAt(0) == code.charAt(0))) {
          return true;
        }
      }
    }
    return false;
  }
}
