package io.taskloop.task;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * JSON text written straight into a {@link StringBuilder}, character for character as Vert.x's
 * Jackson codec writes the same values (the tests hold it to that). A task record is written
 * for every change (the journal's row and the API's answer share it); building a
 * {@link JsonObject} of it and handing that to Jackson's databind was 18% of a
 * create-and-await's CPU. Values of kinds JSON does not have go to Vert.x's codec.
 */
public final class JsonText {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private JsonText() {
  }

  /** {@code ,"name":} before a member that is not an object's first. */
  static StringBuilder field(StringBuilder b, String name) {
    b.append(',');
    string(b, name);
    return b.append(':');
  }

  public static void string(StringBuilder b, String s) {
    b.append('"');
    int from = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        continue;
      }
      b.append(s, from, i).append('\\');
      switch (c) {
        case '"', '\\' -> b.append(c);
        case '\n' -> b.append('n');
        case '\r' -> b.append('r');
        case '\t' -> b.append('t');
        case '\b' -> b.append('b');
        case '\f' -> b.append('f');
        default -> b.append("u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
      from = i + 1;
    }
    b.append(s, from, s.length()).append('"');
  }

  public static void value(StringBuilder b, Object v) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof String s) {
      string(b, s);
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
        || v instanceof Boolean || v instanceof BigInteger) {
      b.append(v);
    } else if (v instanceof Double d && Double.isFinite(d) || v instanceof Float f && Float.isFinite(f)) {
      b.append(v);
    } else if (v instanceof JsonObject o) {
      object(b, o.getMap());
    } else if (v instanceof JsonArray a) {
      array(b, a.getList());
    } else if (v instanceof Map<?, ?> m) {
      object(b, m);
    } else if (v instanceof List<?> l) {
      array(b, l);
    } else if (v instanceof BigDecimal d) {
      b.append(d.toString());
    } else {
      b.append(Json.encode(v)); // what JSON has no kind for: as Vert.x's codec writes it
    }
  }

  private static void object(StringBuilder b, Map<?, ?> map) {
    b.append('{');
    boolean first = true;
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!first) {
        b.append(',');
      }
      first = false;
      string(b, String.valueOf(e.getKey()));
      b.append(':');
      value(b, e.getValue());
    }
    b.append('}');
  }

  private static void array(StringBuilder b, List<?> list) {
    b.append('[');
    for (int i = 0; i < list.size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      value(b, list.get(i));
    }
    b.append(']');
  }
}
