package io.taskloop.task;

import java.util.Map;

/**
 * {@code add_done_callback} as a service: when the task finishes, its JSON is POSTed to
 * {@code url} (retried with backoff, never holding the task up) and/or published on the event
 * bus at {@code address}. Either may be null, not both.
 */
public record OnDone(String url, Map<String, String> headers, String address) {
}
