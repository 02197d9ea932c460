package dev.trustbridge.spiffe.svid;

import static dev.trustbridge.spiffe.svid.CraftedCert.uri;
import static dev.trustbridge.spiffe.svid.X509SvidVerifier.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.KeyType;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The consumer face: X509-SVID section 5 leaf rules, then PKIX against the leaf's own bundle. */
class X509SvidVerifierTest {
  private static final TestPki PKI = TestPki.create(TestPki.EXAMPLE, TestPki.nowClock());
  private static final TestPki OTHER_PKI = TestPki.create(TestPki.OTHER, PKI.clock());
  private static final TestPki ROGUE_PKI =
      TestPki.create(
          TestPki.EXAMPLE, PKI.clock(), 20, KeyType.EC_P256, KeyType.EC_P256, KeyType.EC_P256);
  private static final Instant NOW = PKI.clock().instant();
  private static final String LEAF_ID = "spiffe://example.org/ns/default/sa/web";

  private static final X509AuthoritySource BUNDLES =
      sourceOf(
          Map.of(
              TestPki.EXAMPLE, List.of(PKI.root()),
              TestPki.OTHER, List.of(OTHER_PKI.root())));

  private static X509AuthoritySource sourceOf(Map<TrustDomain, List<X509Certificate>> bundles) {
    return td -> Optional.<Collection<X509Certificate>>ofNullable(bundles.get(td));
  }

  private static X509SvidVerifier verifier() {
    return new X509SvidVerifier(BUNDLES, PKI.clock());
  }

  private static CraftedCert goodLeaf() {
    return CraftedCert.leaf(LEAF_ID, PKI.intermediate(), PKI.intermediateKey(), NOW);
  }

  private static void assertRejected(
      X509SvidVerifier verifier, List<X509Certificate> chain, String message) {
    SvidVerificationException e =
        assertThrows(SvidVerificationException.class, () -> verifier.verify(chain));
    assertEquals(message, e.getMessage());
    assertEquals(ErrorCode.UNAUTHENTICATED, e.code());
  }

  @Test
  void verify_builtChain_returnsSpiffeIdChainAndAnchor() {
    VerifiedX509Svid svid = verifier().verify(PKI.chain());
    assertEquals(SpiffeId.parse(LEAF_ID), svid.spiffeId());
    assertEquals(PKI.chain(), svid.chain());
    assertEquals(PKI.leaf(), svid.leaf());
    assertEquals(PKI.root(), svid.trustAnchor());
  }

  @Test
  void verify_chainEndingWithTheTrustAnchor_isAccepted() {
    VerifiedX509Svid svid = verifier().verify(List.of(PKI.leaf(), PKI.intermediate(), PKI.root()));
    assertEquals(PKI.chain(), svid.chain());
  }

  @Test
  void verify_otherTrustDomainWithItsOwnBundle_isAccepted() {
    assertEquals(
        SpiffeId.parse("spiffe://other.org/ns/default/sa/web"),
        verifier().verify(OTHER_PKI.chain()).spiffeId());
  }

  @Test
  void verify_leafWithoutBasicConstraints_isAccepted() {
    // A8: RFC 5280 treats an absent basicConstraints extension as "not a CA".
    CraftedCert c = goodLeaf();
    c.basicConstraints = null;
    verifier().verify(List.of(c.build(), PKI.intermediate()));
  }

  @Test
  void verify_producerOnlyRulesBroken_isAccepted() {
    // A10: KU absent or non-critical, no digitalSignature and EKU with one purpose are issuer
    // mistakes; X509-SVID section 5 does not ask validators to reject them, and peers built by
    // other CAs may have them.
    CraftedCert noKu = goodLeaf();
    noKu.keyUsage = null;
    CraftedCert oneEku = goodLeaf();
    oneEku.extendedKeyUsage = new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth};
    CraftedCert nonCriticalKu = goodLeaf();
    nonCriticalKu.keyUsageCritical = false;
    CraftedCert noDigitalSignature = goodLeaf();
    noDigitalSignature.keyUsage = KeyUsage.keyEncipherment;
    for (CraftedCert c : List.of(noKu, oneEku, nonCriticalKu, noDigitalSignature)) {
      verifier().verify(List.of(c.build(), PKI.intermediate()));
    }
  }

  static Stream<Arguments> brokenLeaves() {
    return Stream.of(
        arguments(
            "twoUriSans",
            (Consumer<CraftedCert>) c -> c.sans.add(uri("spiffe://example.org/other")),
            URI_SAN_COUNT),
        arguments(
            "spiffeAndHttpsUriSans",
            (Consumer<CraftedCert>) c -> c.sans.add(uri("https://example.org/")),
            URI_SAN_COUNT),
        arguments("noSan", (Consumer<CraftedCert>) c -> c.sans.clear(), URI_SAN_COUNT),
        arguments(
            "nonSpiffeUri",
            (Consumer<CraftedCert>) c -> c.sans.set(0, uri("https://example.org/web")),
            URI_SAN_NOT_SPIFFE),
        arguments(
            "uppercaseTrustDomain",
            (Consumer<CraftedCert>) c -> c.sans.set(0, uri("spiffe://Example.org/web")),
            URI_SAN_INVALID),
        arguments(
            "percentEncodedPath",
            (Consumer<CraftedCert>) c -> c.sans.set(0, uri("spiffe://example.org/w%65b")),
            URI_SAN_INVALID),
        arguments(
            "rootPath",
            (Consumer<CraftedCert>) c -> c.sans.set(0, uri("spiffe://example.org")),
            LEAF_ROOT_PATH),
        arguments(
            "emptySubjectSanNotCritical",
            (Consumer<CraftedCert>) c -> c.sanCritical = false,
            EMPTY_SUBJECT_SAN_NOT_CRITICAL),
        arguments(
            "caTrue",
            (Consumer<CraftedCert>) c -> c.basicConstraints = new BasicConstraints(true),
            LEAF_IS_CA),
        arguments(
            "keyCertSign",
            (Consumer<CraftedCert>)
                c -> c.keyUsage = KeyUsage.digitalSignature | KeyUsage.keyCertSign,
            LEAF_KEY_CERT_SIGN),
        arguments(
            "cRLSign",
            (Consumer<CraftedCert>) c -> c.keyUsage = KeyUsage.digitalSignature | KeyUsage.cRLSign,
            LEAF_CRL_SIGN),
        arguments(
            "expired", (Consumer<CraftedCert>) c -> c.notAfter = NOW.minusSeconds(1), EXPIRED),
        arguments(
            "notYetValid",
            (Consumer<CraftedCert>)
                c -> {
                  c.notBefore = NOW.plus(Duration.ofMinutes(5));
                  c.notAfter = NOW.plus(Duration.ofHours(2));
                },
            NOT_YET_VALID),
        arguments(
            "signedByAnUntrustedKeyUnderTheIntermediatesName",
            (Consumer<CraftedCert>)
                c -> {
                  c.signingKey = ROGUE_PKI.intermediateKey().pair().getPrivate();
                  c.signingKeyType = ROGUE_PKI.intermediateKey().keyType();
                },
            SIGNATURE_INVALID));
  }

  @ParameterizedTest(name = "verify_{0}_isRejected")
  @MethodSource("brokenLeaves")
  void verify_brokenLeafRule_isRejectedWithItsMessage(
      String name, Consumer<CraftedCert> breakIt, String message) {
    CraftedCert c = goodLeaf();
    breakIt.accept(c);
    assertRejected(verifier(), List.of(c.build(), PKI.intermediate()), message);
  }

  @Test
  void verify_emptyChain_isRejected() {
    assertRejected(verifier(), List.of(), CHAIN_EMPTY);
  }

  @Test
  void verify_chainToACaOfAnotherTrustDomainsBundle_isRejected() {
    // The leaf claims example.org but chains to other.org's CA: only example.org's bundle counts.
    CraftedCert c =
        CraftedCert.leaf(LEAF_ID, OTHER_PKI.intermediate(), OTHER_PKI.intermediateKey(), NOW);
    assertRejected(verifier(), List.of(c.build(), OTHER_PKI.intermediate()), UNTRUSTED);
  }

  @Test
  void verify_foreignIdSignedByOurCa_isRejected() {
    // other.org's bundle decides for an other.org ID, even though our own CA signed it.
    CraftedCert c =
        CraftedCert.leaf("spiffe://other.org/web", PKI.intermediate(), PKI.intermediateKey(), NOW);
    assertRejected(verifier(), List.of(c.build(), PKI.intermediate()), UNTRUSTED);
  }

  @Test
  void verify_chainOfARogueCaOfTheSameTrustDomainName_isRejected() {
    assertRejected(verifier(), ROGUE_PKI.chain(), UNTRUSTED);
  }

  @Test
  void verify_leafOnlyWithoutItsIntermediate_isRejected() {
    assertRejected(verifier(), List.of(PKI.leaf()), UNTRUSTED);
  }

  @Test
  void verify_missingBundleForTheLeafsTrustDomain_isRejected() {
    X509SvidVerifier verifier =
        new X509SvidVerifier(
            sourceOf(Map.of(TestPki.OTHER, List.of(OTHER_PKI.root()))), PKI.clock());
    assertRejected(verifier, PKI.chain(), NO_AUTHORITIES);
  }

  @Test
  void verify_emptyBundle_isRejected() {
    X509SvidVerifier verifier =
        new X509SvidVerifier(sourceOf(Map.of(TestPki.EXAMPLE, List.of())), PKI.clock());
    assertRejected(verifier, PKI.chain(), EMPTY_AUTHORITIES);
  }

  @Test
  void verify_nonCaIntermediate_isRejected() {
    assertRejected(verifier(), List.of(PKI.leaf(), OTHER_PKI.leaf()), INTERMEDIATE_NOT_CA);
  }

  @Test
  void verify_clockAfterLeafExpiry_isRejected() {
    Clock later = Clock.fixed(PKI.leaf().getNotAfter().toInstant().plusSeconds(1), ZoneOffset.UTC);
    assertRejected(new X509SvidVerifier(BUNDLES, later), PKI.chain(), EXPIRED);
  }

  @Test
  void verify_clockBeforeLeafNotBefore_isRejected() {
    Clock earlier =
        Clock.fixed(PKI.leaf().getNotBefore().toInstant().minusSeconds(1), ZoneOffset.UTC);
    assertRejected(new X509SvidVerifier(BUNDLES, earlier), PKI.chain(), NOT_YET_VALID);
  }

  @Test
  void verify_rootOfTheOtherTrustDomainInTheBundle_isNotPooled() {
    // Both roots known, but each only under its own trust domain: no pooling (Federation 7.3).
    X509SvidVerifier verifier =
        new X509SvidVerifier(
            sourceOf(Map.of(TestPki.EXAMPLE, List.of(OTHER_PKI.root()))), PKI.clock());
    assertRejected(verifier, PKI.chain(), UNTRUSTED);
  }

  @Test
  void ruleMessages_areDistinct() throws IllegalAccessException {
    List<Object> messages = new java.util.ArrayList<>();
    for (java.lang.reflect.Field f : X509SvidVerifier.class.getFields()) {
      messages.add(f.get(null));
    }
    assertEquals(messages.size(), messages.stream().distinct().count());
  }
}
