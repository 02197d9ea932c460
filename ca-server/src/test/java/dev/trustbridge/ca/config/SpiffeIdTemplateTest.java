package dev.trustbridge.ca.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.SpiffeIdRules;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SpiffeIdTemplateTest {
  private static final TrustDomain TD = TrustDomain.parse("example.org");

  @Test
  void expand_replacesEveryPlaceholder() {
    SpiffeIdTemplate template = SpiffeIdTemplate.parse("/c/{claim:cluster}/ns/{namespace}/{sub}");
    Map<String, String> values = Map.of("claim:cluster", "east", "namespace", "pay", "sub", "x-1");

    assertEquals(
        SpiffeId.parse("spiffe://example.org/c/east/ns/pay/x-1"), template.expand(TD, values::get));
    assertEquals(List.of("claim:cluster", "namespace", "sub"), template.placeholders());
  }

  @ParameterizedTest
  @ValueSource(strings = {"a/b", "..", "", "a b"})
  void expand_valueThatIsNotOneSegment_isRejected(String value) {
    SpiffeIdTemplate template = SpiffeIdTemplate.parse("/ns/{namespace}/sa/{service_account}");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> template.expand(TD, name -> value));
    assertEquals(
        true,
        e.getMessage().startsWith("value of {namespace} is not a valid path segment: "),
        e.getMessage());
  }

  @Test
  void parse_unbalancedBraces_isRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SpiffeIdTemplate.parse("/ns/{namespace"));
    assertEquals("has unbalanced braces", e.getMessage());
  }

  @Test
  void parse_trailingSlash_isRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SpiffeIdTemplate.parse("/ns/{namespace}/"));
    assertEquals(
        "is not a valid SPIFFE ID path: " + SpiffeIdRules.PATH_TRAILING_SLASH, e.getMessage());
  }
}
