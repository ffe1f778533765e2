package io.taskloop.task;

import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The fields every task type takes (on_done included), and the schedule tick that fired it. {@code timeoutMs < 0} means no timeout. Most tasks carry
 * none of them and share {@link #NONE}, which keeps a pending task small.
 */
public record Common(String name, long timeoutMs, Map<String, String> labels, OnDone onDone, ScheduleRef schedule,
    String tenant) {

  public static final Common NONE = new Common(null, -1, Map.of(), null, null, "");

  /**
   * {@code schedule}: the schedule and tick that fired the task, null for a task a client made;
   * {@code tenant}: whose task it is ("" on a node without auth).
   */
  public static Common of(String name, long timeoutMs, Map<String, String> labels, OnDone onDone, ScheduleRef schedule,
      String tenant) {
    if (bare(name, timeoutMs, labels, onDone, schedule)) {
      return tenant.isEmpty() ? NONE : ofTenant(tenant);
    }
    return new Common(name, timeoutMs, labels, onDone, schedule, tenant);
  }

  /** None of the fields but the tenant is set. */
  private static boolean bare(String name, long timeoutMs, Map<String, String> labels, OnDone onDone, ScheduleRef schedule) {
    return name == null && timeoutMs < 0 && labels.isEmpty() && onDone == null && schedule == null;
  }

  /**
   * Tenants' commons with no field but the tenant, by a hash of the tenant: on a node with auth
   * most of a tenant's tasks carry nothing else, and share one, as {@link #NONE} is shared
   * without auth (a {@link SleepSpec} shares only specs whose common is one of these). A slot
   * another thread overwrites only costs a miss.
   */
  private static final AtomicReferenceArray<Common> TENANTS = new AtomicReferenceArray<>(256);

  private static Common ofTenant(String tenant) {
    int slot = tenant.hashCode() & (TENANTS.length() - 1);
    Common seen = TENANTS.getAcquire(slot);
    if (seen != null && seen.tenant.equals(tenant)) {
      return seen;
    }
    Common made = new Common(null, -1, Map.of(), null, null, tenant);
    TENANTS.setRelease(slot, made);
    return made;
  }

  /** Whether this carries nothing but (perhaps) its tenant: {@link #NONE} or a tenant's shared one. */
  public boolean onlyTenant() {
    return bare(name, timeoutMs, labels, onDone, schedule);
  }

  public boolean hasTimeout() {
    return timeoutMs >= 0;
  }
}
