package io.taskloop.auth;

import io.taskloop.config.AuthSettings;
import io.taskloop.task.Problem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Who a request comes from, by its {@code Authorization: Bearer} header: one of the API keys,
 * or a JWT, as {@code auth} allows. No credentials, or credentials that do not check out, are a
 * 401 that says which; a node without auth answers {@link Caller#OPEN} for every request.
 */
public final class Authenticator {

  private static final Future<Caller> OPEN = Future.succeededFuture(Caller.OPEN);

  private final boolean open;
  private final ApiKeys keys;
  private final JwtTokens tokens;

  private Authenticator(boolean open, ApiKeys keys, JwtTokens tokens) {
    this.open = open;
    this.keys = keys;
    this.tokens = tokens;
  }

  /** Reads what {@code auth} names (blocking: at start); a file that does not read fails the start. */
  public static Authenticator load(Vertx vertx, AuthSettings auth) {
    if (auth.open()) {
      return new Authenticator(true, null, null);
    }
    return new Authenticator(false, auth.keys() ? ApiKeys.load(vertx, auth.keysFile()) : null,
        auth.jwt() ? JwtTokens.load(vertx, auth) : null);
  }

  public boolean open() {
    return open;
  }

  /** The caller of a request whose {@code Authorization} header is {@code authorization} (null when absent). */
  public Future<Caller> caller(String authorization) {
    if (open) {
      return OPEN;
    }
    if (authorization == null || authorization.isBlank()) {
      return Future.failedFuture(Problem.unauthorized("this node needs credentials: Authorization: Bearer <key or token>",
          false));
    }
    if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Future.failedFuture(Problem.unauthorized("credentials go as Authorization: Bearer <key or token>", true));
    }
    String credential = authorization.substring(7).trim();
    if (keys != null) {
      Caller caller = keys.find(credential);
      if (caller != null) {
        return Future.succeededFuture(caller);
      }
    }
    if (tokens != null && credential.chars().filter(c -> c == '.').count() == 2) {
      return tokens.caller(credential);
    }
    return Future.failedFuture(Problem.unauthorized(keys != null ? "no such key" : "the token is not a JWT", true));
  }
}
