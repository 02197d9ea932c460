package dev.trustbridge.spiffe.bundle;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an untrusted UTF-8 JSON document into a small immutable tree with jackson-core's streaming
 * parser, under tight limits. Everything that goes wrong becomes an {@link InvalidBundleException};
 * no Jackson type leaves this class.
 */
final class JsonTree {
  /** Deepest nesting accepted; a bundle map needs 5 levels, a bundle 4. */
  static final int MAX_NESTING_DEPTH = 32;

  /** Longest string value; an x5c entry of a large RSA CA is a few kilobytes. */
  static final int MAX_STRING_CHARS = 64 * 1024;

  /** Longest member name; trust domain names are at most 255 bytes. */
  static final int MAX_NAME_CHARS = 1024;

  /** Longest number literal; 2^64-1 has 20 digits. */
  static final int MAX_NUMBER_CHARS = 64;

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_NESTING_DEPTH)
                  .maxStringLength(MAX_STRING_CHARS)
                  .maxNameLength(MAX_NAME_CHARS)
                  .maxNumberLength(MAX_NUMBER_CHARS)
                  .build())
          // No shared symbol table between untrusted documents.
          .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
          .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
          .build();

  /** A JSON value. */
  sealed interface Value permits Obj, Arr, Str, Num, Literal {}

  /** An object; members in document order, names unique. */
  record Obj(Map<String, Value> members) implements Value {
    Value get(String name) {
      return members.get(name);
    }
  }

  /** An array. */
  record Arr(List<Value> elements) implements Value {}

  /** A string, after unescaping (it may hold lone surrogates written as escapes). */
  record Str(String value) implements Value {}

  /**
   * A number. {@code integer} is the exact value of an integer literal (no fraction, no exponent),
   * or null for any other number, whose value is never computed.
   */
  record Num(BigInteger integer) implements Value {}

  /** {@code true}, {@code false} or {@code null}. */
  record Literal(JsonToken token) implements Value {}

  private JsonTree() {}

  /**
   * Parses one JSON document of at most {@code maxBytes} bytes. Rejects invalid UTF-8 (including
   * overlong forms and encoded surrogates), a byte order mark, duplicate member names at any depth,
   * anything after the top-level value, and documents over the limits above.
   */
  static Value parse(byte[] utf8, int maxBytes) {
    if (utf8.length > maxBytes) {
      throw new InvalidBundleException(InvalidBundleException.TOO_LARGE);
    }
    String text = decodeStrictUtf8(utf8);
    if (text.startsWith("\uFEFF")) {
      throw new InvalidBundleException(InvalidBundleException.BYTE_ORDER_MARK);
    }
    try (JsonParser parser = FACTORY.createParser(text)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw new InvalidBundleException(InvalidBundleException.MALFORMED_JSON);
      }
      Value root = readValue(parser, first);
      if (parser.nextToken() != null) {
        throw new InvalidBundleException(InvalidBundleException.MALFORMED_JSON);
      }
      return root;
    } catch (StreamConstraintsException e) {
      throw new InvalidBundleException(InvalidBundleException.JSON_LIMITS);
    } catch (JsonProcessingException e) {
      throw new InvalidBundleException(InvalidBundleException.MALFORMED_JSON);
    } catch (IOException e) {
      // Reading from a String cannot fail with I/O; treat anything else as malformed.
      throw new InvalidBundleException(InvalidBundleException.MALFORMED_JSON);
    }
  }

  private static String decodeStrictUtf8(byte[] utf8) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(utf8))
          .toString();
    } catch (CharacterCodingException e) {
      throw new InvalidBundleException(InvalidBundleException.NOT_UTF8);
    }
  }

  private static Value readValue(JsonParser parser, JsonToken token) throws IOException {
    if (token == null) {
      throw new InvalidBundleException(InvalidBundleException.MALFORMED_JSON);
    }
    return switch (token) {
      case START_OBJECT -> readObject(parser);
      case START_ARRAY -> readArray(parser);
      case VALUE_STRING -> new Str(parser.getText());
      case VALUE_NUMBER_INT -> new Num(parser.getBigIntegerValue());
      case VALUE_NUMBER_FLOAT -> new Num(null);
      case VALUE_TRUE, VALUE_FALSE, VALUE_NULL -> new Literal(token);
      default -> throw new InvalidBundleException(InvalidBundleException.MALFORMED_JSON);
    };
  }

  private static Obj readObject(JsonParser parser) throws IOException {
    Map<String, Value> members = new LinkedHashMap<>();
    JsonToken token;
    while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
      // Detected here rather than with STRICT_DUPLICATE_DETECTION so that the rejection carries
      // its own exact message instead of a generic parse error (SPIFFE bundle spec section 6.3).
      String name = parser.currentName();
      Value value = readValue(parser, parser.nextToken());
      if (members.putIfAbsent(name, value) != null) {
        throw new InvalidBundleException(InvalidBundleException.DUPLICATE_MEMBER);
      }
    }
    if (token != JsonToken.END_OBJECT) {
      throw new InvalidBundleException(InvalidBundleException.MALFORMED_JSON);
    }
    return new Obj(Collections.unmodifiableMap(members));
  }

  private static Arr readArray(JsonParser parser) throws IOException {
    List<Value> elements = new ArrayList<>();
    JsonToken token;
    while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
      if (token == null) {
        throw new InvalidBundleException(InvalidBundleException.MALFORMED_JSON);
      }
      elements.add(readValue(parser, token));
    }
    return new Arr(Collections.unmodifiableList(elements));
  }
}
