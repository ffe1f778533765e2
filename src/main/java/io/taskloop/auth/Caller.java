package io.taskloop.auth;

import java.util.EnumSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who made a request: the tenant whose tasks, events and schedules it reaches, and its scopes.
 * A node without auth serves every request as {@link #OPEN}: the one tenant with no name, every
 * scope.
 *
 * @param who the key's id or the token's subject, for logs
 */
public record Caller(String tenant, Set<Scope> scopes, String who) {

  public static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  public static final Caller OPEN = new Caller("", EnumSet.allOf(Scope.class), "anyone");

  /** Whether the caller holds {@code scope} ({@code admin} holds them all). */
  public boolean may(Scope scope) {
    return scopes.contains(scope) || scopes.contains(Scope.ADMIN);
  }

  /** An admin reaches every tenant's things. */
  public boolean admin() {
    return scopes.contains(Scope.ADMIN);
  }

  /** Whether the caller reaches something of {@code owner}'s (a task's, a schedule's tenant). */
  public boolean reaches(String owner) {
    return admin() || tenant.equals(owner == null ? "" : owner);
  }
}
