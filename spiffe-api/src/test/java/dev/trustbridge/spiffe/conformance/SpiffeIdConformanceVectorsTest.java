package dev.trustbridge.spiffe.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.SpiffeIdRules;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SPIFFE-ID.md vectors an outside tester would write, through the public API only, for the cases
 * the per-rule tests of {@code dev.trustbridge.spiffe.id} leave out: trust domains made of
 * punctuation only, the 255-byte trust domain and the 2048-byte ID at once, userinfo with a
 * password, IPv4 with a port, and line ends.
 */
class SpiffeIdConformanceVectorsTest {

  static Stream<Arguments> validIds() {
    return Stream.of(
        arguments("§2.1 no DNS rules: a trust domain that is one dot", "spiffe://./x", "."),
        arguments("§2.1 no DNS rules: a trust domain that is two dots", "spiffe://../x", ".."),
        arguments("§2.1 no DNS rules: a trust domain that is one dash", "spiffe://-", "-"),
        arguments(
            "§2.1 no DNS rules: a trust domain that is one underscore", "spiffe://_/x/y", "_"),
        arguments(
            "§2.1 no DNS rules: a 64-character label",
            "spiffe://" + "l".repeat(64) + ".org/x",
            "l".repeat(64) + ".org"),
        arguments("§2.2 a segment of dots only, longer than two", "spiffe://td/..../.....", "td"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("validIds")
  void parse_validId_isAcceptedAndRoundTrips(String name, String input, String trustDomain) {
    SpiffeId id = SpiffeId.parse(input);
    assertEquals(trustDomain, id.trustDomain().name());
    assertEquals(input, id.toString());
    assertEquals(id, SpiffeId.of(TrustDomain.parse(trustDomain), id.path()));
  }

  static Stream<Arguments> invalidIds() {
    return Stream.of(
        arguments("§2.1 userinfo with a password", "spiffe://user:pass@example.org/x"),
        arguments("§2.1 IPv4 with a port", "spiffe://10.0.0.1:8443/x"),
        arguments("§2.1 IPv4 with an empty port", "spiffe://10.0.0.1:/x"),
        arguments("§2 a trailing line feed", "spiffe://example.org/x\n"),
        arguments("§2 a trailing CRLF", "spiffe://example.org/x\r\n"),
        arguments("§2 a trailing space", "spiffe://example.org/x "),
        arguments("§2 a line feed after the trust domain", "spiffe://example.org\n"),
        arguments("§2.2 a dot segment at the end of a long path", "spiffe://td/a/b/c/d/.."),
        arguments("§2.2 an encoded slash making an empty segment", "spiffe://td/a%2F%2Fb"),
        arguments("§2.1 an uppercase percent-encoded trust domain", "spiffe://%45XAMPLE.org/x"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("invalidIds")
  void parse_invalidId_isRejected(String name, String input) {
    InvalidSpiffeIdException e =
        assertThrows(InvalidSpiffeIdException.class, () -> SpiffeId.parse(input));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
  }

  /** A trust domain of exactly 255 bytes (labels of 63 a's). */
  private static String trustDomainOf255Bytes() {
    String label = "a".repeat(63);
    String td = label + "." + label + "." + label + "." + "a".repeat(63);
    assertEquals(255, td.length());
    return td;
  }

  /** "spiffe://" + 255-byte trust domain + a path of single-character segments, n bytes long. */
  private static String idOfBytesWithLongestTrustDomain(int n) {
    String prefix = "spiffe://" + trustDomainOf255Bytes();
    StringBuilder id = new StringBuilder(prefix);
    while (id.length() < n - 1) {
      id.append("/b");
    }
    if (id.length() < n) {
      id.append("c");
    }
    assertEquals(n, id.toString().getBytes(StandardCharsets.UTF_8).length);
    return id.toString();
  }

  @Test
  void parse_longestTrustDomainInAnIdOfExactly2048Bytes_isAccepted() {
    // §2.3: both maxima at once: 255 bytes of trust domain inside 2048 bytes of URI.
    String input = idOfBytesWithLongestTrustDomain(2048);
    SpiffeId id = SpiffeId.parse(input);
    assertEquals(trustDomainOf255Bytes(), id.trustDomain().name());
    assertEquals(input, id.toString());
  }

  @Test
  void parse_longestTrustDomainInAnIdOf2049Bytes_isRejectedAsTooLong() {
    InvalidSpiffeIdException e =
        assertThrows(
            InvalidSpiffeIdException.class,
            () -> SpiffeId.parse(idOfBytesWithLongestTrustDomain(2049)));
    assertEquals(SpiffeIdRules.TOO_LONG, e.getMessage());
  }

  @Test
  void trustDomainId_ofTheLongestTrustDomain_isItsIdWithoutPath() {
    TrustDomain td = TrustDomain.parse(trustDomainOf255Bytes());
    assertEquals("spiffe://" + td.name(), td.id().toString());
    assertEquals(td.id(), SpiffeId.parse("spiffe://" + td.name()));
  }
}
