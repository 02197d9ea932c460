package dev.trustbridge.spiffe.bundle;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON writer and reader for tests: documents are built as maps and lists (so a test can
 * remove or change one member), and written output is read back into maps and lists to be checked
 * member by member. Independent of the production tree reader.
 */
final class TestJson {
  /** JSON text inserted verbatim. */
  record Raw(String json) {}

  private TestJson() {}

  static Map<String, Object> obj(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  static List<Object> arr(Object... values) {
    return new ArrayList<>(java.util.Arrays.asList(values));
  }

  /** A bundle document holding these JWKs. */
  static Map<String, Object> bundle(Object... jwks) {
    return obj("keys", arr(jwks));
  }

  static byte[] bytes(Object value) {
    return write(value).getBytes(StandardCharsets.UTF_8);
  }

  static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof Raw raw) {
      sb.append(raw.json());
    } else if (v instanceof String s) {
      sb.append('"');
      for (char c : s.toCharArray()) {
        if (c == '"' || c == '\\') {
          sb.append('\\').append(c);
        } else if (c < 0x20) {
          sb.append(String.format("\\u%04x", (int) c));
        } else {
          sb.append(c);
        }
      }
      sb.append('"');
    } else if (v instanceof Number || v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        write(sb, e.getKey());
        sb.append(':');
        write(sb, e.getValue());
      }
      sb.append('}');
    } else if (v instanceof List<?> l) {
      sb.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        write(sb, l.get(i));
      }
      sb.append(']');
    } else {
      throw new IllegalArgumentException("cannot write " + v.getClass());
    }
  }

  /**
   * Reads JSON into LinkedHashMap / ArrayList / String / BigInteger / Boolean / null, failing on
   * duplicate names so that writer tests also prove the output has none.
   */
  static Object read(byte[] json) {
    try (JsonParser p = new JsonFactory().createParser(json)) {
      p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
      Object v = read(p, p.nextToken());
      if (p.nextToken() != null) {
        throw new AssertionError("trailing content");
      }
      return v;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static Object read(JsonParser p, JsonToken t) throws IOException {
    switch (t) {
      case START_OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          m.put(name, read(p, p.nextToken()));
        }
        return m;
      }
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        JsonToken n;
        while ((n = p.nextToken()) != JsonToken.END_ARRAY) {
          l.add(read(p, n));
        }
        return l;
      }
      case VALUE_STRING -> {
        return p.getText();
      }
      case VALUE_NUMBER_INT -> {
        return p.getBigIntegerValue();
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return p.getBooleanValue();
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new AssertionError("unexpected " + t);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> asObj(Object v) {
    return (Map<String, Object>) v;
  }

  @SuppressWarnings("unchecked")
  static List<Object> asArr(Object v) {
    return (List<Object>) v;
  }

  static BigInteger big(String decimal) {
    return new BigInteger(decimal);
  }
}
