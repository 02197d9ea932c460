package dev.trustbridge.spiffe.policy;

import static dev.trustbridge.spiffe.policy.TestPolicies.B;
import static dev.trustbridge.spiffe.policy.TestPolicies.C;
import static dev.trustbridge.spiffe.policy.TestPolicies.HOSTED;
import static dev.trustbridge.spiffe.policy.TestPolicies.PEERS;
import static dev.trustbridge.spiffe.policy.TestPolicies.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.policy.Decision.Verdict;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link Policy#decide}, {@link Policy#grantedTrustDomains} and {@link Policy#forIdentity}. */
class PolicyDecideTest {
  static final SpiffeId PAY_API = id("spiffe://a.example/ns/pay/sa/api");
  static final SpiffeId PAYMENTS_API = id("spiffe://a.example/ns/payments/sa/api");
  static final SpiffeId WEB_FE = id("spiffe://b.example/ns/web/sa/fe");
  static final SpiffeId WEB_ADMIN = id("spiffe://b.example/ns/web/sa/admin");

  private static void assertDenied(String reason, Decision d) {
    assertEquals(new Decision(Verdict.DENY, Optional.empty(), reason), d);
  }

  private static void assertAllowedBy(String rule, Decision d) {
    assertEquals(Verdict.ALLOW, d.verdict());
    assertEquals(Decision.ALLOWED_BY_RULE, d.reason());
    assertEquals(rule, d.matched().orElseThrow().name());
  }

  @Test
  void decide_sameTrustDomain_isAllowedWithoutRule() {
    Decision d = Policy.empty(1).decide(PAY_API, id("spiffe://a.example/ns/other/sa/x"));
    assertEquals(new Decision(Verdict.ALLOW, Optional.empty(), "same trust domain"), d);
    assertTrue(d.isAllowed());
  }

  @Test
  void decide_emptyPolicy_deniesForeignAsNotExposed() {
    assertDenied(
        "local identity is not exposed to the peer trust domain",
        Policy.empty(1).decide(PAY_API, WEB_FE));
  }

  @Test
  void decide_exposedButNoRule_isDeniedByDefault() {
    Policy p = Policy.builder().expose(B, "spiffe://a.example/ns/pay/*").build();
    assertDenied("no allow rule matches", p.decide(PAY_API, WEB_FE));
  }

  @Test
  void decide_exposedAndRuleMatches_isAllowedWithTheRule() {
    Policy p =
        Policy.builder()
            .expose(B, "spiffe://a.example/ns/pay/*")
            .allow("web-to-pay", "spiffe://b.example/ns/web/*", "spiffe://a.example/ns/pay/*")
            .build();
    assertAllowedBy("web-to-pay", p.decide(PAY_API, WEB_FE));
    assertEquals(p.allowRules().get(0), p.decide(PAY_API, WEB_FE).matched().orElseThrow());
  }

  @Test
  void decide_allowRuleForUnexposedIdentity_hasNoEffect() {
    Policy p =
        Policy.builder()
            .expose(B, "spiffe://a.example/ns/shop/*")
            .allow("web-to-pay", "spiffe://b.example/ns/web/*", "spiffe://a.example/ns/pay/*")
            .build();
    assertDenied(
        "local identity is not exposed to the peer trust domain", p.decide(PAY_API, WEB_FE));
  }

  @Test
  void decide_exposedToAnotherPeerOnly_isNotExposed() {
    Policy p =
        Policy.builder()
            .expose(C, "spiffe://a.example/ns/pay/*")
            .allow("web-to-pay", "spiffe://b.example/ns/web/*", "spiffe://a.example/ns/pay/*")
            .build();
    assertDenied(
        "local identity is not exposed to the peer trust domain", p.decide(PAY_API, WEB_FE));
  }

  @Test
  void decide_localPrefixDoesNotMatchAcrossSegmentBoundary() {
    Policy p =
        Policy.builder()
            .expose(B, "spiffe://a.example/*")
            .allow("web-to-pay", "spiffe://b.example/ns/web/*", "spiffe://a.example/ns/pay/*")
            .build();
    assertAllowedBy("web-to-pay", p.decide(PAY_API, WEB_FE));
    assertDenied("no allow rule matches", p.decide(PAYMENTS_API, WEB_FE));
  }

  @Test
  void decide_peerPrefixDoesNotMatchAcrossSegmentBoundary() {
    Policy p =
        Policy.builder()
            .expose(B, "spiffe://a.example/*")
            .allow("pay-to-pay", "spiffe://b.example/ns/pay/*", "spiffe://a.example/*")
            .build();
    assertAllowedBy("pay-to-pay", p.decide(PAY_API, id("spiffe://b.example/ns/pay/sa/x")));
    assertDenied(
        "no allow rule matches", p.decide(PAY_API, id("spiffe://b.example/ns/payments/sa/x")));
  }

  @Test
  void decide_exposurePrefixDoesNotMatchAcrossSegmentBoundary() {
    Policy p =
        Policy.builder()
            .expose(B, "spiffe://a.example/ns/pay/*")
            .allow("all", "spiffe://b.example/*", "spiffe://a.example/*")
            .build();
    assertAllowedBy("all", p.decide(PAY_API, WEB_FE));
    assertDenied(
        "local identity is not exposed to the peer trust domain", p.decide(PAYMENTS_API, WEB_FE));
  }

  @Test
  void decide_trustDomainWidePrefix_matchesEveryIdOfThatTrustDomainOnly() {
    Policy p =
        Policy.builder()
            .expose(B, "spiffe://a.example/*")
            .expose(C, "spiffe://a.example/*")
            .allow("all-of-b", "spiffe://b.example/*", "spiffe://a.example/*")
            .build();
    assertAllowedBy("all-of-b", p.decide(PAY_API, WEB_FE));
    assertAllowedBy("all-of-b", p.decide(PAYMENTS_API, id("spiffe://b.example/x")));
    assertDenied("no allow rule matches", p.decide(PAY_API, id("spiffe://c.example/ns/web")));
  }

  @Test
  void decide_exactPeerBeatsPrefixInTheReportedRule() {
    Policy p =
        Policy.builder()
            .expose(B, "spiffe://a.example/*")
            .allow("a-web-ns", "spiffe://b.example/ns/web/*", "spiffe://a.example/ns/pay/sa/api")
            .allow("b-fe-exact", "spiffe://b.example/ns/web/sa/fe", "spiffe://a.example/*")
            .allow("c-whole-td", "spiffe://b.example/*", "spiffe://a.example/ns/pay/sa/api")
            .build();
    assertAllowedBy("b-fe-exact", p.decide(PAY_API, WEB_FE));
    assertAllowedBy("a-web-ns", p.decide(PAY_API, WEB_ADMIN));
    assertAllowedBy("c-whole-td", p.decide(PAY_API, id("spiffe://b.example/ns/db/sa/pg")));
  }

  @Test
  void decide_samePeerPattern_moreSpecificLocalWins() {
    Policy p =
        Policy.builder()
            .expose(B, "spiffe://a.example/*")
            .allow("a-any", "spiffe://b.example/ns/web/*", "spiffe://a.example/*")
            .allow("b-pay", "spiffe://b.example/ns/web/*", "spiffe://a.example/ns/pay/*")
            .allow("c-api", "spiffe://b.example/ns/web/*", "spiffe://a.example/ns/pay/sa/api")
            .build();
    assertAllowedBy("c-api", p.decide(PAY_API, WEB_FE));
    assertAllowedBy("b-pay", p.decide(id("spiffe://a.example/ns/pay/sa/db"), WEB_FE));
    assertAllowedBy("a-any", p.decide(PAYMENTS_API, WEB_FE));
  }

  @Test
  void decide_equallySpecificRules_smallestNameWins_whateverTheOrder() {
    List<AllowRule> rules =
        new ArrayList<>(
            List.of(
                new AllowRule(
                    "zeta",
                    IdPattern.parse("spiffe://b.example/ns/web/*"),
                    IdPattern.parse("spiffe://a.example/ns/pay/*")),
                new AllowRule(
                    "alpha",
                    IdPattern.parse("spiffe://b.example/ns/web/*"),
                    IdPattern.parse("spiffe://a.example/ns/pay/*"))));
    List<Exposure> exposures = List.of(new Exposure(B, IdPattern.parse("spiffe://a.example/*")));
    for (int i = 0; i < 2; i++) {
      Collections.reverse(rules);
      Policy p = new Policy(1, List.of(), exposures, rules);
      assertAllowedBy("alpha", p.decide(PAY_API, WEB_FE));
    }
  }

  @Test
  void decide_otherHostedTrustDomain_isForeignAndCannotBeAllowed() {
    Policy p = Policy.builder().expose(B, "spiffe://a.example/*").build().validate(HOSTED, PEERS);
    assertDenied(
        "local identity is not exposed to the peer trust domain",
        p.decide(PAY_API, id("spiffe://a2.example/ns/pay/sa/api")));
  }

  @Test
  void isExposed_followsExposures() {
    Policy p = Policy.builder().expose(B, "spiffe://a.example/ns/pay/*").build();
    assertTrue(p.isExposed(PAY_API, B));
    assertFalse(p.isExposed(PAY_API, C));
    assertFalse(p.isExposed(PAYMENTS_API, B));
  }

  // ---- grants ----

  @Test
  void grantedTrustDomains_byNamespacePrefix_coversTheNamespaceOnly() {
    Policy p = Policy.builder().grant("spiffe://a.example/ns/pay/*", B).build();
    assertEquals(Set.of(B), p.grantedTrustDomains(PAY_API));
    assertEquals(Set.of(B), p.grantedTrustDomains(id("spiffe://a.example/ns/pay/sa/db")));
    assertEquals(Set.of(), p.grantedTrustDomains(PAYMENTS_API));
  }

  @Test
  void grantedTrustDomains_isTheSortedUnionOfMatchingGrants() {
    Policy p =
        Policy.builder()
            .grant("spiffe://a.example/*", C)
            .grant("spiffe://a.example/ns/pay/sa/api", B)
            .grant("spiffe://a.example/ns/shop/*", B)
            .build();
    assertEquals(List.of(B, C), List.copyOf(p.grantedTrustDomains(PAY_API)));
    assertEquals(List.of(C), List.copyOf(p.grantedTrustDomains(PAYMENTS_API)));
  }

  @Test
  void grant_doesNotAllowCalls() {
    Policy p = Policy.builder().grant("spiffe://a.example/*", B).build();
    assertDenied(
        "local identity is not exposed to the peer trust domain", p.decide(PAY_API, WEB_FE));
  }

  // ---- compiled per-identity policy ----

  @Test
  void forIdentity_keepsOnlyEntriesThatCanApplyToTheIdentity() {
    Policy p =
        Policy.builder()
            .version(9)
            .grant("spiffe://a.example/ns/pay/*", B)
            .grant("spiffe://a.example/ns/shop/*", C)
            .expose(B, "spiffe://a.example/ns/pay/*")
            .expose(C, "spiffe://a.example/ns/shop/*")
            .allow("web-to-pay", "spiffe://b.example/ns/web/*", "spiffe://a.example/ns/pay/*")
            .allow("c-to-pay-unexposed", "spiffe://c.example/*", "spiffe://a.example/ns/pay/*")
            .allow("web-to-shop", "spiffe://b.example/ns/web/*", "spiffe://a.example/ns/shop/*")
            .build();
    Policy compiled = p.forIdentity(PAY_API);
    assertEquals(
        Policy.builder()
            .version(9)
            .grant("spiffe://a.example/ns/pay/*", B)
            .expose(B, "spiffe://a.example/ns/pay/*")
            .allow("web-to-pay", "spiffe://b.example/ns/web/*", "spiffe://a.example/ns/pay/*")
            .build(),
        compiled);
    assertEquals(p.decide(PAY_API, WEB_FE), compiled.decide(PAY_API, WEB_FE));
    assertEquals(p.grantedTrustDomains(PAY_API), compiled.grantedTrustDomains(PAY_API));
  }

  @Test
  void forIdentity_ofUnknownIdentity_isEmptyButKeepsVersion() {
    Policy p = Policy.builder().version(4).grant("spiffe://a.example/ns/pay/*", B).build();
    assertEquals(Policy.empty(4), p.forIdentity(id("spiffe://a.example/ns/other")));
  }

  // ---- decision values ----

  @Test
  void decision_inconsistentParts_areRefused() {
    AllowRule rule =
        new AllowRule(
            "r", IdPattern.parse("spiffe://b.example/*"), IdPattern.parse("spiffe://a.example/*"));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Decision(Verdict.DENY, Optional.of(rule), Decision.NO_RULE));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Decision(Verdict.ALLOW, Optional.empty(), Decision.ALLOWED_BY_RULE));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Decision(Verdict.ALLOW, Optional.empty(), "because"));
  }
}
