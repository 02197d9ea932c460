package dev.trustbridge.ca.config;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A cursor over the value snakeyaml-engine loaded, carrying its dotted path ({@code
 * trust_domains[0].svid.max_ttl}) so that every problem names the exact key. Problems are collected
 * in one list shared by all nodes of a document instead of being thrown, so that one run reports
 * all of them.
 *
 * <p>Convention for every read: it returns the value, the given default when the key is absent (or
 * YAML {@code null}), or {@code null} after recording a problem. Readers therefore guard
 * cross-field checks with null checks and construct records through {@link #build}, which does
 * nothing once any problem is known.
 */
final class YamlNode {
  private final String path;
  private final Object value;
  private final List<String> problems;
  private final Set<String> readKeys = new HashSet<>();
  private int problemsBeforeObject;

  private YamlNode(String path, Object value, List<String> problems) {
    this.path = path;
    this.value = value;
    this.problems = problems;
  }

  /** The node of a whole document. */
  static YamlNode root(Object value, List<String> problems) {
    return new YamlNode("", value, problems);
  }

  /** The dotted path of this node, for messages. */
  String path() {
    return path.isEmpty() ? "(root)" : path;
  }

  /** True if the key is present with a non-null value. */
  boolean isSet() {
    return value != null;
  }

  /** Records a problem with this node. */
  void problem(String message) {
    problems.add(path() + ": " + message);
  }

  /** Records a problem with a key of this map node (the key need not be present). */
  void problemAt(String key, String message) {
    problems.add(childPath(key) + ": " + message);
  }

  /**
   * Inside {@link #object}: runs {@code constructor} if no problem was found in this map so far, so
   * that every value read from it is valid; otherwise returns null.
   */
  <T> T build(Supplier<T> constructor) {
    return problems.size() == problemsBeforeObject ? constructor.get() : null;
  }

  /** Marks keys as known without reading them (their values do not matter in this case). */
  void ignore(String... keys) {
    readKeys.addAll(List.of(keys));
  }

  /** Reports each of {@code keys} that is set with {@code message}, e.g. "only for type: file". */
  void forbid(String message, String... keys) {
    for (String key : keys) {
      YamlNode child = get(key);
      if (child.isSet()) {
        child.problem(message);
      }
    }
  }

  /** The value at {@code key} of this map node; absent if this node is not a map. */
  YamlNode get(String key) {
    readKeys.add(key);
    Object child = value instanceof Map<?, ?> map ? map.get(key) : null;
    return new YamlNode(childPath(key), child, problems);
  }

  /**
   * Reads this node as a map with {@code reader} (an absent node reads as an empty map, so that
   * defaults apply), then reports every key that {@code reader} did not {@link #get}.
   */
  <T> T object(Function<YamlNode, T> reader) {
    if (value != null && !(value instanceof Map)) {
      problem("must be a map, not " + describe(value));
      return null;
    }
    problemsBeforeObject = problems.size();
    T result = reader.apply(this);
    if (value instanceof Map<?, ?> map) {
      for (Object key : map.keySet()) {
        if (!(key instanceof String name && readKeys.contains(name))) {
          problems.add(childPath(keyText(key)) + ": unknown key");
        }
      }
    }
    return result;
  }

  /** Reads this node as a list, each element with {@code element}; absent gives the default. */
  <T> List<T> list(Function<YamlNode, T> element, List<T> defaultValue) {
    return value == null ? defaultValue : readList(element);
  }

  /**
   * Like {@link #list}, but an empty list is a problem, and so is an absent one when {@code
   * defaultValue} is null.
   */
  <T> List<T> nonEmptyList(Function<YamlNode, T> element, List<T> defaultValue) {
    if (value == null) {
      if (defaultValue == null) {
        problem("required");
      }
      return defaultValue;
    }
    if (value instanceof List<?> items && items.isEmpty()) {
      problem("must not be empty");
      return null;
    }
    return readList(element);
  }

  private <T> List<T> readList(Function<YamlNode, T> element) {
    if (!(value instanceof List<?> items)) {
      problem("must be a list, not " + describe(value));
      return null;
    }
    List<T> result = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      T item = element.apply(new YamlNode(path + "[" + i + "]", items.get(i), problems));
      if (item != null) {
        result.add(item);
      }
    }
    return result.size() == items.size() ? result : null;
  }

  /** Reads a scalar with {@code type}; absent gives the default (which may be null). */
  <T> T value(ValueType<T> type, T defaultValue) {
    return value == null ? defaultValue : parse(type);
  }

  /** Reads a scalar with {@code type}; absent is a problem. */
  <T> T required(ValueType<T> type) {
    if (value == null) {
      problem("required");
      return null;
    }
    return parse(type);
  }

  /** Reads an integer within {@code [min, max]}. */
  Integer integer(int min, int max, int defaultValue) {
    if (value == null) {
      return defaultValue;
    }
    boolean isInteger =
        value instanceof Integer || value instanceof Long || value instanceof BigInteger;
    if (!isInteger) {
      problem("must be an integer, not " + describe(value));
      return null;
    }
    BigInteger number = new BigInteger(value.toString());
    if (number.compareTo(BigInteger.valueOf(min)) < 0
        || number.compareTo(BigInteger.valueOf(max)) > 0) {
      problem("must be between " + min + " and " + max);
      return null;
    }
    return number.intValue();
  }

  /** Reads {@code true} or {@code false}. */
  Boolean bool(boolean defaultValue) {
    if (value == null) {
      return defaultValue;
    }
    if (!(value instanceof Boolean b)) {
      problem("must be true or false, not " + describe(value));
      return null;
    }
    return b;
  }

  private <T> T parse(ValueType<T> type) {
    if (!(value instanceof String text)) {
      problem("must be " + type.description() + ", not " + describe(value));
      return null;
    }
    try {
      return type.parse(text);
    } catch (IllegalArgumentException e) {
      problem(e.getMessage());
      return null;
    }
  }

  private String childPath(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Names a YAML value's type without printing it (values may be secrets or self-referencing). */
  static String describe(Object value) {
    if (value instanceof Map) {
      return "a map";
    }
    if (value instanceof List) {
      return "a list";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    if (value instanceof Number) {
      return "a number";
    }
    if (value instanceof String) {
      return "a string";
    }
    return "a " + value.getClass().getSimpleName();
  }

  private static String keyText(Object key) {
    if (key instanceof String || key instanceof Number || key instanceof Boolean) {
      return String.valueOf(key);
    }
    return key == null ? "null" : "<" + describe(key) + " as key>";
  }
}
