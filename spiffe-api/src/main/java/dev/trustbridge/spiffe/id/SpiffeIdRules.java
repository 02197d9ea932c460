package dev.trustbridge.spiffe.id;

import java.nio.charset.StandardCharsets;

/**
 * The rules of SPIFFE-ID.md sections 2 to 2.3, applied strictly, with one exact message per rule.
 *
 * <p>Readings chosen where the spec is ambiguous (see docs/spiffe-conformance.md):
 *
 * <ul>
 *   <li>Case (A1): the scheme must be exactly {@code spiffe} and the trust domain lowercase;
 *       uppercase input is rejected, never normalised.
 *   <li>Empty port or userinfo (A3): the {@code :} and {@code @} delimiters are rejected even when
 *       the part they introduce is empty.
 *   <li>Length (A2): IDs up to 2048 bytes are supported and longer ones rejected; trust domain
 *       names longer than 255 bytes are rejected.
 * </ul>
 */
public final class SpiffeIdRules {
  /** The longest SPIFFE ID, in UTF-8 bytes, including {@code spiffe://}. */
  public static final int MAX_ID_BYTES = 2048;

  /** The longest trust domain name, in bytes. */
  public static final int MAX_TRUST_DOMAIN_BYTES = 255;

  static final String SCHEME_PREFIX = "spiffe://";

  public static final String EMPTY = "SPIFFE ID cannot be empty";
  public static final String TOO_LONG = "SPIFFE ID exceeds the maximum length of 2048 bytes";
  public static final String BAD_SCHEME = "scheme is missing or invalid";
  public static final String QUERY = "SPIFFE ID cannot contain a query";
  public static final String FRAGMENT = "SPIFFE ID cannot contain a fragment";
  public static final String TD_MISSING = "trust domain is missing";
  public static final String TD_USERINFO = "trust domain cannot contain userinfo";
  public static final String TD_PORT = "trust domain cannot contain a port";
  public static final String TD_PERCENT = "trust domain cannot contain percent-encoded characters";
  public static final String TD_UPPERCASE = "trust domain must be lowercase";
  public static final String TD_CHARS =
      "trust domain characters are limited to lowercase letters, numbers, dots, dashes, and"
          + " underscores";
  public static final String TD_TOO_LONG = "trust domain exceeds the maximum length of 255 bytes";
  public static final String PATH_EMPTY_SEGMENT = "path cannot contain empty segments";
  public static final String PATH_DOT_SEGMENT = "path cannot contain dot segments";
  public static final String PATH_TRAILING_SLASH = "path cannot have a trailing slash";
  public static final String PATH_PERCENT = "path cannot contain percent-encoded characters";
  public static final String PATH_CHARS =
      "path segment characters are limited to letters, numbers, dots, dashes, and underscores";
  public static final String PATH_NO_LEADING_SLASH = "path must begin with a slash";

  private SpiffeIdRules() {}

  /** Checks a trust domain name (the authority of a SPIFFE ID). */
  static void checkTrustDomain(String name) {
    if (name.isEmpty()) {
      throw new InvalidSpiffeIdException(TD_MISSING);
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (isTrustDomainChar(c)) {
        continue;
      }
      if (c == '@') {
        throw new InvalidSpiffeIdException(TD_USERINFO);
      }
      if (c == ':') {
        throw new InvalidSpiffeIdException(TD_PORT);
      }
      if (c == '%') {
        throw new InvalidSpiffeIdException(TD_PERCENT);
      }
      if (c >= 'A' && c <= 'Z') {
        throw new InvalidSpiffeIdException(TD_UPPERCASE);
      }
      throw new InvalidSpiffeIdException(TD_CHARS);
    }
    // Only ASCII is left at this point, so chars are bytes.
    if (name.length() > MAX_TRUST_DOMAIN_BYTES) {
      throw new InvalidSpiffeIdException(TD_TOO_LONG);
    }
  }

  /**
   * Checks a path: empty, or {@code /seg(/seg)*} with every segment non-empty, not {@code .} or
   * {@code ..}, and made only of {@code [a-zA-Z0-9._-]}.
   */
  static void checkPath(String path) {
    if (path.isEmpty()) {
      return;
    }
    if (path.charAt(0) != '/') {
      throw new InvalidSpiffeIdException(PATH_NO_LEADING_SLASH);
    }
    int segmentStart = 1;
    for (int i = 1; i <= path.length(); i++) {
      if (i < path.length() && path.charAt(i) != '/') {
        continue;
      }
      String segment = path.substring(segmentStart, i);
      if (segment.isEmpty()) {
        throw new InvalidSpiffeIdException(
            i == path.length() ? PATH_TRAILING_SLASH : PATH_EMPTY_SEGMENT);
      }
      checkSegment(segment);
      segmentStart = i + 1;
    }
  }

  /** Checks one path segment (no slashes). */
  static void checkSegment(String segment) {
    if (segment.isEmpty()) {
      throw new InvalidSpiffeIdException(PATH_EMPTY_SEGMENT);
    }
    if (segment.equals(".") || segment.equals("..")) {
      throw new InvalidSpiffeIdException(PATH_DOT_SEGMENT);
    }
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (isPathChar(c)) {
        continue;
      }
      if (c == '%') {
        throw new InvalidSpiffeIdException(PATH_PERCENT);
      }
      throw new InvalidSpiffeIdException(PATH_CHARS);
    }
  }

  static int utf8Length(String s) {
    // Fast path: pure ASCII strings are the overwhelmingly common case.
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return s.getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return s.length();
  }

  private static boolean isTrustDomainChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  }

  private static boolean isPathChar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '.'
        || c == '-'
        || c == '_';
  }
}
