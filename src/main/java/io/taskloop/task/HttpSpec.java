package io.taskloop.task;

import java.util.List;
import java.util.Map;

/**
 * An outbound HTTP request (the aiohttp fetch of the original notes). Succeeds with
 * {@code {status, headers, body}} when the status is expected, fails with {@code HttpError}
 * otherwise.
 *
 * @param expectStatus codes ({@code "200"}) or classes ({@code "2xx"}) that count as success
 * @param attemptTimeoutMs bound of one attempt, connection to last byte
 */
public record HttpSpec(Common common, String method, String url, Map<String, String> headers, Object body,
    List<String> expectStatus, long attemptTimeoutMs, RetryPolicy retry) implements TaskSpec {

  public static final long DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;
  public static final List<String> DEFAULT_EXPECT = List.of("2xx");

  @Override
  public TaskType type() {
    return TaskType.HTTP;
  }

  public boolean expects(int status) {
    String code = Integer.toString(status);
    for (String rule : expectStatus) {
      if (rule.equals(code) || (rule.endsWith("xx") && rule.charAt(0) == code.charAt(0))) {
        return true;
      }
    }
    return false;
  }
}
