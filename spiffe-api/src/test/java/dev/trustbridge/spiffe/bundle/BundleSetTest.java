package dev.trustbridge.spiffe.bundle;

import static dev.trustbridge.spiffe.bundle.TestAuthorities.ca;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.bundle.TestAuthorities.Kind;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** One bundle per trust domain, never merged. */
class BundleSetTest {
  static final TrustDomain A = TrustDomain.parse("a.example");
  static final TrustDomain B = TrustDomain.parse("b.example");

  @Test
  void get_returnsOnlyTheBundleOfThatTrustDomain() {
    SpiffeBundle a = SpiffeBundle.builder(A).addX509Authority(ca(Kind.EC_P256).cert()).build();
    SpiffeBundle b = SpiffeBundle.builder(B).addX509Authority(ca(Kind.RSA_2048).cert()).build();
    BundleSet set = BundleSet.of(a, b);
    assertEquals(Optional.of(a), set.get(A));
    assertEquals(Optional.of(b), set.get(B));
    assertEquals(Optional.empty(), set.get(TrustDomain.parse("c.example")));
    assertTrue(set.contains(A));
    assertEquals(2, set.size());
  }

  @Test
  void of_twoBundlesOfOneTrustDomain_isRejected() {
    InvalidBundleException e =
        assertThrows(
            InvalidBundleException.class,
            () -> BundleSet.of(SpiffeBundle.empty(A), SpiffeBundle.empty(A)));
    assertEquals(InvalidBundleException.DUPLICATE_TRUST_DOMAIN, e.getMessage());
  }

  @Test
  void with_replacesTheBundleOfItsTrustDomainWithoutMerging() {
    SpiffeBundle old = SpiffeBundle.builder(A).addX509Authority(ca(Kind.EC_P256).cert()).build();
    SpiffeBundle fresh = SpiffeBundle.builder(A).addX509Authority(ca(Kind.ED25519).cert()).build();
    BundleSet set = BundleSet.of(old).with(fresh);
    assertEquals(List.of(ca(Kind.ED25519).cert()), set.get(A).orElseThrow().x509Authorities());
    assertEquals(1, set.size());
  }

  @Test
  void without_dropsTheTrustDomain() {
    BundleSet set = BundleSet.of(SpiffeBundle.empty(A), SpiffeBundle.empty(B)).without(A);
    assertFalse(set.contains(A));
    assertTrue(set.contains(B));
  }

  @Test
  void isImmutable() {
    BundleSet set = BundleSet.of(SpiffeBundle.empty(A));
    set.with(SpiffeBundle.empty(B));
    assertEquals(1, set.size());
    assertThrows(UnsupportedOperationException.class, () -> set.asMap().clear());
    assertEquals(BundleSet.empty(), BundleSet.of(List.of()));
  }
}
