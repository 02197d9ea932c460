package dev.trustbridge.spiffe.svid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.KeyType;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The root and intermediate CA builder: what it emits, and what it refuses. */
class CaCertificateBuilderTest {
  private static final Instant T0 = Instant.parse("2031-05-04T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);
  private static final TestPki PKI = TestPki.create(TestPki.EXAMPLE, CLOCK);
  private static final TestCaKey KEY = TestCaKey.of(KeyType.EC_P384, 50);

  private static CaCertificateBuilder root() {
    return CaCertificateBuilder.selfSigned(TestPki.EXAMPLE, KEY, CLOCK).ttl(Duration.ofDays(10));
  }

  private static CaCertificateBuilder intermediate() {
    return CaCertificateBuilder.intermediate(
            TestPki.EXAMPLE, KEY.publicKey(), PKI.issuingRoot(), CLOCK)
        .ttl(Duration.ofDays(10));
  }

  private static void assertFailedPrecondition(String message, Executable executable) {
    TrustbridgeException e = assertThrows(TrustbridgeException.class, executable);
    assertEquals(message, e.getMessage());
    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
  }

  private static void assertInvalidArgument(String message, Executable executable) {
    TrustbridgeException e = assertThrows(TrustbridgeException.class, executable);
    assertEquals(message, e.getMessage());
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
  }

  @Test
  void rootBuilder_defaults_emitTheSigningCertificateProfile() throws Exception {
    X509Certificate root = root().build();
    root.verify(root.getPublicKey());
    assertEquals(root.getSubjectX500Principal(), root.getIssuerX500Principal());
    assertEquals(List.of("spiffe://example.org"), CertificateFields.uriSans(root));
    assertEquals(Integer.MAX_VALUE, root.getBasicConstraints());
    assertEquals(Set.of("2.5.29.19", "2.5.29.15"), root.getCriticalExtensionOIDs());
    assertEquals(Set.of("2.5.29.17", "2.5.29.14", "2.5.29.35"), root.getNonCriticalExtensionOIDs());
    assertArrayEquals(
        new boolean[] {false, false, false, false, false, true, true, false, false},
        root.getKeyUsage());
    assertEquals(null, root.getExtendedKeyUsage());
    assertArrayEquals(
        CertificateFields.subjectKeyIdentifier(root).orElseThrow(),
        CertificateFields.authorityKeyIdentifier(root).orElseThrow());
    assertEquals(T0.minusSeconds(30), root.getNotBefore().toInstant());
    assertEquals(T0.plus(Duration.ofDays(10)), root.getNotAfter().toInstant());
  }

  @Test
  void rootBuilder_defaultSubject_namesOrganizationTrustDomainAndSerial() {
    X509Certificate root = root().organization("Acme Mesh").build();
    X500Name subject = X500Name.getInstance(root.getSubjectX500Principal().getEncoded());
    assertEquals("Acme Mesh", subject.getRDNs(BCStyle.O)[0].getFirst().getValue().toString());
    assertEquals("example.org", subject.getRDNs(BCStyle.CN)[0].getFirst().getValue().toString());
    assertEquals(
        root.getSerialNumber().toString(),
        subject.getRDNs(BCStyle.SERIALNUMBER)[0].getFirst().getValue().toString());
  }

  @Test
  void rootBuilder_twoGenerations_haveDistinctSubjects() {
    assertNotEquals(
        root().build().getSubjectX500Principal(), root().build().getSubjectX500Principal());
  }

  @Test
  void rootBuilder_callerSubject_isUsed() {
    X500Principal subject = new X500Principal("CN=Example Root, O=Example");
    assertEquals(subject, root().subject(subject).build().getSubjectX500Principal());
  }

  @Test
  void rootBuilder_emptySubject_isRejected() {
    assertInvalidArgument(
        CaCertificateBuilder.SUBJECT_EMPTY, () -> root().subject(new X500Principal("")));
  }

  @Test
  void rootBuilder_blankOrganization_isRejected() {
    assertInvalidArgument(CaCertificateBuilder.ORGANIZATION_EMPTY, () -> root().organization(" "));
  }

  @Test
  void rootBuilder_pathLength_isEmitted() {
    assertEquals(1, root().pathLength(1).build().getBasicConstraints());
    assertEquals(0, root().pathLength(0).build().getBasicConstraints());
  }

  @Test
  void rootBuilder_negativePathLength_isRejected() {
    assertInvalidArgument(CaCertificateBuilder.PATH_LEN_NEGATIVE, () -> root().pathLength(-1));
  }

  @Test
  void rootBuilder_nameConstraints_areOffByDefault() {
    assertEquals(null, root().build().getExtensionValue("2.5.29.30"));
  }

  @Test
  void rootBuilder_nameConstraints_permitExactlyTheTrustDomainAsACriticalUriSubtree() {
    X509Certificate root = root().uriNameConstraints(true).build();
    assertTrue(root.getCriticalExtensionOIDs().contains("2.5.29.30"));
    NameConstraints constraints = CertificateFields.nameConstraints(root).orElseThrow();
    GeneralSubtree[] permitted = constraints.getPermittedSubtrees();
    assertEquals(1, permitted.length);
    assertEquals(
        new GeneralName(GeneralName.uniformResourceIdentifier, "example.org"),
        permitted[0].getBase());
    assertEquals(null, constraints.getExcludedSubtrees());
  }

  @Test
  void rootBuilder_nameConstraintsForTrustDomainWithUnderscore_isRejected() {
    assertInvalidArgument(
        CaCertificateBuilder.NAME_CONSTRAINTS_UNSUPPORTED,
        () ->
            CaCertificateBuilder.selfSigned(TrustDomain.parse("my_mesh"), KEY, CLOCK)
                .uriNameConstraints(true));
  }

  @Test
  void rootBuilder_everyKeyType_buildsAConformantRoot() {
    for (KeyType type : KeyType.values()) {
      X509Certificate root =
          CaCertificateBuilder.selfSigned(TestPki.EXAMPLE, TestCaKey.of(type, 0), CLOCK)
              .ttl(Duration.ofDays(1))
              .build();
      X509SvidProfileChecker.checkCa(root, root);
    }
  }

  @Test
  void rootBuilder_notAfterBeforeNotBefore_isRejected() {
    assertInvalidArgument(
        CaCertificateBuilder.VALIDITY_EMPTY, () -> root().notAfter(T0.minusSeconds(60)).build());
  }

  @Test
  void rootBuilder_withoutLifetime_isRejected() {
    assertInvalidArgument(
        CaCertificateBuilder.LIFETIME_MISSING,
        () -> CaCertificateBuilder.selfSigned(TestPki.EXAMPLE, KEY, CLOCK).build());
  }

  @Test
  void caBuilder_rsa1024Key_isRejected() {
    assertInvalidArgument(
        CaCertificateBuilder.KEY_TYPE_NOT_ALLOWED,
        () ->
            CaCertificateBuilder.intermediate(
                TestPki.EXAMPLE, TestKeys.rsa(1024).getPublic(), PKI.issuingRoot(), CLOCK));
  }

  @Test
  void intermediateBuilder_defaults_emitTheProfileSignedByTheIssuer() throws Exception {
    X509Certificate intermediate = intermediate().build();
    intermediate.verify(PKI.root().getPublicKey());
    assertEquals(PKI.root().getSubjectX500Principal(), intermediate.getIssuerX500Principal());
    assertArrayEquals(
        CertificateFields.subjectKeyIdentifier(PKI.root()).orElseThrow(),
        CertificateFields.authorityKeyIdentifier(intermediate).orElseThrow());
    assertFalse(intermediate.getKeyUsage()[0]);
    assertTrue(intermediate.getKeyUsage()[5]);
  }

  @Test
  void intermediateBuilder_notAfterBeyondIssuer_isClampedToIssuerNotAfter() {
    X509Certificate intermediate = intermediate().ttl(Duration.ofDays(4000)).build();
    assertEquals(PKI.root().getNotAfter(), intermediate.getNotAfter());
  }

  @Test
  void intermediateBuilder_otherTrustDomain_isRejected() {
    assertInvalidArgument(
        CaCertificateBuilder.OTHER_TRUST_DOMAIN,
        () ->
            CaCertificateBuilder.intermediate(
                TestPki.OTHER, KEY.publicKey(), PKI.issuingRoot(), CLOCK));
  }

  @Test
  void intermediateBuilder_underIssuerWithPathLenZero_isRejected() {
    X509Certificate root = root().pathLength(0).build();
    assertInvalidArgument(
        CaCertificateBuilder.ISSUER_PATH_LEN,
        () ->
            CaCertificateBuilder.intermediate(
                TestPki.EXAMPLE,
                PKI.intermediateKey().publicKey(),
                IssuingCa.of(root, KEY),
                CLOCK));
  }

  @Test
  void intermediateBuilder_pathLenNotBelowIssuers_isRejected() {
    X509Certificate root = root().pathLength(1).build();
    CaCertificateBuilder builder =
        CaCertificateBuilder.intermediate(
            TestPki.EXAMPLE, PKI.intermediateKey().publicKey(), IssuingCa.of(root, KEY), CLOCK);
    assertInvalidArgument(CaCertificateBuilder.ISSUER_PATH_LEN, () -> builder.pathLength(1));
    assertEquals(0, builder.pathLength(0).ttl(Duration.ofDays(1)).build().getBasicConstraints());
  }

  @Test
  void intermediateBuilder_expiredIssuer_isRejected() {
    Clock late = Clock.fixed(PKI.root().getNotAfter().toInstant().plusSeconds(1), ZoneOffset.UTC);
    assertFailedPrecondition(
        CaCertificateBuilder.ISSUER_EXPIRED,
        () ->
            CaCertificateBuilder.intermediate(
                    TestPki.EXAMPLE, KEY.publicKey(), PKI.issuingRoot(), late)
                .ttl(Duration.ofDays(1))
                .build());
  }
}
