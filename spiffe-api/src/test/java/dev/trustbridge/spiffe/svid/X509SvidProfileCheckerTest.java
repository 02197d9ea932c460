package dev.trustbridge.spiffe.svid;

import static dev.trustbridge.spiffe.svid.CraftedCert.dns;
import static dev.trustbridge.spiffe.svid.CraftedCert.uri;
import static dev.trustbridge.spiffe.svid.X509SvidProfileChecker.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.id.SpiffeId;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The producer face: one crafted certificate per rule, each failing with that rule's message. */
class X509SvidProfileCheckerTest {
  private static final TestPki PKI = TestPki.create(TestPki.EXAMPLE, TestPki.nowClock());
  private static final TestPki OTHER_PKI = TestPki.create(TestPki.OTHER, PKI.clock());
  private static final Instant NOW = PKI.clock().instant();
  private static final String LEAF_ID = "spiffe://example.org/ns/default/sa/web";

  private static CraftedCert goodLeaf() {
    return CraftedCert.leaf(LEAF_ID, PKI.intermediate(), PKI.intermediateKey(), NOW);
  }

  private static CraftedCert goodIntermediate() {
    return CraftedCert.ca("spiffe://example.org", PKI.root(), PKI.rootKey(), NOW);
  }

  @Test
  void checkLeaf_builtLeaf_passes() {
    assertEquals(
        SpiffeId.parse(LEAF_ID), X509SvidProfileChecker.checkLeaf(PKI.leaf(), PKI.intermediate()));
  }

  @Test
  void checkLeaf_craftedDefaults_pass() {
    X509SvidProfileChecker.checkLeaf(goodLeaf().build(), PKI.intermediate());
  }

  @Test
  void checkCa_builtRootAndIntermediate_pass() {
    X509SvidProfileChecker.checkCa(PKI.root(), PKI.root());
    X509SvidProfileChecker.checkCa(PKI.intermediate(), PKI.root());
  }

  @Test
  void checkCa_craftedDefaults_pass() {
    X509SvidProfileChecker.checkCa(goodIntermediate().build(), PKI.root());
  }

  @Test
  void checkLeaf_eKUAbsent_passes() {
    CraftedCert c = goodLeaf();
    c.extendedKeyUsage = null;
    X509SvidProfileChecker.checkLeaf(c.build(), PKI.intermediate());
  }

  @Test
  void checkLeaf_subjectSetAndSanNotCritical_passes() {
    CraftedCert c = goodLeaf();
    c.subject = new X500Name("CN=web");
    c.sanCritical = false;
    X509SvidProfileChecker.checkLeaf(c.build(), PKI.intermediate());
  }

  @Test
  void checkLeaf_dnsSansBesideTheUriSan_pass() {
    CraftedCert c = goodLeaf();
    c.sans.add(dns("web.example.org"));
    c.sans.add(dns("web"));
    X509SvidProfileChecker.checkLeaf(c.build(), PKI.intermediate());
  }

  static Stream<Arguments> brokenLeaves() {
    return Stream.of(
        leafCase("twoUriSans", c -> c.sans.add(uri("spiffe://example.org/other")), URI_SAN_COUNT),
        leafCase(
            "spiffeAndHttpsUriSans", c -> c.sans.add(uri("https://example.org/")), URI_SAN_COUNT),
        leafCase("noSan", c -> c.sans.clear(), URI_SAN_COUNT),
        leafCase("onlyDnsSan", c -> c.sans.set(0, dns("web.example.org")), URI_SAN_COUNT),
        leafCase(
            "nonSpiffeUri", c -> c.sans.set(0, uri("https://example.org/web")), URI_SAN_NOT_SPIFFE),
        leafCase(
            "uppercaseTrustDomain",
            c -> c.sans.set(0, uri("spiffe://Example.org/web")),
            URI_SAN_INVALID),
        leafCase(
            "trailingSlash", c -> c.sans.set(0, uri("spiffe://example.org/web/")), URI_SAN_INVALID),
        leafCase("rootPath", c -> c.sans.set(0, uri("spiffe://example.org")), LEAF_ROOT_PATH),
        leafCase(
            "idOfAnotherTrustDomain",
            c -> c.sans.set(0, uri("spiffe://other.org/web")),
            LEAF_OTHER_TRUST_DOMAIN),
        leafCase(
            "emptySubjectSanNotCritical",
            c -> c.sanCritical = false,
            EMPTY_SUBJECT_SAN_NOT_CRITICAL),
        leafCase(
            "basicConstraintsAbsent", c -> c.basicConstraints = null, BASIC_CONSTRAINTS_MISSING),
        leafCase(
            "basicConstraintsNotCritical",
            c -> c.basicConstraintsCritical = false,
            BASIC_CONSTRAINTS_NOT_CRITICAL),
        leafCase("caTrue", c -> c.basicConstraints = new BasicConstraints(true), LEAF_IS_CA),
        leafCase("keyUsageAbsent", c -> c.keyUsage = null, KEY_USAGE_MISSING),
        leafCase("keyUsageNotCritical", c -> c.keyUsageCritical = false, KEY_USAGE_NOT_CRITICAL),
        leafCase(
            "noDigitalSignature",
            c -> c.keyUsage = KeyUsage.keyEncipherment,
            LEAF_NO_DIGITAL_SIGNATURE),
        leafCase(
            "keyCertSign",
            c -> c.keyUsage = KeyUsage.digitalSignature | KeyUsage.keyCertSign,
            LEAF_KEY_CERT_SIGN),
        leafCase(
            "cRLSign",
            c -> c.keyUsage = KeyUsage.digitalSignature | KeyUsage.cRLSign,
            LEAF_CRL_SIGN),
        leafCase(
            "dataEncipherment",
            c -> c.keyUsage = KeyUsage.digitalSignature | KeyUsage.dataEncipherment,
            LEAF_KEY_USAGE_EXTRA),
        leafCase(
            "ekuOnlyServerAuth",
            c -> c.extendedKeyUsage = new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth},
            EKU_INCOMPLETE),
        leafCase(
            "ekuOnlyClientAuth",
            c -> c.extendedKeyUsage = new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth},
            EKU_INCOMPLETE),
        leafCase(
            "ekuAnyOnly",
            c -> c.extendedKeyUsage = new KeyPurposeId[] {KeyPurposeId.anyExtendedKeyUsage},
            EKU_INCOMPLETE),
        leafCase("serialZero", c -> c.serial = BigInteger.ZERO, SERIAL_NOT_POSITIVE),
        leafCase("serialNegative", c -> c.serial = BigInteger.valueOf(-5), SERIAL_NOT_POSITIVE),
        leafCase(
            "serialOf21Octets",
            c -> c.serial = BigInteger.ONE.shiftLeft(160).subtract(BigInteger.ONE),
            SERIAL_TOO_LONG),
        leafCase(
            "rsa1024Key", c -> c.publicKey = TestKeys.rsa(1024).getPublic(), KEY_TYPE_NOT_ALLOWED),
        leafCase(
            "p521Key",
            c -> c.publicKey = TestKeys.ec("secp521r1").getPublic(),
            KEY_TYPE_NOT_ALLOWED),
        leafCase(
            "secp256k1Key",
            c -> c.publicKey = TestKeys.ec("secp256k1").getPublic(),
            KEY_TYPE_NOT_ALLOWED),
        leafCase("skiAbsent", c -> c.subjectKeyIdentifier = false, SKI_MISSING),
        leafCase("akiAbsent", c -> c.authorityKeyIdentifier = null, AKI_MISMATCH),
        leafCase("akiOfAnotherKey", c -> c.authorityKeyIdentifier = new byte[20], AKI_MISMATCH),
        leafCase(
            "issuerNameNotTheIssuersSubject",
            c -> c.issuerName = new X500Name("CN=somebody else"),
            ISSUER_NAME_MISMATCH),
        leafCase("notAfterEqualsNotBefore", c -> c.notAfter = c.notBefore, VALIDITY_EMPTY),
        leafCase(
            "notBeforeBeforeIssuer",
            c -> c.notBefore = PKI.intermediate().getNotBefore().toInstant().minusSeconds(1),
            NOT_BEFORE_BEFORE_ISSUER),
        leafCase(
            "notAfterAfterIssuer",
            c -> c.notAfter = PKI.intermediate().getNotAfter().toInstant().plusSeconds(1),
            NOT_AFTER_AFTER_ISSUER),
        leafCase(
            "signedByAnotherKey",
            c -> {
              c.signingKey = OTHER_PKI.intermediateKey().pair().getPrivate();
              c.signingKeyType = OTHER_PKI.intermediateKey().keyType();
            },
            SIGNATURE_INVALID));
  }

  @ParameterizedTest(name = "checkLeaf_{0}_isRejected")
  @MethodSource("brokenLeaves")
  void checkLeaf_brokenRule_isRejectedWithItsMessage(
      String name, Consumer<CraftedCert> breakIt, String message) {
    CraftedCert c = goodLeaf();
    breakIt.accept(c);
    X509Certificate leaf = c.build();
    SvidProfileException e =
        assertThrows(
            SvidProfileException.class,
            () -> X509SvidProfileChecker.checkLeaf(leaf, PKI.intermediate()));
    assertEquals(message, e.getMessage());
    assertEquals(ErrorCode.INTERNAL, e.code());
  }

  @Test
  void checkLeaf_issuerWithoutSpiffeId_isRejected() {
    CraftedCert issuer = goodIntermediate();
    issuer.sans.clear();
    X509Certificate issuerCert = issuer.build();
    SvidProfileException e =
        assertThrows(
            SvidProfileException.class,
            () -> X509SvidProfileChecker.checkLeaf(PKI.leaf(), issuerCert));
    assertEquals(ISSUER_NOT_SVID, e.getMessage());
  }

  @Test
  void checkLeaf_issuerIdWithPath_isRejected() {
    CraftedCert issuer = goodIntermediate();
    issuer.sans.set(0, uri("spiffe://example.org/ca"));
    X509Certificate issuerCert = issuer.build();
    SvidProfileException e =
        assertThrows(
            SvidProfileException.class,
            () -> X509SvidProfileChecker.checkLeaf(PKI.leaf(), issuerCert));
    assertEquals(ISSUER_NOT_SVID, e.getMessage());
  }

  static Stream<Arguments> brokenCas() {
    return Stream.of(
        caCase("caWithPath", c -> c.sans.set(0, uri("spiffe://example.org/ca")), CA_ID_HAS_PATH),
        caCase("caWithoutUriSan", c -> c.sans.clear(), URI_SAN_COUNT),
        caCase("caWithTwoUriSans", c -> c.sans.add(uri("spiffe://other.org")), URI_SAN_COUNT),
        caCase(
            "caWithEmptySubject",
            c -> c.subject = new X500Name(new org.bouncycastle.asn1.x500.RDN[0]),
            CA_SUBJECT_EMPTY),
        caCase("caFalse", c -> c.basicConstraints = new BasicConstraints(false), CA_NOT_CA),
        caCase("basicConstraintsAbsent", c -> c.basicConstraints = null, BASIC_CONSTRAINTS_MISSING),
        caCase(
            "basicConstraintsNotCritical",
            c -> c.basicConstraintsCritical = false,
            BASIC_CONSTRAINTS_NOT_CRITICAL),
        caCase("keyUsageAbsent", c -> c.keyUsage = null, KEY_USAGE_MISSING),
        caCase("keyUsageNotCritical", c -> c.keyUsageCritical = false, KEY_USAGE_NOT_CRITICAL),
        caCase("noKeyCertSign", c -> c.keyUsage = KeyUsage.cRLSign, CA_NO_KEY_CERT_SIGN),
        caCase(
            "digitalSignature",
            c -> c.keyUsage = KeyUsage.keyCertSign | KeyUsage.digitalSignature,
            CA_LEAF_KEY_USAGE),
        caCase(
            "keyEncipherment",
            c -> c.keyUsage = KeyUsage.keyCertSign | KeyUsage.keyEncipherment,
            CA_LEAF_KEY_USAGE),
        caCase(
            "keyAgreement",
            c -> c.keyUsage = KeyUsage.keyCertSign | KeyUsage.keyAgreement,
            CA_LEAF_KEY_USAGE),
        caCase(
            "nonRepudiation",
            c -> c.keyUsage = KeyUsage.keyCertSign | KeyUsage.nonRepudiation,
            CA_KEY_USAGE_EXTRA),
        caCase(
            "nameConstraintsNotCritical",
            c -> {
              c.nameConstraints = permitted("example.org");
              c.nameConstraintsCritical = false;
            },
            NAME_CONSTRAINTS_INVALID),
        caCase(
            "nameConstraintsForAnotherTrustDomain",
            c -> c.nameConstraints = permitted("other.org"),
            NAME_CONSTRAINTS_INVALID),
        caCase(
            "notAfterAfterIssuer",
            c -> c.notAfter = PKI.root().getNotAfter().toInstant().plus(Duration.ofDays(1)),
            NOT_AFTER_AFTER_ISSUER),
        caCase(
            "rsa1024Key", c -> c.publicKey = TestKeys.rsa(1024).getPublic(), KEY_TYPE_NOT_ALLOWED),
        caCase(
            "signedByAnotherKey",
            c -> {
              c.signingKey = OTHER_PKI.rootKey().pair().getPrivate();
              c.signingKeyType = OTHER_PKI.rootKey().keyType();
            },
            SIGNATURE_INVALID));
  }

  @ParameterizedTest(name = "checkCa_{0}_isRejected")
  @MethodSource("brokenCas")
  void checkCa_brokenRule_isRejectedWithItsMessage(
      String name, Consumer<CraftedCert> breakIt, String message) {
    CraftedCert c = goodIntermediate();
    breakIt.accept(c);
    X509Certificate ca = c.build();
    SvidProfileException e =
        assertThrows(
            SvidProfileException.class, () -> X509SvidProfileChecker.checkCa(ca, PKI.root()));
    assertEquals(message, e.getMessage());
  }

  @Test
  void checkCa_nameConstraintsPermittingItsTrustDomain_pass() {
    CraftedCert c = goodIntermediate();
    c.nameConstraints = permitted("example.org");
    X509SvidProfileChecker.checkCa(c.build(), PKI.root());
  }

  @Test
  void checkCa_leafPassedAsCa_isRejected() {
    SvidProfileException e =
        assertThrows(
            SvidProfileException.class,
            () -> X509SvidProfileChecker.checkCa(PKI.leaf(), PKI.intermediate()));
    assertEquals(CA_ID_HAS_PATH, e.getMessage());
  }

  @Test
  void checkLeaf_caPassedAsLeaf_isRejected() {
    SvidProfileException e =
        assertThrows(
            SvidProfileException.class,
            () -> X509SvidProfileChecker.checkLeaf(PKI.intermediate(), PKI.root()));
    assertEquals(LEAF_ROOT_PATH, e.getMessage());
  }

  @Test
  void ruleMessages_areDistinct() throws IllegalAccessException {
    List<Object> messages = new java.util.ArrayList<>();
    for (java.lang.reflect.Field f : X509SvidProfileChecker.class.getFields()) {
      messages.add(f.get(null));
    }
    assertEquals(messages.size(), messages.stream().distinct().count());
  }

  private static NameConstraints permitted(String host) {
    return new NameConstraints(
        new GeneralSubtree[] {
          new GeneralSubtree(new GeneralName(GeneralName.uniformResourceIdentifier, host))
        },
        null);
  }

  private static Arguments leafCase(String name, Consumer<CraftedCert> breakIt, String message) {
    return arguments(name, breakIt, message);
  }

  private static Arguments caCase(String name, Consumer<CraftedCert> breakIt, String message) {
    return arguments(name, breakIt, message);
  }
}
