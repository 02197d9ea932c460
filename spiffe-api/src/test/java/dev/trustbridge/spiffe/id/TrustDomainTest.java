package dev.trustbridge.spiffe.id;

import static dev.trustbridge.spiffe.id.IdAssertions.assertRejected;
import static dev.trustbridge.spiffe.id.IdAssertions.trustDomainOfBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link TrustDomain#parse} against SPIFFE-ID.md section 2.1 and the 255-byte limit (A2). */
class TrustDomainTest {

  static Stream<String> validNames() {
    return Stream.of(
        "td",
        "example.org",
        "192.168.000.001",
        "192.168.0.1",
        "a".repeat(63),
        "a".repeat(64) + ".example.org",
        "-leading.example",
        "a..b",
        "example.org.",
        ".",
        "under_score",
        "0",
        trustDomainOfBytes(255));
  }

  @ParameterizedTest(name = "[{0}]")
  @MethodSource("validNames")
  void parse_validName_isAccepted(String name) {
    TrustDomain td = TrustDomain.parse(name);

    assertEquals(name, td.name());
    assertEquals(name, td.toString());
  }

  @ParameterizedTest(name = "[{0}]")
  @MethodSource("validNames")
  void id_ofValidName_isTheTrustDomainIdWithoutPath(String name) {
    SpiffeId id = TrustDomain.parse(name).id();

    assertEquals("spiffe://" + name, id.toString());
    assertTrue(id.isTrustDomainId());
    assertEquals(SpiffeId.parse("spiffe://" + name), id);
  }

  @ParameterizedTest(name = "[{0}]")
  @MethodSource("validNames")
  void toJavaSpiffe_ofValidName_keepsTheName(String name) {
    assertEquals(name, TrustDomain.parse(name).toJavaSpiffe().getName());
  }

  static Stream<Arguments> invalidNames() {
    return Stream.of(
        arguments("", SpiffeIdRules.TD_MISSING),
        arguments("user@example.org", SpiffeIdRules.TD_USERINFO),
        arguments("@example.org", SpiffeIdRules.TD_USERINFO),
        arguments("example.org:8443", SpiffeIdRules.TD_PORT),
        arguments("example.org:", SpiffeIdRules.TD_PORT),
        // A bare name is expected; the spiffe:// form is not accepted here.
        arguments("spiffe://example.org", SpiffeIdRules.TD_PORT),
        arguments("ex%61mple.org", SpiffeIdRules.TD_PERCENT),
        arguments("Example.org", SpiffeIdRules.TD_UPPERCASE),
        arguments("EXAMPLE.ORG", SpiffeIdRules.TD_UPPERCASE),
        arguments("example.org/x", SpiffeIdRules.TD_CHARS),
        arguments("ex~ample.org", SpiffeIdRules.TD_CHARS),
        arguments("ex!ample.org", SpiffeIdRules.TD_CHARS),
        arguments("ex*ample.org", SpiffeIdRules.TD_CHARS),
        arguments("[::1]", SpiffeIdRules.TD_CHARS),
        arguments("exämple.org", SpiffeIdRules.TD_CHARS),
        arguments("\u212aelvin.example", SpiffeIdRules.TD_CHARS),
        arguments(" example.org", SpiffeIdRules.TD_CHARS),
        arguments("example.org?", SpiffeIdRules.TD_CHARS),
        arguments("example.org#", SpiffeIdRules.TD_CHARS),
        arguments(trustDomainOfBytes(256), SpiffeIdRules.TD_TOO_LONG));
  }

  @ParameterizedTest(name = "[{0}] -> {1}")
  @MethodSource("invalidNames")
  void parse_invalidName_isRejected(String name, String expectedMessage) {
    assertRejected(expectedMessage, () -> TrustDomain.parse(name));
  }

  @Test
  void parse_null_throwsNullPointerException() {
    assertThrows(NullPointerException.class, () -> TrustDomain.parse(null));
  }

  @Test
  void equals_sameName_isEqualWithSameHashCode() {
    TrustDomain a = TrustDomain.parse("example.org");
    TrustDomain b = TrustDomain.parse("example.org");

    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertEquals(0, a.compareTo(b));
  }

  @ParameterizedTest(name = "[{0}] vs [{1}]")
  @CsvSource({
    "192.168.000.001, 192.168.0.1",
    "example.org.,    example.org",
    "a..b,            a.b",
    "example.org,     example.com"
  })
  void equals_differentNames_areNotEqual(String left, String right) {
    TrustDomain a = TrustDomain.parse(left);
    TrustDomain b = TrustDomain.parse(right);

    assertNotEquals(a, b);
    assertNotEquals(0, a.compareTo(b));
  }
}
