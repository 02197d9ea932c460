package dev.trustbridge.spiffe.bundle;

import static dev.trustbridge.spiffe.bundle.TestAuthorities.ca;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.bundle.TestAuthorities.Kind;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The invariants of the bundle value and its builder. */
class SpiffeBundleTest {
  static final TrustDomain TD = TrustDomain.parse("example.org");

  static void assertInvalid(String message, Executable e) {
    assertEquals(message, assertThrows(InvalidBundleException.class, e).getMessage());
  }

  @Test
  void empty_isEffectivelyEmpty() {
    SpiffeBundle b = SpiffeBundle.empty(TD);
    assertTrue(b.isEffectivelyEmpty());
    assertEquals(Optional.empty(), b.sequence());
    assertEquals(Optional.empty(), b.refreshHint());
  }

  @Test
  void withOnlyJwtKey_isNotEffectivelyEmpty() {
    PublicKey k = TestAuthorities.keyPair(Kind.EC_P256).getPublic();
    assertFalse(SpiffeBundle.builder(TD).addJwtAuthority("k", k).build().isEffectivelyEmpty());
  }

  @Test
  void addX509Authority_leaf_isRejected() {
    assertInvalid(
        InvalidBundleException.AUTHORITY_NOT_CA,
        () -> SpiffeBundle.builder(TD).addX509Authority(TestAuthorities.leaf().cert()));
  }

  @Test
  void addX509Authority_caWithoutKeyCertSign_isRejected() {
    assertInvalid(
        InvalidBundleException.AUTHORITY_NOT_CA,
        () ->
            SpiffeBundle.builder(TD)
                .addX509Authority(TestAuthorities.caWithoutKeyCertSign().cert()));
  }

  @Test
  void addX509Authority_rsa1024_isRejected() {
    assertInvalid(
        InvalidBundleException.AUTHORITY_KEY_UNSUPPORTED,
        () -> SpiffeBundle.builder(TD).addX509Authority(ca(Kind.RSA_1024).cert()));
  }

  @Test
  void addX509Authority_sameDerTwice_isKeptOnceInInsertionOrder() {
    X509Certificate a = ca(Kind.EC_P256).cert();
    X509Certificate b = ca(Kind.RSA_2048).cert();
    SpiffeBundle bundle =
        SpiffeBundle.builder(TD)
            .addX509Authority(b)
            .addX509Authority(a)
            .addX509Authority(b)
            .build();
    assertEquals(List.of(b, a), bundle.x509Authorities());
  }

  @Test
  void removeX509Authority_revokesByOmission() {
    X509Certificate a = ca(Kind.EC_P256).cert();
    SpiffeBundle bundle = SpiffeBundle.builder(TD).addX509Authority(a).build();
    assertTrue(bundle.toBuilder().removeX509Authority(a).build().isEffectivelyEmpty());
  }

  @Test
  void addJwtAuthority_invalidKid_isRejected() {
    PublicKey k = TestAuthorities.keyPair(Kind.EC_P256).getPublic();
    assertInvalid(
        InvalidBundleException.KID_INVALID, () -> SpiffeBundle.builder(TD).addJwtAuthority("", k));
    assertInvalid(
        InvalidBundleException.KID_INVALID,
        () -> SpiffeBundle.builder(TD).addJwtAuthority("a\uD800", k));
    assertInvalid(
        InvalidBundleException.KID_INVALID,
        () -> SpiffeBundle.builder(TD).addJwtAuthority("\uDC00a", k));
  }

  @Test
  void addJwtAuthority_ed25519OrWeakRsa_isRejected() {
    assertInvalid(
        InvalidBundleException.JWT_KEY_UNSUPPORTED,
        () ->
            SpiffeBundle.builder(TD)
                .addJwtAuthority("k", TestAuthorities.keyPair(Kind.ED25519).getPublic()));
    assertInvalid(
        InvalidBundleException.JWT_KEY_UNSUPPORTED,
        () ->
            SpiffeBundle.builder(TD)
                .addJwtAuthority("k", TestAuthorities.keyPair(Kind.RSA_1024).getPublic()));
  }

  @Test
  void addJwtAuthority_duplicateKid_isRejected() {
    PublicKey k = TestAuthorities.keyPair(Kind.EC_P256).getPublic();
    assertInvalid(
        InvalidBundleException.DUPLICATE_KID,
        () -> SpiffeBundle.builder(TD).addJwtAuthority("k", k).addJwtAuthority("k", k));
  }

  @Test
  void sequence_outOfRange_isRejected() {
    assertInvalid(
        InvalidBundleException.SEQUENCE_NEGATIVE,
        () -> SpiffeBundle.builder(TD).sequence(BigInteger.valueOf(-1)));
    assertInvalid(
        InvalidBundleException.SEQUENCE_TOO_LARGE,
        () -> SpiffeBundle.builder(TD).sequence(BigInteger.TWO.pow(64)));
    assertEquals(
        Optional.of(SpiffeBundle.MAX_SEQUENCE),
        SpiffeBundle.builder(TD).sequence(SpiffeBundle.MAX_SEQUENCE).build().sequence());
  }

  @Test
  void refreshHint_notPositiveWholeSeconds_isRejected() {
    for (Duration d : List.of(Duration.ZERO, Duration.ofSeconds(-1), Duration.ofMillis(1500))) {
      assertInvalid(
          InvalidBundleException.REFRESH_HINT_INVALID,
          () -> SpiffeBundle.builder(TD).refreshHint(d));
    }
  }

  @Test
  void withers_changeOnlyTheirField() {
    SpiffeBundle b = SpiffeBundle.builder(TD).addX509Authority(ca(Kind.EC_P256).cert()).build();
    SpiffeBundle s = b.withSequence(BigInteger.TWO).withRefreshHint(Duration.ofSeconds(30));
    assertEquals(Optional.of(BigInteger.TWO), s.sequence());
    assertEquals(Optional.of(Duration.ofSeconds(30)), s.refreshHint());
    assertEquals(b.x509Authorities(), s.x509Authorities());
    assertEquals(b, s.withoutSequence().withoutRefreshHint());
  }

  @Test
  void equals_comparesDerAndKeyValuesNotObjectsOrOrder() {
    X509Certificate a = ca(Kind.EC_P256).cert();
    X509Certificate c = ca(Kind.ED25519).cert();
    PublicKey k = TestAuthorities.keyPair(Kind.EC_P256).getPublic();
    SpiffeBundle one =
        SpiffeBundle.builder(TD)
            .addX509Authority(a)
            .addX509Authority(c)
            .addJwtAuthority("k", k)
            .build();
    // Same certificates re-parsed from DER, keys rebuilt by another provider, other order.
    SpiffeBundle two =
        SpiffeBundle.builder(TD)
            .addX509Authority(X509Authorities.fromDer(X509Authorities.der(c)).orElseThrow())
            .addX509Authority(X509Authorities.fromDer(X509Authorities.der(a)).orElseThrow())
            .addJwtAuthority("k", JwkKey.of(k).orElseThrow().toPublicKey())
            .build();
    assertEquals(one, two);
    assertEquals(one.hashCode(), two.hashCode());
    assertNotEquals(one, one.withSequence(BigInteger.ONE));
    assertNotEquals(one, one.withRefreshHint(Duration.ofSeconds(1)));
    assertNotEquals(one, one.toBuilder().removeJwtAuthority("k").build());
    assertNotEquals(one, one.toBuilder().removeX509Authority(a).build());
    assertNotEquals(
        one,
        SpiffeBundle.builder(TrustDomain.parse("other.org"))
            .addX509Authority(a)
            .addX509Authority(c)
            .addJwtAuthority("k", k)
            .build());
  }

  @Test
  void toString_showsCountsNotCertificates() {
    SpiffeBundle b =
        SpiffeBundle.builder(TD)
            .addX509Authority(ca(Kind.EC_P256).cert())
            .addJwtAuthority("k1", TestAuthorities.keyPair(Kind.EC_P256).getPublic())
            .sequence(BigInteger.valueOf(3))
            .build();
    assertEquals(
        "SpiffeBundle[trustDomain=example.org, x509Authorities=1, jwtAuthorities=[k1],"
            + " sequence=3, refreshHint=none]",
        b.toString());
  }

  @Test
  void accessors_areUnmodifiable() {
    SpiffeBundle b = SpiffeBundle.builder(TD).addX509Authority(ca(Kind.EC_P256).cert()).build();
    assertThrows(UnsupportedOperationException.class, () -> b.x509Authorities().clear());
    assertThrows(UnsupportedOperationException.class, () -> b.jwtAuthorities().clear());
  }

  @Test
  void toJavaSpiffeX509Bundle_holdsTheAuthorities() {
    X509Certificate a = ca(Kind.EC_P256).cert();
    var js = SpiffeBundle.builder(TD).addX509Authority(a).build().toJavaSpiffeX509Bundle();
    assertEquals("example.org", js.getTrustDomain().getName());
    assertTrue(js.hasX509Authority(a));
  }
}
