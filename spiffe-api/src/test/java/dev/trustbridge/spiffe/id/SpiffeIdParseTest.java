package dev.trustbridge.spiffe.id;

import static dev.trustbridge.spiffe.id.IdAssertions.assertRejected;
import static dev.trustbridge.spiffe.id.IdAssertions.idOfBytes;
import static dev.trustbridge.spiffe.id.IdAssertions.trustDomainOfBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SpiffeId#parse} against SPIFFE-ID.md section 2, one table per rule of checklist section 1.
 * Every invalid input is checked for the exact rule message, so a test fails if the rule is dropped
 * or if the input is rejected for a different reason.
 */
class SpiffeIdParseTest {

  // ---- Valid IDs, including edge cases the spec says MUST be accepted ----

  static Stream<Arguments> validIds() {
    return Stream.of(
        arguments("spiffe://td", "td", ""),
        arguments("spiffe://example.org", "example.org", ""),
        arguments("spiffe://example.org/ns/default/sa/web", "example.org", "/ns/default/sa/web"),
        arguments("spiffe://192.168.000.001/x", "192.168.000.001", "/x"),
        arguments("spiffe://192.168.0.1", "192.168.0.1", ""),
        arguments("spiffe://999.999.999.999/x", "999.999.999.999", "/x"),
        arguments(
            "spiffe://" + "a".repeat(70) + ".example.org/x", "a".repeat(70) + ".example.org", "/x"),
        arguments("spiffe://-leading.example/x", "-leading.example", "/x"),
        arguments("spiffe://trailing-.example/x", "trailing-.example", "/x"),
        arguments("spiffe://a..b/x", "a..b", "/x"),
        arguments("spiffe://example.org./x", "example.org.", "/x"),
        arguments("spiffe://.example.org", ".example.org", ""),
        arguments("spiffe://under_score.example", "under_score.example", ""),
        arguments("spiffe://0", "0", ""),
        arguments("spiffe://td/...", "td", "/..."),
        arguments("spiffe://td/a/.../b", "td", "/a/.../b"),
        arguments("spiffe://td/.hidden/a.", "td", "/.hidden/a."),
        arguments("spiffe://td/x..y", "td", "/x..y"),
        arguments("spiffe://td/Upper/CASE/MiXeD", "td", "/Upper/CASE/MiXeD"),
        arguments("spiffe://td/azAZ09.-_", "td", "/azAZ09.-_"),
        arguments("spiffe://td/-/_", "td", "/-/_"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validIds")
  void parse_validId_isAccepted(String input, String trustDomain, String path) {
    SpiffeId id = SpiffeId.parse(input);

    assertEquals(trustDomain, id.trustDomain().name());
    assertEquals(path, id.path());
    assertEquals(path.isEmpty(), id.isTrustDomainId());
    assertEquals(input, id.toString());
  }

  @Test
  void parse_ipv4LookingTrustDomains_areNotNormalised() {
    SpiffeId padded = SpiffeId.parse("spiffe://192.168.000.001/x");
    SpiffeId plain = SpiffeId.parse("spiffe://192.168.0.1/x");

    assertEquals("192.168.000.001", padded.trustDomain().name());
    assertNotEquals(plain, padded);
    assertNotEquals(plain.trustDomain(), padded.trustDomain());
  }

  @Test
  void parse_path_isCaseSensitive() {
    assertNotEquals(SpiffeId.parse("spiffe://td/Web"), SpiffeId.parse("spiffe://td/web"));
  }

  @Test
  void parse_null_throwsNullPointerException() {
    assertThrows(NullPointerException.class, () -> SpiffeId.parse(null));
  }

  // ---- §2: the ID is a URI with scheme "spiffe" (A1: scheme case) ----

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(
      strings = {
        "http://example.org/x",
        "https://example.org/x",
        "spiffe:/example.org/x",
        "spiffe:example.org/x",
        "spiffe//example.org/x",
        "spiffe",
        "spiffe:",
        "spiffe:/",
        "example.org/x",
        "//example.org/x",
        " spiffe://example.org/x",
        "spiffes://example.org/x",
        "xspiffe://example.org/x"
      })
  void parse_wrongScheme_isRejected(String input) {
    assertRejected(SpiffeIdRules.BAD_SCHEME, () -> SpiffeId.parse(input));
  }

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(strings = {"SPIFFE://example.org/x", "Spiffe://example.org/x", "spiffE://td"})
  void parse_uppercaseScheme_isRejected(String input) {
    assertRejected(SpiffeIdRules.BAD_SCHEME, () -> SpiffeId.parse(input));
  }

  @Test
  void parse_emptyString_isRejected() {
    assertRejected(SpiffeIdRules.EMPTY, () -> SpiffeId.parse(""));
  }

  // ---- §2 / §2.1: the trust domain (host) must not be empty ----

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(strings = {"spiffe://", "spiffe:///", "spiffe:///x", "spiffe:///ns/web"})
  void parse_missingTrustDomain_isRejected(String input) {
    assertRejected(SpiffeIdRules.TD_MISSING, () -> SpiffeId.parse(input));
  }

  // ---- §2: no query and no fragment, not even an empty one ----

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(
      strings = {
        "spiffe://td/x?a=b",
        "spiffe://td/x?",
        "spiffe://td?",
        "spiffe://td?a=b",
        "spiffe://td/x?a#f",
        "spiffe://td/x?#",
        "spiffe://?"
      })
  void parse_idWithQuery_isRejected(String input) {
    assertRejected(SpiffeIdRules.QUERY, () -> SpiffeId.parse(input));
  }

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(
      strings = {
        "spiffe://td/x#frag",
        "spiffe://td/x#",
        "spiffe://td#",
        "spiffe://td#frag",
        "spiffe://td/x#f?q",
        "spiffe://td/x#?",
        "spiffe://#"
      })
  void parse_idWithFragment_isRejected(String input) {
    assertRejected(SpiffeIdRules.FRAGMENT, () -> SpiffeId.parse(input));
  }

  // ---- §2.1: userinfo and port must be empty; A3: the delimiters alone are rejected too ----

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(
      strings = {
        "spiffe://user@example.org/x",
        "spiffe://user@example.org",
        "spiffe://@example.org/x",
        "spiffe://@example.org",
        "spiffe://example.org@/x",
        "spiffe://@/x"
      })
  void parse_trustDomainWithUserinfo_isRejected(String input) {
    assertRejected(SpiffeIdRules.TD_USERINFO, () -> SpiffeId.parse(input));
  }

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(
      strings = {
        "spiffe://example.org:8443/x",
        "spiffe://example.org:8443",
        "spiffe://example.org:/x",
        "spiffe://example.org:",
        "spiffe://:8443/x",
        "spiffe://:/x"
      })
  void parse_trustDomainWithPort_isRejected(String input) {
    assertRejected(SpiffeIdRules.TD_PORT, () -> SpiffeId.parse(input));
  }

  // ---- §2.1: lowercase host only (A1: reject, never normalise) ----

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(
      strings = {
        "spiffe://EXAMPLE.ORG/x",
        "spiffe://Example.org/x",
        "spiffe://example.Org",
        "spiffe://tD/x"
      })
  void parse_uppercaseTrustDomain_isRejected(String input) {
    assertRejected(SpiffeIdRules.TD_UPPERCASE, () -> SpiffeId.parse(input));
  }

  // ---- §2.1: no percent-encoding in the host ----

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(
      strings = {
        "spiffe://ex%61mple.org/x",
        "spiffe://%65xample.org",
        "spiffe://td%2e/x",
        "spiffe://%"
      })
  void parse_percentEncodedTrustDomain_isRejected(String input) {
    assertRejected(SpiffeIdRules.TD_PERCENT, () -> SpiffeId.parse(input));
  }

  // ---- §2.1: host limited to [a-z0-9._-]; IPv6 literals and non-ASCII excluded ----

  static Stream<Arguments> trustDomainsWithBadCharacters() {
    return Stream.of(
            "ex~ample.org",
            "ex!ample.org",
            "ex*ample.org",
            "[example.org]",
            "[::1]",
            "[2001:db8::1]",
            "ex]ample.org",
            "ex ample.org",
            "ex+ample.org",
            "ex$ample.org",
            "ex&ample.org",
            "ex'ample.org",
            "ex(ample).org",
            "ex,ample.org",
            "ex;ample.org",
            "ex=ample.org",
            "ex\\ample.org",
            "ex\"ample.org",
            "ex\tample.org",
            "ex\u0000ample.org",
            "exämple.org",
            "例え.jp",
            "\u212aelvin.example", // KELVIN SIGN lower-cases to ASCII 'k'
            "\u0131nfo.example", // dotless i upper-cases to ASCII 'I'
            "ｅxample.org", // fullwidth e
            "ex\u00a0ample.org", // no-break space
            "ex\u00adample.org", // soft hyphen
            "emoji\ud83d\ude00.example",
            "lone\ud800surrogate.example")
        .map(td -> arguments(td, "spiffe://" + td + "/x"));
  }

  @ParameterizedTest(name = "[{0}]")
  @MethodSource("trustDomainsWithBadCharacters")
  void parse_trustDomainWithBadCharacter_isRejected(String trustDomain, String input) {
    assertRejected(SpiffeIdRules.TD_CHARS, () -> SpiffeId.parse(input));
  }

  // ---- §2.2: no percent-encoding in the path; never decoded ----

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(
      strings = {
        "spiffe://td/a%20b",
        "spiffe://td/%2e%2e",
        "spiffe://td/%2E",
        "spiffe://td/x/%2F/y",
        "spiffe://td/%41",
        "spiffe://td/%"
      })
  void parse_percentEncodedPath_isRejected(String input) {
    assertRejected(SpiffeIdRules.PATH_PERCENT, () -> SpiffeId.parse(input));
  }

  // ---- §2.2: no empty segments ----

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(
      strings = {"spiffe://td//x", "spiffe://td/x//y", "spiffe://td//", "spiffe://td/a///b"})
  void parse_pathWithEmptySegment_isRejected(String input) {
    assertRejected(SpiffeIdRules.PATH_EMPTY_SEGMENT, () -> SpiffeId.parse(input));
  }

  // ---- §2.2: no "." or ".." segments ("..." is legal, see validIds) ----

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(
      strings = {
        "spiffe://td/.",
        "spiffe://td/..",
        "spiffe://td/./x",
        "spiffe://td/x/./y",
        "spiffe://td/x/../y",
        "spiffe://td/x/.",
        "spiffe://td/x/.."
      })
  void parse_pathWithDotSegment_isRejected(String input) {
    assertRejected(SpiffeIdRules.PATH_DOT_SEGMENT, () -> SpiffeId.parse(input));
  }

  // ---- §2.2: no trailing slash ----

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(
      strings = {"spiffe://td/", "spiffe://example.org/", "spiffe://td/x/", "spiffe://td/x/y/"})
  void parse_pathWithTrailingSlash_isRejected(String input) {
    assertRejected(SpiffeIdRules.PATH_TRAILING_SLASH, () -> SpiffeId.parse(input));
  }

  // ---- §2.2: segments limited to [a-zA-Z0-9._-] ----

  static Stream<Arguments> pathsWithBadCharacters() {
    return Stream.of(
            "~user",
            "a!b",
            "a*b",
            "[a]",
            "a]b",
            "a:b",
            "a@b",
            "a$b",
            "a&b",
            "a'b",
            "(a)",
            "a+b",
            "a,b",
            "a;b",
            "a=b",
            "a b",
            "a\\b",
            "a\"b",
            "a\tb",
            "a\u0000b",
            "ä",
            "例え",
            "\u212aelvin",
            "ｗeb",
            "emoji\ud83d\ude00",
            "lone\udc00")
        .map(segment -> arguments(segment, "spiffe://td/ns/" + segment));
  }

  @ParameterizedTest(name = "[{0}]")
  @MethodSource("pathsWithBadCharacters")
  void parse_pathWithBadCharacter_isRejected(String segment, String input) {
    assertRejected(SpiffeIdRules.PATH_CHARS, () -> SpiffeId.parse(input));
  }

  // ---- §2.3 and A2: 2048 bytes for the whole ID, 255 bytes for the trust domain ----

  @Test
  void parse_idOfExactly2048Bytes_isAccepted() {
    String input = idOfBytes(2048);

    assertEquals(input, SpiffeId.parse(input).toString());
  }

  @Test
  void parse_idOf2049Bytes_isRejected() {
    assertRejected(SpiffeIdRules.TOO_LONG, () -> SpiffeId.parse(idOfBytes(2049)));
  }

  @Test
  void parse_idOf2048CharsButMoreThan2048Bytes_isRejectedAsTooLong() {
    // Length is counted in UTF-8 bytes: one two-byte char makes 2048 chars into 2049 bytes.
    String input = idOfBytes(2047) + "é";
    assertEquals(2048, input.length());
    assertEquals(2049, input.getBytes(StandardCharsets.UTF_8).length);

    assertRejected(SpiffeIdRules.TOO_LONG, () -> SpiffeId.parse(input));
  }

  @Test
  void parse_trustDomainOfExactly255Bytes_isAccepted() {
    String td = trustDomainOfBytes(255);

    SpiffeId id = SpiffeId.parse("spiffe://" + td + "/x");

    assertEquals(td, id.trustDomain().name());
  }

  @Test
  void parse_trustDomainOf256Bytes_isRejected() {
    String td = trustDomainOfBytes(256);

    assertRejected(SpiffeIdRules.TD_TOO_LONG, () -> SpiffeId.parse("spiffe://" + td + "/x"));
    assertRejected(SpiffeIdRules.TD_TOO_LONG, () -> SpiffeId.parse("spiffe://" + td));
  }
}
