package dev.trustbridge.spiffe.svid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.cert.X509Certificate;
import java.util.HexFormat;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.junit.jupiter.api.Test;

/** The issuer facts an {@link IssuingCa} keeps: equal to reading the certificate each time. */
class IssuerFactsTest {
  private static final TestPki PKI = TestPki.create(TestPki.EXAMPLE, TestPki.nowClock());

  @Test
  void facts_ofAnIssuingCa_matchItsCertificate_andAreKept() throws Exception {
    IssuingCa ca = PKI.issuingIntermediate();
    X509Certificate cert = ca.certificate();
    IssuerFacts facts = ca.facts();
    assertSame(facts, ca.facts());
    assertEquals(TestPki.EXAMPLE.id(), facts.spiffeId());
    assertEquals(cert.getNotBefore().toInstant(), facts.notBefore());
    assertEquals(cert.getNotAfter().toInstant(), facts.notAfter());
    assertEquals(cert.getPublicKey(), facts.publicKey());
    assertArrayEquals(
        X500Name.getInstance(cert.getSubjectX500Principal().getEncoded())
            .getEncoded(ASN1Encoding.DER),
        facts.subjectDer());
    assertSame(facts.subjectDer(), facts.subjectDer());
    byte[] ski = CertificateFields.subjectKeyIdentifier(cert).orElseThrow();
    assertArrayEquals(ski, facts.subjectKeyIdentifier().orElseThrow());
    Extension aki = Extension.getInstance(facts.authorityKeyIdentifierExtension());
    assertEquals(Extension.authorityKeyIdentifier, aki.getExtnId());
    assertFalse(aki.isCritical());
    assertArrayEquals(
        ski, AuthorityKeyIdentifier.getInstance(aki.getParsedValue()).getKeyIdentifierOctets());
    assertSame(facts.authorityKeyIdentifierExtension(), facts.authorityKeyIdentifierExtension());
  }

  @Test
  void isSubject_sameNameInAnotherEncoding_isStillTheSubject() {
    IssuerFacts facts = PKI.issuingIntermediate().facts();
    X500Principal subject = PKI.intermediate().getSubjectX500Principal();
    assertTrue(facts.isSubject(subject));
    // X500Principal equality ignores case in attribute values: no byte equality needed.
    X500Principal upper = new X500Principal(subject.getName().toUpperCase(java.util.Locale.ROOT));
    assertEquals(subject, upper);
    assertTrue(facts.isSubject(upper));
    assertFalse(facts.isSubject(new X500Principal("CN=somebody else")));
  }

  @Test
  void facts_issuerWithoutSki_akiIsTheSha1OfItsKey() throws Exception {
    CraftedCert c =
        CraftedCert.ca("spiffe://example.org", PKI.root(), PKI.rootKey(), PKI.clock().instant());
    c.subjectKeyIdentifier = false;
    IssuerFacts facts = IssuerFacts.of(c.build());
    assertTrue(facts.subjectKeyIdentifier().isEmpty());
    Extension aki = Extension.getInstance(facts.authorityKeyIdentifierExtension());
    assertArrayEquals(
        new JcaX509ExtensionUtils().createSubjectKeyIdentifier(c.publicKey).getKeyIdentifier(),
        AuthorityKeyIdentifier.getInstance(aki.getParsedValue()).getKeyIdentifierOctets());
  }

  @Test
  void facts_malformedSki_failEveryTimeTheyAreRead() {
    CraftedCert c =
        CraftedCert.ca("spiffe://example.org", PKI.root(), PKI.rootKey(), PKI.clock().instant());
    c.subjectKeyIdentifier = false;
    c.rawExtensions.add(
        new Extension(Extension.subjectKeyIdentifier, false, HexFormat.of().parseHex("3000")));
    IssuerFacts facts = IssuerFacts.of(c.build());
    assertThrows(IllegalArgumentException.class, facts::subjectKeyIdentifier);
    assertThrows(IllegalArgumentException.class, facts::subjectKeyIdentifier);
    assertThrows(IllegalArgumentException.class, facts::authorityKeyIdentifierExtension);
    // Other facts do not depend on it.
    assertEquals(TestPki.EXAMPLE.id(), facts.spiffeId());
  }

  @Test
  void spiffeId_ofACertificateWithoutOne_failsLikeTheChecker() {
    CraftedCert c =
        CraftedCert.ca("spiffe://example.org", PKI.root(), PKI.rootKey(), PKI.clock().instant());
    c.sans.clear();
    IssuerFacts facts = IssuerFacts.of(c.build());
    SvidProfileException e = assertThrows(SvidProfileException.class, facts::spiffeId);
    assertEquals(X509SvidProfileChecker.URI_SAN_COUNT, e.getMessage());
  }
}
