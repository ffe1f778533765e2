package io.taskloop.auth;

import io.taskloop.config.AuthSettings;
import io.taskloop.task.Problem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Bearer JWTs, checked by vertx-auth-jwt against a PEM public key or a JWKS file: the signature,
 * {@code exp} and {@code nbf} (with a few seconds of leeway for clocks apart), and {@code iss}
 * and {@code aud} when configured. The tenant and the scopes come from the configured claims
 * (scopes as a space-separated string, as OAuth writes them, or a list).
 */
public final class JwtTokens {

  /** Seconds a token's exp and nbf may be off by, for clocks that disagree a little. */
  static final int LEEWAY_S = 5;

  private final JWTAuth provider;
  private final String tenantClaim;
  private final String scopesClaim;

  private JwtTokens(JWTAuth provider, String tenantClaim, String scopesClaim) {
    this.provider = provider;
    this.tenantClaim = tenantClaim;
    this.scopesClaim = scopesClaim;
  }

  /** Reads the key (blocking: at start). */
  public static JwtTokens load(Vertx vertx, AuthSettings auth) {
    JWTOptions checks = new JWTOptions().setLeeway(LEEWAY_S);
    if (!auth.jwtIssuer().isBlank()) {
      checks.setIssuer(auth.jwtIssuer());
    }
    if (!auth.jwtAudience().isBlank()) {
      checks.setAudience(List.of(auth.jwtAudience().split(",")));
    }
    JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(checks);
    if (!auth.jwtPublicKeyFile().isBlank()) {
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm(auth.jwtAlgorithm())
          .setBuffer(vertx.fileSystem().readFileBlocking(auth.jwtPublicKeyFile())));
    } else {
      JsonArray keys = new JsonObject(vertx.fileSystem().readFileBlocking(auth.jwtJwksFile())).getJsonArray("keys");
      if (keys == null || keys.isEmpty()) {
        throw new IllegalArgumentException(auth.jwtJwksFile() + " is not a JWKS: it has no \"keys\"");
      }
      List<JsonObject> jwks = new ArrayList<>();
      keys.forEach(k -> jwks.add((JsonObject) k));
      options.setJwks(jwks);
    }
    return new JwtTokens(JWTAuth.create(vertx, options), auth.tenantClaim(), auth.scopesClaim());
  }

  /** The caller a token stands for; a 401 when it does not check out. */
  public Future<Caller> caller(String token) {
    return provider.authenticate(new TokenCredentials(token))
        .recover(err -> Future.failedFuture(Problem.unauthorized("the token was refused: " + err.getMessage(), true)))
        .compose(user -> {
          JsonObject claims = claims(user);
          Object tenant = claims.getValue(tenantClaim);
          if (!(tenant instanceof String t) || !Caller.TENANT.matcher(t).matches()) {
            return Future.failedFuture(Problem.unauthorized("the token has no tenant in its claim '" + tenantClaim + "'", true));
          }
          Set<Scope> scopes = EnumSet.noneOf(Scope.class);
          Object raw = claims.getValue(scopesClaim);
          List<Object> names = raw instanceof String s ? List.of((Object[]) s.trim().split("\\s+"))
              : raw instanceof JsonArray a ? a.getList() : List.of();
          for (Object name : names) {
            Scope scope = name instanceof String n ? Scope.fromWire(n) : null;
            if (scope != null) {
              scopes.add(scope); // a scope of another service's is no concern of this one
            }
          }
          String who = claims.getValue("sub") instanceof String sub ? "token of " + sub : "token";
          return Future.succeededFuture(new Caller(t, Set.copyOf(scopes), who));
        });
  }

  private static JsonObject claims(User user) {
    JsonObject decoded = user.attributes().getJsonObject("accessToken");
    return decoded != null ? decoded : user.principal();
  }
}
