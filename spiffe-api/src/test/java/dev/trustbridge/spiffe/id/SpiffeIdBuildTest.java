package dev.trustbridge.spiffe.id;

import static dev.trustbridge.spiffe.id.IdAssertions.assertRejected;
import static dev.trustbridge.spiffe.id.IdAssertions.trustDomainOfBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link SpiffeId#of} and {@link SpiffeId#fromSegments}: the builders apply the same path rules
 * (§2.2) and length limit (§2.3) as {@link SpiffeId#parse}.
 */
class SpiffeIdBuildTest {
  private static final TrustDomain TD = TrustDomain.parse("example.org");

  // ---- SpiffeId.of ----

  @ParameterizedTest(name = "[{0}]")
  @MethodSource("validPaths")
  void of_validPath_equalsParsedId(String path) {
    SpiffeId id = SpiffeId.of(TD, path);

    assertEquals(path, id.path());
    assertEquals(TD, id.trustDomain());
    assertEquals(SpiffeId.parse("spiffe://example.org" + path), id);
  }

  static Stream<String> validPaths() {
    return Stream.of("", "/x", "/ns/default/sa/web", "/...", "/Upper/CASE", "/a.b/-_/09");
  }

  static Stream<Arguments> invalidPaths() {
    return Stream.of(
        arguments("x", SpiffeIdRules.PATH_NO_LEADING_SLASH),
        arguments("ns/web", SpiffeIdRules.PATH_NO_LEADING_SLASH),
        arguments("/", SpiffeIdRules.PATH_TRAILING_SLASH),
        arguments("/x/", SpiffeIdRules.PATH_TRAILING_SLASH),
        arguments("//x", SpiffeIdRules.PATH_EMPTY_SEGMENT),
        arguments("/x//y", SpiffeIdRules.PATH_EMPTY_SEGMENT),
        arguments("/.", SpiffeIdRules.PATH_DOT_SEGMENT),
        arguments("/x/../y", SpiffeIdRules.PATH_DOT_SEGMENT),
        arguments("/a%20b", SpiffeIdRules.PATH_PERCENT),
        arguments("/a b", SpiffeIdRules.PATH_CHARS),
        arguments("/x?q", SpiffeIdRules.PATH_CHARS),
        arguments("/x#f", SpiffeIdRules.PATH_CHARS),
        arguments("/ä", SpiffeIdRules.PATH_CHARS));
  }

  @ParameterizedTest(name = "[{0}] -> {1}")
  @MethodSource("invalidPaths")
  void of_invalidPath_isRejected(String path, String expectedMessage) {
    assertRejected(expectedMessage, () -> SpiffeId.of(TD, path));
  }

  @Test
  void of_pathMakingIdExactly2048Bytes_isAccepted() {
    // "spiffe://example.org" is 20 bytes.
    String path = "/" + "a".repeat(2048 - 20 - 1);

    assertEquals(2048, SpiffeId.of(TD, path).toString().length());
  }

  @Test
  void of_pathMakingId2049Bytes_isRejected() {
    String path = "/" + "a".repeat(2049 - 20 - 1);

    assertRejected(SpiffeIdRules.TOO_LONG, () -> SpiffeId.of(TD, path));
  }

  @Test
  void of_longTrustDomainAndLongPath_isRejectedOnWholeIdLength() {
    TrustDomain longTd = TrustDomain.parse(trustDomainOfBytes(255));
    // 9 + 255 + 1 + 1784 = 2049
    String path = "/" + "b".repeat(1784);

    assertRejected(SpiffeIdRules.TOO_LONG, () -> SpiffeId.of(longTd, path));
  }

  @Test
  void of_nullArguments_throwNullPointerException() {
    assertThrows(NullPointerException.class, () -> SpiffeId.of(null, "/x"));
    assertThrows(NullPointerException.class, () -> SpiffeId.of(TD, null));
  }

  // ---- SpiffeId.fromSegments ----

  @Test
  void fromSegments_noSegments_isTrustDomainId() {
    SpiffeId id = SpiffeId.fromSegments(TD);

    assertTrue(id.isTrustDomainId());
    assertEquals(TD.id(), id);
  }

  static Stream<Arguments> validSegments() {
    return Stream.of(
        arguments(new String[] {"web"}, "/web"),
        arguments(new String[] {"ns", "default", "sa", "web"}, "/ns/default/sa/web"),
        arguments(new String[] {"..."}, "/..."),
        arguments(new String[] {"Upper", "CASE"}, "/Upper/CASE"),
        arguments(new String[] {".hidden", "a.", "-", "_"}, "/.hidden/a./-/_"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("validSegments")
  void fromSegments_validSegments_joinWithSlashes(String[] segments, String expectedPath) {
    SpiffeId id = SpiffeId.fromSegments(TD, segments);

    assertEquals(expectedPath, id.path());
    assertEquals(SpiffeId.parse("spiffe://example.org" + expectedPath), id);
  }

  static Stream<Arguments> invalidSegments() {
    return Stream.of(
        arguments("", SpiffeIdRules.PATH_EMPTY_SEGMENT),
        arguments(".", SpiffeIdRules.PATH_DOT_SEGMENT),
        arguments("..", SpiffeIdRules.PATH_DOT_SEGMENT),
        // A segment cannot smuggle in more path: '/' is not a segment character.
        arguments("a/b", SpiffeIdRules.PATH_CHARS),
        arguments("/a", SpiffeIdRules.PATH_CHARS),
        arguments("a/", SpiffeIdRules.PATH_CHARS),
        arguments("%2e", SpiffeIdRules.PATH_PERCENT),
        arguments("a?b", SpiffeIdRules.PATH_CHARS),
        arguments("a#b", SpiffeIdRules.PATH_CHARS),
        arguments("a:b", SpiffeIdRules.PATH_CHARS),
        arguments("a@b", SpiffeIdRules.PATH_CHARS),
        arguments("ä", SpiffeIdRules.PATH_CHARS));
  }

  @ParameterizedTest(name = "[{0}] -> {1}")
  @MethodSource("invalidSegments")
  void fromSegments_invalidSegment_isRejected(String segment, String expectedMessage) {
    assertRejected(expectedMessage, () -> SpiffeId.fromSegments(TD, segment));
    assertRejected(expectedMessage, () -> SpiffeId.fromSegments(TD, "ok", segment, "ok"));
  }

  @Test
  void fromSegments_oneLongSegmentMakingId2049Bytes_isRejected() {
    String segment = "a".repeat(2049 - 20 - 1);

    assertRejected(SpiffeIdRules.TOO_LONG, () -> SpiffeId.fromSegments(TD, segment));
  }

  @Test
  void fromSegments_manySegments_areLimitedTo2048BytesInTotal() {
    String[] segments = new String[1014];
    Arrays.fill(segments, "a");
    // 20 + 1014 * "/a" = 2048 bytes: accepted.
    assertEquals(2048, SpiffeId.fromSegments(TD, segments).toString().length());

    segments[0] = "aa";
    assertRejected(SpiffeIdRules.TOO_LONG, () -> SpiffeId.fromSegments(TD, segments));
  }

  @Test
  void fromSegments_nullSegment_throwsNullPointerException() {
    assertThrows(NullPointerException.class, () -> SpiffeId.fromSegments(TD, "a", null));
    assertThrows(NullPointerException.class, () -> SpiffeId.fromSegments(null, "a"));
  }
}
