package io.taskloop.auth;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileProps;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API keys a node accepts, from {@code auth_keys_file}:
 * {@code {"keys":[{"id","hash":"sha256:<hex>","tenant","scopes":[...]}]}}. The file holds only
 * hashes; a request's key is hashed and looked up. The file is read again when it changes (its
 * size or modification time, looked at every second), so keys rotate without a restart; a file
 * that no longer reads keeps the keys it had, said loudly in the log.
 */
public final class ApiKeys {

  private static final Logger LOG = LoggerFactory.getLogger(ApiKeys.class);
  private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final long LOOK_EVERY_MS = 1_000;
  /** At most this many keys a thread remembers as verified ({@link Verified}); more are hashed on every request. */
  private static final int VERIFIED_PER_THREAD = 1_024;

  private final String file;
  private volatile Map<String, Caller> byHash;
  private long seenModified;
  private long seenSize;
  private final ThreadLocal<Verified> verified = ThreadLocal.withInitial(Verified::new);

  private ApiKeys(String file, Map<String, Caller> byHash, FileProps props) {
    this.file = file;
    this.byHash = byHash;
    this.seenModified = props.lastModifiedTime();
    this.seenSize = props.size();
  }

  /** Reads the file (blocking: at start, before any loop serves) and starts watching it. */
  public static ApiKeys load(Vertx vertx, String file) {
    FileProps props = vertx.fileSystem().propsBlocking(file);
    ApiKeys keys = new ApiKeys(file, parse(vertx.fileSystem().readFileBlocking(file), file), props);
    vertx.setPeriodic(LOOK_EVERY_MS, t -> keys.look(vertx));
    LOG.info("auth: {} API keys from {}", keys.byHash.size(), file);
    return keys;
  }

  private void look(Vertx vertx) {
    vertx.fileSystem().props(file).onSuccess(props -> {
      if (props.lastModifiedTime() == seenModified && props.size() == seenSize) {
        return;
      }
      seenModified = props.lastModifiedTime();
      seenSize = props.size();
      vertx.fileSystem().readFile(file).onSuccess(content -> {
        try {
          byHash = parse(content, file);
          LOG.info("auth: {} changed; {} API keys now", file, byHash.size());
        } catch (IllegalArgumentException e) {
          LOG.error("auth: {} changed but does not read ({}); the keys read before stay", file, e.getMessage());
        }
      });
    }).onFailure(err -> LOG.warn("auth: cannot read {} ({}); the keys read before stay", file, err.getMessage()));
  }

  /** The caller a presented key stands for, or null when it is no key of this file. */
  public Caller find(String key) {
    Map<String, Caller> current = byHash;
    Verified seen = verified.get();
    if (seen.of != current) { // the file changed: what this thread verified before counts no more
      seen.of = current;
      seen.byKey.clear();
    }
    Caller caller = seen.byKey.get(key);
    if (caller == null) {
      caller = current.get(hash(key));
      if (caller != null && seen.byKey.size() < VERIFIED_PER_THREAD) {
        seen.byKey.put(key, caller);
      }
    }
    return caller;
  }

  /**
   * The keys one thread (an event loop) has seen hash to a key of {@code of}, the file's keys of
   * that moment. Hashing a key (SHA-256 and its hex) was 2-3% of a create-and-await's CPU
   * on a loop; a key a client sends again is looked up instead. Only keys that checked out are
   * kept, so a client sending made-up keys cannot grow it, and a rotated file drops them all.
   */
  private static final class Verified {
    Map<String, Caller> of;
    final Map<String, Caller> byKey = new HashMap<>();
  }

  /** One digest per thread: looking one up for every request costs more than the hashing. */
  private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  });
  private static final HexFormat HEX = HexFormat.of();

  /** {@code sha256:<hex>} of {@code key}: what the keys file holds for it. */
  public static String hash(String key) {
    return "sha256:" + HEX.formatHex(SHA_256.get().digest(key.getBytes(StandardCharsets.UTF_8)));
  }

  static Map<String, Caller> parse(Buffer content, String file) {
    JsonArray keys;
    try {
      keys = new JsonObject(content).getJsonArray("keys");
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException(file + " is not {\"keys\": [...]} JSON: " + e.getMessage());
    }
    if (keys == null) {
      throw new IllegalArgumentException(file + " has no \"keys\" array");
    }
    Map<String, Caller> out = new HashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      String at = file + " keys[" + i + "]";
      JsonObject k;
      try {
        k = keys.getJsonObject(i);
      } catch (ClassCastException e) {
        throw new IllegalArgumentException(at + " is not an object");
      }
      String id = k.getValue("id") instanceof String s ? s : null;
      String hash = k.getValue("hash") instanceof String s ? s.toLowerCase(java.util.Locale.ROOT) : null;
      String tenant = k.getValue("tenant") instanceof String s ? s : null;
      if (id == null || id.isBlank()) {
        throw new IllegalArgumentException(at + " needs an id");
      }
      if (hash == null || !SHA256.matcher(hash).matches()) {
        throw new IllegalArgumentException(at + " (" + id + ") needs hash \"sha256:<64 hex digits>\", the SHA-256 of the key;"
            + " the file never holds a key itself");
      }
      if (tenant == null || !Caller.TENANT.matcher(tenant).matches()) {
        throw new IllegalArgumentException(at + " (" + id + ") needs a tenant: 1 to 64 letters, digits, '.', '_' or '-'");
      }
      Set<Scope> scopes = EnumSet.noneOf(Scope.class);
      Object raw = k.getValue("scopes");
      if (!(raw instanceof JsonArray list) || list.isEmpty()) {
        throw new IllegalArgumentException(at + " (" + id + ") needs scopes, a list of tasks:read, tasks:write,"
            + " events:write, schedules:write, admin");
      }
      for (Object s : list) {
        Scope scope = s instanceof String name ? Scope.fromWire(name) : null;
        if (scope == null) {
          throw new IllegalArgumentException(at + " (" + id + ") has an unknown scope " + s);
        }
        scopes.add(scope);
      }
      if (out.put(hash, new Caller(tenant, Set.copyOf(scopes), "key " + id)) != null) {
        throw new IllegalArgumentException(at + " (" + id + ") has the hash of another key");
      }
    }
    return Map.copyOf(out);
  }
}
