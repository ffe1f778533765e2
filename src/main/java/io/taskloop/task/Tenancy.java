package io.taskloop.task;

/**
 * How a tenant's names are kept apart from another's: an event name or an idempotency key is
 * held as {@code <tenant> U+001F <name>}, a separator no name may hold, so the same name in two
 * tenants is two things. The tenant with no name (a node without auth) keeps names as given.
 */
public final class Tenancy {

  private static final char SEPARATOR = '\u001f';

  private Tenancy() {
  }

  /** {@code name} as tenant {@code tenant} holds it. */
  public static String qualified(String tenant, String name) {
    return tenant.isEmpty() ? name : tenant + SEPARATOR + name;
  }

  /** The name a client gave, from its qualified form. */
  public static String unqualified(String qualified) {
    return qualified.substring(qualified.indexOf(SEPARATOR) + 1);
  }

  /** The tenant that holds a qualified name ("" for the tenant with no name). */
  public static String tenantOf(String qualified) {
    int at = qualified.indexOf(SEPARATOR);
    return at < 0 ? "" : qualified.substring(0, at);
  }

  /** Whether {@code qualified} is a name of {@code tenant}'s (of the tenant with no name: an unqualified one). */
  public static boolean holds(String tenant, String qualified) {
    return tenantOf(qualified).equals(tenant);
  }
}
