package dev.trustbridge.spiffe.policy;

import static dev.trustbridge.spiffe.policy.TestPolicies.A;
import static dev.trustbridge.spiffe.policy.TestPolicies.A2;
import static dev.trustbridge.spiffe.policy.TestPolicies.B;
import static dev.trustbridge.spiffe.policy.TestPolicies.C;
import static dev.trustbridge.spiffe.policy.TestPolicies.HOSTED;
import static dev.trustbridge.spiffe.policy.TestPolicies.PEERS;
import static dev.trustbridge.spiffe.policy.TestPolicies.UNKNOWN;
import static dev.trustbridge.spiffe.policy.TestPolicies.assertRefused;
import static dev.trustbridge.spiffe.policy.TestPolicies.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every refusal of the model and of {@link Policy#validate}, with its exact message. */
class PolicyValidationTest {

  private static Policy.Builder valid() {
    return Policy.builder()
        .version(3)
        .grant("spiffe://a.example/ns/pay/*", B, C)
        .expose(B, "spiffe://a.example/ns/pay/*")
        .allow("web-to-pay", "spiffe://b.example/ns/web/*", "spiffe://a.example/ns/pay/sa/api");
  }

  @Test
  void validate_validPolicy_returnsItself() {
    Policy p = valid().build();
    assertSame(p, p.validate(HOSTED, PEERS));
  }

  @Test
  void validate_emptyPolicy_isValid() {
    Policy p = Policy.empty(0);
    assertSame(p, p.validate(Set.of(), Set.of()));
  }

  @Test
  void validate_trustDomainBothHostedAndPeer_isRefused() {
    assertRefused(
        "trust domain a.example cannot be both hosted and a federated peer",
        () -> valid().build().validate(HOSTED, Set.of(A, B, C)));
  }

  // ---- grants ----

  @Test
  void grant_localPatternNotHosted_isRefused() {
    Policy p = valid().grant("spiffe://b.example/ns/web/*", C).build();
    assertRefused(
        "grants[1]: local pattern spiffe://b.example/ns/web/* is not in a trust domain hosted here",
        () -> p.validate(HOSTED, PEERS));
  }

  @Test
  void grant_peerHosted_isRefused() {
    Policy p = valid().grant("spiffe://a.example/ns/pay/*", B, A2).build();
    assertRefused(
        "grants[1]: peer trust domain a2.example is hosted here; a peer must be a foreign trust"
            + " domain",
        () -> p.validate(HOSTED, PEERS));
  }

  @Test
  void grant_peerUnknown_isRefused() {
    Policy p = valid().grant("spiffe://a.example/ns/pay/*", UNKNOWN).build();
    assertRefused(
        "grants[1]: peer trust domain z.example is not a known federated peer",
        () -> p.validate(HOSTED, PEERS));
  }

  @Test
  void grant_noPeers_isRefused() {
    assertRefused(
        "a grant must list at least one peer trust domain",
        () -> new Grant(pattern("spiffe://a.example/*"), Set.of()));
  }

  @Test
  void grant_peersAreHeldSortedAndUnmodifiable() {
    Grant g = Grant.of(pattern("spiffe://a.example/*"), C, B);
    assertEquals(List.of(B, C), List.copyOf(g.peers()));
    assertThrows(UnsupportedOperationException.class, () -> g.peers().add(UNKNOWN));
  }

  // ---- exposures ----

  @Test
  void exposure_peerHosted_isRefused() {
    Policy p = valid().expose(A2, "spiffe://a.example/ns/pay/*").build();
    assertRefused(
        "exposures[1]: peer trust domain a2.example is hosted here; a peer must be a foreign trust"
            + " domain",
        () -> p.validate(HOSTED, PEERS));
  }

  @Test
  void exposure_peerUnknown_isRefused() {
    Policy p = valid().expose(UNKNOWN, "spiffe://a.example/ns/pay/*").build();
    assertRefused(
        "exposures[1]: peer trust domain z.example is not a known federated peer",
        () -> p.validate(HOSTED, PEERS));
  }

  @Test
  void exposure_localPatternNotHosted_isRefused() {
    Policy p = valid().expose(B, "spiffe://c.example/ns/x").build();
    assertRefused(
        "exposures[1]: local pattern spiffe://c.example/ns/x is not in a trust domain hosted here",
        () -> p.validate(HOSTED, PEERS));
  }

  // ---- allow rules ----

  @Test
  void allowRule_peerPatternInHostedTrustDomain_isRefused() {
    Policy p =
        valid()
            .allow("internal", "spiffe://a2.example/ns/x/*", "spiffe://a.example/ns/pay/*")
            .build();
    assertRefused(
        "allow_rules[1] \"internal\": peer trust domain a2.example is hosted here; a peer must be a"
            + " foreign trust domain",
        () -> p.validate(HOSTED, PEERS));
  }

  @Test
  void allowRule_peerPatternInSameTrustDomainAsLocal_isRefused() {
    Policy p =
        valid().allow("self", "spiffe://a.example/ns/x/*", "spiffe://a.example/ns/pay/*").build();
    assertRefused(
        "allow_rules[1] \"self\": peer trust domain a.example is hosted here; a peer must be a"
            + " foreign trust domain",
        () -> p.validate(HOSTED, PEERS));
  }

  @Test
  void allowRule_peerPatternInUnknownTrustDomain_isRefused() {
    Policy p =
        valid().allow("stranger", "spiffe://z.example/*", "spiffe://a.example/ns/pay/*").build();
    assertRefused(
        "allow_rules[1] \"stranger\": peer trust domain z.example is not a known federated peer",
        () -> p.validate(HOSTED, PEERS));
  }

  @Test
  void allowRule_localPatternNotHosted_isRefused() {
    Policy p =
        valid().allow("sideways", "spiffe://b.example/ns/web/*", "spiffe://c.example/ns/x").build();
    assertRefused(
        "allow_rules[1] \"sideways\": local pattern spiffe://c.example/ns/x is not in a trust"
            + " domain hosted here",
        () -> p.validate(HOSTED, PEERS));
  }

  @Test
  void allowRule_duplicateName_isRefusedAtTheSecondRule() {
    assertRefused(
        "allow_rules[1] \"web-to-pay\": rule name is already used by an earlier rule",
        () -> valid().allow("web-to-pay", "spiffe://c.example/*", "spiffe://a.example/*").build());
  }

  @Test
  void allowRule_invalidName_isRefused() {
    String message =
        "rule name must be 1 to 128 characters of ASCII letters, digits, '.', '-' and '_'";
    IdPattern peer = pattern("spiffe://b.example/*");
    IdPattern local = pattern("spiffe://a.example/*");
    for (String name : List.of("", "a b", "r\"1", "ünï", "a/b", "x".repeat(129))) {
      assertRefused(message, () -> new AllowRule(name, peer, local));
    }
    new AllowRule("x".repeat(128), peer, local);
    new AllowRule("Az09.-_", peer, local);
  }

  @Test
  void policy_negativeVersion_isRefused() {
    assertRefused(
        "version: policy version must not be negative", () -> Policy.builder().version(-1).build());
  }

  @Test
  void validate_reportsTheFirstBrokenRuleInDocumentOrder() {
    Policy p =
        Policy.builder()
            .allow("late", "spiffe://z.example/*", "spiffe://a.example/*")
            .expose(UNKNOWN, "spiffe://a.example/*")
            .build();
    assertRefused(
        "exposures[0]: peer trust domain z.example is not a known federated peer",
        () -> p.validate(HOSTED, PEERS));
  }

  @Test
  void policyException_carriesLocationAndDetailSeparately() {
    Policy p = valid().grant("spiffe://a.example/*", TrustDomain.parse("z.example")).build();
    PolicyException e = assertThrows(PolicyException.class, () -> p.validate(HOSTED, PEERS));
    assertEquals("grants[1]", e.location());
    assertEquals("peer trust domain z.example is not a known federated peer", e.detail());
  }
}
