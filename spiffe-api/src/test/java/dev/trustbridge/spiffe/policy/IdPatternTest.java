package dev.trustbridge.spiffe.policy;

import static dev.trustbridge.spiffe.policy.TestPolicies.assertRefused;
import static dev.trustbridge.spiffe.policy.TestPolicies.id;
import static dev.trustbridge.spiffe.policy.TestPolicies.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.id.SpiffeId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdPatternTest {

  @Test
  void parse_spiffeId_isExact() {
    IdPattern p = pattern("spiffe://a.example/ns/pay/sa/api");
    assertInstanceOf(IdPattern.Exact.class, p);
    assertEquals(id("spiffe://a.example/ns/pay/sa/api"), p.id());
    assertEquals("spiffe://a.example/ns/pay/sa/api", p.toString());
  }

  @Test
  void parse_trailingSlashStar_isPrefixOfTheIdBeforeIt() {
    IdPattern p = pattern("spiffe://a.example/ns/pay/*");
    assertInstanceOf(IdPattern.Prefix.class, p);
    assertEquals(id("spiffe://a.example/ns/pay"), p.id());
    assertEquals("spiffe://a.example/ns/pay/*", p.toString());
  }

  @Test
  void parse_trustDomainSlashStar_isTrustDomainWidePrefix() {
    IdPattern p = pattern("spiffe://a.example/*");
    assertTrue(((IdPattern.Prefix) p).isTrustDomainWide());
    assertTrue(p.matches(id("spiffe://a.example/anything/at/all")));
    assertTrue(p.matches(id("spiffe://a.example")));
    assertFalse(p.matches(id("spiffe://b.example/anything")));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "spiffe://a.example/ns/pay*",
        "spiffe://a.example/ns/*/sa/api",
        "spiffe://a.example/ns/pay/**",
        "spiffe://a.example/ns/pay/*/*",
        "spiffe://a.example/*pay",
        "spiffe://*.example/ns/pay",
        "*"
      })
  void parse_wildcardNotAWholeLastSegment_isRefused(String text) {
    assertRefused(
        "a wildcard is only allowed as a whole last path segment, as in spiffe://td/ns/pay/*",
        () -> IdPattern.parse(text));
  }

  @Test
  void parse_exactTrustDomainId_isRefused() {
    assertRefused(
        "an exact pattern cannot be a trust domain ID, which no workload carries; write"
            + " spiffe://<trust domain>/* for the whole trust domain",
        () -> IdPattern.parse("spiffe://a.example"));
  }

  @Test
  void parse_invalidSpiffeId_isRefusedWithTheIdRule() {
    assertRefused(
        "pattern is not a valid SPIFFE ID: path cannot contain empty segments",
        () -> IdPattern.parse("spiffe://a.example//ns/*"));
    assertRefused(
        "pattern is not a valid SPIFFE ID: trust domain must be lowercase",
        () -> IdPattern.parse("spiffe://A.example/ns"));
    assertRefused(
        "pattern is not a valid SPIFFE ID: scheme is missing or invalid",
        () -> IdPattern.parse("a.example/ns/pay/*"));
    assertRefused(
        "pattern is not a valid SPIFFE ID: SPIFFE ID cannot be empty", () -> IdPattern.parse("/*"));
    assertRefused(
        "pattern is not a valid SPIFFE ID: path cannot have a trailing slash",
        () -> IdPattern.parse("spiffe://a.example/ns/"));
  }

  @Test
  void prefix_doesNotMatchAcrossSegmentBoundary() {
    IdPattern pay = pattern("spiffe://a.example/ns/pay/*");
    assertFalse(pay.matches(id("spiffe://a.example/ns/payments")));
    assertFalse(pay.matches(id("spiffe://a.example/ns/payments/sa/api")));
    assertFalse(pay.matches(id("spiffe://a.example/ns/pa")));
    assertFalse(pay.matches(id("spiffe://a.example/ns")));
  }

  @Test
  void prefix_matchesItsRootAndEverythingBelow() {
    IdPattern pay = pattern("spiffe://a.example/ns/pay/*");
    assertTrue(pay.matches(id("spiffe://a.example/ns/pay")));
    assertTrue(pay.matches(id("spiffe://a.example/ns/pay/sa/api")));
    assertTrue(pay.matches(id("spiffe://a.example/ns/pay/sa/api/x/y")));
  }

  @Test
  void prefix_doesNotMatchSamePathInAnotherTrustDomain() {
    assertFalse(pattern("spiffe://a.example/ns/pay/*").matches(id("spiffe://b.example/ns/pay")));
  }

  @Test
  void exact_matchesOnlyItself() {
    IdPattern api = pattern("spiffe://a.example/ns/pay/sa/api");
    assertTrue(api.matches(id("spiffe://a.example/ns/pay/sa/api")));
    assertFalse(api.matches(id("spiffe://a.example/ns/pay/sa/api/x")));
    assertFalse(api.matches(id("spiffe://a.example/ns/pay/sa")));
    assertFalse(api.matches(id("spiffe://a.example/ns/pay/sa/apiv2")));
  }

  @Test
  void mostSpecificFirst_ordersExactThenLongerPrefixThenShorter() {
    List<IdPattern> patterns =
        new ArrayList<>(
            List.of(
                pattern("spiffe://b.example/*"),
                pattern("spiffe://b.example/ns/web/*"),
                pattern("spiffe://b.example/ns/web/sa/fe"),
                pattern("spiffe://b.example/ns/web/sa/*")));
    patterns.sort(IdPattern.MOST_SPECIFIC_FIRST);
    assertEquals(
        List.of(
            "spiffe://b.example/ns/web/sa/fe",
            "spiffe://b.example/ns/web/sa/*",
            "spiffe://b.example/ns/web/*",
            "spiffe://b.example/*"),
        patterns.stream().map(IdPattern::toString).toList());
  }

  @Test
  void exactPrefixOfTheSameId_areDifferentPatterns() {
    SpiffeId x = id("spiffe://a.example/ns/pay");
    assertFalse(new IdPattern.Exact(x).equals(new IdPattern.Prefix(x)));
  }
}
