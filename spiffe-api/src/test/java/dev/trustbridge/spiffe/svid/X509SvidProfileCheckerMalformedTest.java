package dev.trustbridge.spiffe.svid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the producer check does with malformed or unusual SKI, AKI and SAN extension values, on a
 * Bouncy Castle certificate and on the same bytes parsed by the JDK. The expectations were recorded
 * from the Bouncy Castle-parsing checker, so that a faster parser keeps exactly its outcomes; a
 * value the parser cannot read at all is a rule of its own (malformed SKI or AKI), never an
 * unchecked exception escaping the check.
 */
class X509SvidProfileCheckerMalformedTest {
  private static final TestPki PKI = TestPki.create(TestPki.EXAMPLE, TestPki.nowClock());
  private static final String LEAF_ID = "spiffe://example.org/ns/default/sa/web";
  private static final String OK = "OK";
  private static final String SUN_REJECTS = "the JDK does not parse it";
  private static final String SKI_MALFORMED =
      "SvidProfileException: " + X509SvidProfileChecker.SKI_MALFORMED;
  private static final String AKI_MALFORMED =
      "SvidProfileException: " + X509SvidProfileChecker.AKI_MALFORMED;
  private static final String NOT_OCTETS = SKI_MALFORMED;
  private static final String NOT_SEQUENCE = AKI_MALFORMED;
  private static final String AKI_MISMATCH =
      "SvidProfileException: " + X509SvidProfileChecker.AKI_MISMATCH;
  private static final String SAN_UNPARSEABLE =
      "SvidProfileException: " + X509SvidProfileChecker.SAN_UNPARSEABLE;

  static Stream<Arguments> values() {
    return Stream.of(
        // Subject key identifier: extnValue must be one OCTET STRING, BER accepted.
        arguments("ski", false, "", SKI_MALFORMED, SKI_MALFORMED),
        arguments("ski", false, "00", NOT_OCTETS, NOT_OCTETS),
        arguments("ski", false, "0401", NOT_OCTETS, NOT_OCTETS),
        arguments("ski", false, "04020000ff", NOT_OCTETS, NOT_OCTETS),
        arguments("ski", false, "0400", OK, OK),
        arguments("ski", false, "040100", OK, OK),
        arguments("ski", false, "048101aa", OK, OK),
        arguments("ski", false, "24800401000000", OK, OK),
        arguments("ski", false, "3000", SKI_MALFORMED, null),
        arguments("ski", false, "0500", SKI_MALFORMED, null),
        arguments("ski", true, "0401", NOT_OCTETS, SUN_REJECTS),
        arguments("ski", true, "048101aa", OK, OK),
        // Authority key identifier: a SEQUENCE of [0], [1], [2]; no [0] means no match.
        arguments("aki", false, "", AKI_MALFORMED, AKI_MALFORMED),
        arguments("aki", false, "00", NOT_SEQUENCE, NOT_SEQUENCE),
        arguments("aki", false, "0401", NOT_SEQUENCE, NOT_SEQUENCE),
        arguments("aki", false, "040100", AKI_MALFORMED, null),
        arguments("aki", false, "24800401000000", AKI_MALFORMED, null),
        arguments("aki", false, "0500", AKI_MALFORMED, null),
        arguments("aki", false, "3000", AKI_MISMATCH, AKI_MISMATCH),
        arguments("aki", false, "30028000", AKI_MISMATCH, AKI_MISMATCH),
        arguments("aki", false, "30058003010203", AKI_MISMATCH, AKI_MISMATCH),
        arguments("aki", false, "3005a003040100", AKI_MISMATCH, AKI_MISMATCH),
        arguments("aki", false, "3003850100", AKI_MALFORMED, null),
        arguments("aki", false, "3006860474657374", AKI_MALFORMED, null),
        arguments("aki", false, "300382010a", AKI_MALFORMED, null),
        arguments("aki", false, "3003860474", NOT_SEQUENCE, NOT_SEQUENCE),
        arguments("aki", true, "3003850100", AKI_MALFORMED, SUN_REJECTS),
        // Subject alternative name: the JDK refuses to parse every malformed one.
        arguments("san", false, "", SAN_UNPARSEABLE, SUN_REJECTS),
        arguments("san", false, "0400", SAN_UNPARSEABLE, SUN_REJECTS),
        arguments("san", false, "30028000", SAN_UNPARSEABLE, SUN_REJECTS),
        arguments("san", false, "3003860474", SAN_UNPARSEABLE, SUN_REJECTS),
        arguments(
            "san",
            false,
            "3000",
            "SvidProfileException: " + X509SvidProfileChecker.URI_SAN_COUNT,
            SUN_REJECTS),
        arguments(
            "san",
            true,
            "3006860474657374",
            "SvidProfileException: " + X509SvidProfileChecker.URI_SAN_NOT_SPIFFE,
            SUN_REJECTS),
        arguments(
            "san",
            true,
            "300382010a",
            "SvidProfileException: " + X509SvidProfileChecker.URI_SAN_COUNT,
            "SvidProfileException: " + X509SvidProfileChecker.URI_SAN_COUNT));
  }

  /**
   * {@code sunOutcome} null means "the same as on the Bouncy Castle certificate" for a value the
   * JDK keeps as an unparseable non-critical extension.
   */
  @ParameterizedTest(name = "checkLeaf_{0}Critical{1}_{2}")
  @MethodSource("values")
  void checkLeaf_unusualExtensionValue_hasTheRecordedOutcome(
      String extension, boolean critical, String hex, String bcOutcome, String sunOutcome) {
    CraftedCert c =
        CraftedCert.leaf(LEAF_ID, PKI.intermediate(), PKI.intermediateKey(), PKI.clock().instant());
    ASN1ObjectIdentifier oid;
    switch (extension) {
      case "ski" -> {
        c.subjectKeyIdentifier = false;
        oid = Extension.subjectKeyIdentifier;
      }
      case "aki" -> {
        c.authorityKeyIdentifier = null;
        oid = Extension.authorityKeyIdentifier;
      }
      default -> {
        c.sans.clear();
        oid = Extension.subjectAlternativeName;
      }
    }
    c.rawExtensions.add(new Extension(oid, critical, HexFormat.of().parseHex(hex)));
    X509Certificate bc = c.build();
    assertEquals(bcOutcome, outcome(bc, PKI.intermediate()));
    assertEquals(sunOutcome == null ? bcOutcome : sunOutcome, outcome(sun(bc), PKI.intermediate()));
  }

  @Test
  void checkLeaf_issuerWithMalformedSki_isAnAkiMismatch() {
    CraftedCert issuer =
        CraftedCert.ca("spiffe://example.org", PKI.root(), PKI.rootKey(), PKI.clock().instant());
    issuer.subjectKeyIdentifier = false;
    issuer.rawExtensions.add(
        new Extension(Extension.subjectKeyIdentifier, false, HexFormat.of().parseHex("3000")));
    X509Certificate issuerCert = issuer.build();
    String expected = AKI_MISMATCH;
    assertEquals(expected, outcome(PKI.leaf(), issuerCert));
    assertEquals(expected, outcome(sun(PKI.leaf()), sun(issuerCert)));
  }

  @Test
  void checkLeaf_issuerWithoutSki_isAnAkiMismatch() {
    CraftedCert issuer =
        CraftedCert.ca("spiffe://example.org", PKI.root(), PKI.rootKey(), PKI.clock().instant());
    issuer.subjectKeyIdentifier = false;
    X509Certificate issuerCert = issuer.build();
    SvidProfileException e =
        assertThrows(
            SvidProfileException.class,
            () -> X509SvidProfileChecker.checkLeaf(sun(PKI.leaf()), issuerCert));
    assertEquals(X509SvidProfileChecker.AKI_MISMATCH, e.getMessage());
  }

  /** The same certificate bytes, parsed by the JDK's own provider; null if it refuses them. */
  static X509Certificate sun(X509Certificate cert) {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(cert.getEncoded()));
    } catch (CertificateException e) {
      return null;
    }
  }

  private static String outcome(X509Certificate leaf, X509Certificate issuer) {
    if (leaf == null || issuer == null) {
      return SUN_REJECTS;
    }
    try {
      X509SvidProfileChecker.checkLeaf(leaf, issuer);
      return OK;
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }
}
