package dev.trustbridge.spiffe.svid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.KeyType;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1OctetString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The leaf builder: what it emits, and what it refuses before signing anything. */
class X509SvidBuilderTest {
  private static final Instant T0 = Instant.parse("2031-05-04T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);
  private static final TestPki PKI = TestPki.create(TestPki.EXAMPLE, CLOCK);
  private static final PublicKey P256 = TestKeys.pair(KeyType.EC_P256, 40).getPublic();

  private static X509SvidBuilder builder() {
    return builder(CLOCK);
  }

  private static X509SvidBuilder builder(Clock clock) {
    return X509SvidBuilder.newBuilder(PKI.issuingIntermediate(), clock)
        .spiffeId(TestPki.WORKLOAD)
        .publicKey(P256)
        .ttl(Duration.ofHours(1));
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
  void leafBuilder_defaults_emitTheLeafProfile() throws Exception {
    X509Certificate leaf = builder().build();
    assertEquals(3, leaf.getVersion());
    assertEquals(2, leaf.getSubjectX500Principal().getEncoded().length, "empty subject");
    assertEquals(Set.of("2.5.29.17", "2.5.29.19", "2.5.29.15"), leaf.getCriticalExtensionOIDs());
    assertEquals(Set.of("2.5.29.37", "2.5.29.14", "2.5.29.35"), leaf.getNonCriticalExtensionOIDs());
    assertEquals(List.of(TestPki.WORKLOAD.toString()), CertificateFields.uriSans(leaf));
    assertEquals(-1, leaf.getBasicConstraints());
    assertArrayEquals(
        new boolean[] {true, false, false, false, false, false, false, false, false},
        leaf.getKeyUsage());
    assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), leaf.getExtendedKeyUsage());
    assertArrayEquals(
        CertificateFields.subjectKeyIdentifier(PKI.intermediate()).orElseThrow(),
        CertificateFields.authorityKeyIdentifier(leaf).orElseThrow());
    assertEquals(PKI.intermediate().getSubjectX500Principal(), leaf.getIssuerX500Principal());
  }

  @Test
  void leafBuilder_keyOutsideTheProcessSigningWithAnotherKey_isCaughtBeforeTheLeafLeaves() {
    FaultyCaKey key =
        FaultyCaKey.signingWithAnotherKey(PKI.intermediateKey(), PKI.rootKey(), false);
    X509SvidBuilder builder = withKey(key);
    SvidProfileException e = assertThrows(SvidProfileException.class, builder::build);
    assertEquals(X509SvidProfileChecker.SIGNATURE_INVALID, e.getMessage());
  }

  @Test
  void leafBuilder_keyOutsideTheProcessWithAFault_isCaughtBeforeTheLeafLeaves() {
    X509SvidBuilder builder = withKey(FaultyCaKey.failingAfter(PKI.intermediateKey(), false, 0));
    SvidProfileException e = assertThrows(SvidProfileException.class, builder::build);
    assertEquals(X509SvidProfileChecker.SIGNATURE_INVALID, e.getMessage());
  }

  @Test
  void leafBuilder_inProcessKeyWithAFaultAfterItsTest_isCaughtWhenAskedToVerify() {
    // Good for the pairwise test, faulty after it.
    FaultyCaKey key = FaultyCaKey.failingAfter(PKI.intermediateKey(), true, 1);
    X509SvidBuilder builder = withKey(key).verifySignature(true);
    SvidProfileException e = assertThrows(SvidProfileException.class, builder::build);
    assertEquals(X509SvidProfileChecker.SIGNATURE_INVALID, e.getMessage());
  }

  @Test
  void leafBuilder_inProcessKeyWithAFaultAfterItsTest_isTrustedByDefault() {
    // The trade made by default (docs/benchmarks.md): a key that signs in process is tested once,
    // not per leaf. The other profile rules still run on the leaf.
    FaultyCaKey key = FaultyCaKey.failingAfter(PKI.intermediateKey(), true, 1);
    X509Certificate leaf = withKey(key).build();
    assertThrows(
        SignatureException.class,
        () -> leaf.verify(PKI.intermediate().getPublicKey(), TestKeys.BC));
  }

  @Test
  void leafBuilder_inProcessKey_signsTheProbeAndTheLeafOnly() {
    FaultyCaKey key = FaultyCaKey.failingAfter(PKI.intermediateKey(), true, Integer.MAX_VALUE);
    X509SvidBuilder builder = withKey(key);
    X509Certificate leaf = builder.build();
    assertEquals(2, key.signatures(), "the pairwise probe and the leaf");
    assertEquals(TestPki.WORKLOAD, X509SvidProfileChecker.checkLeaf(leaf, PKI.intermediate()));
  }

  private static X509SvidBuilder withKey(FaultyCaKey key) {
    return X509SvidBuilder.newBuilder(IssuingCa.of(PKI.intermediate(), key), CLOCK)
        .spiffeId(TestPki.WORKLOAD)
        .publicKey(P256)
        .ttl(Duration.ofHours(1));
  }

  @Test
  void leafBuilder_basicConstraints_isPresentAsAnEmptySequence() {
    // A8: cA=false is DER's DEFAULT, so the extension value is SEQUENCE {} = 30 00.
    X509Certificate leaf = builder().build();
    byte[] value = ASN1OctetString.getInstance(leaf.getExtensionValue("2.5.29.19")).getOctets();
    assertArrayEquals(new byte[] {0x30, 0x00}, value);
  }

  @Test
  void leafBuilder_rsaKey_addsKeyEncipherment() {
    X509Certificate leaf =
        builder().publicKey(TestKeys.pair(KeyType.RSA_2048, 41).getPublic()).build();
    assertTrue(leaf.getKeyUsage()[0]);
    assertTrue(leaf.getKeyUsage()[2]);
  }

  @Test
  void leafBuilder_ecAndEd25519Keys_getDigitalSignatureOnly() {
    for (KeyType type : List.of(KeyType.EC_P256, KeyType.EC_P384, KeyType.ED25519)) {
      X509Certificate leaf = builder().publicKey(TestKeys.pair(type, 42).getPublic()).build();
      assertTrue(leaf.getKeyUsage()[0]);
      assertFalse(leaf.getKeyUsage()[2], type.toString());
    }
  }

  @Test
  void leafBuilder_dnsNamesAndSubject_areEmittedAfterTheUriSan() throws Exception {
    X509Certificate leaf =
        builder()
            .dnsNames(List.of("web.default.svc", "*.web.example.org", "web.default.svc"))
            .subject(new X500Principal("CN=web, O=Example"))
            .build();
    assertEquals(
        List.of(
            List.of(6, TestPki.WORKLOAD.toString()),
            List.of(2, "web.default.svc"),
            List.of(2, "*.web.example.org")),
        List.copyOf(leaf.getSubjectAlternativeNames()));
    assertEquals(new X500Principal("CN=web, O=Example"), leaf.getSubjectX500Principal());
    assertTrue(leaf.getCriticalExtensionOIDs().contains("2.5.29.17"));
  }

  @Test
  void leafBuilder_ipAddresses_areEmittedAsIpSans_andStillOneUriSan() throws Exception {
    X509Certificate leaf =
        builder()
            .dnsNames(List.of("localhost"))
            .ipAddresses(
                List.of(
                    java.net.InetAddress.getByName("127.0.0.1"),
                    java.net.InetAddress.getByName("::1"),
                    java.net.InetAddress.getByName("127.0.0.1")))
            .build();
    assertEquals(
        List.of(
            List.of(6, TestPki.WORKLOAD.toString()),
            List.of(2, "localhost"),
            List.of(7, "127.0.0.1"),
            List.of(7, "0:0:0:0:0:0:0:1")),
        List.copyOf(leaf.getSubjectAlternativeNames()));
    assertEquals(
        TestPki.WORKLOAD,
        X509SvidProfileChecker.checkLeaf(leaf, PKI.issuingIntermediate().certificate()));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "-web.example.org",
        "web-.example.org",
        "web..example.org",
        "web.example.org.",
        "web_1.example.org",
        "web.*.example.org",
        "spiffe://example.org/web",
        "10.0.0.1:80",
        "wéb.example.org"
      })
  void leafBuilder_invalidDnsName_isRejected(String name) {
    assertInvalidArgument(
        X509SvidBuilder.DNS_NAME_INVALID, () -> builder().dnsNames(List.of(name)));
  }

  @Test
  void leafBuilder_dnsLabelOf64Characters_isRejected() {
    String label = "a".repeat(64);
    assertInvalidArgument(
        X509SvidBuilder.DNS_NAME_INVALID, () -> builder().dnsNames(List.of(label + ".org")));
    builder().dnsNames(List.of("a".repeat(63) + ".org")).build();
  }

  @Test
  void leafBuilder_trustDomainId_isRejected() {
    assertInvalidArgument(
        X509SvidBuilder.TRUST_DOMAIN_ID,
        () -> builder().spiffeId(SpiffeId.parse("spiffe://example.org")));
  }

  @Test
  void leafBuilder_idOfAnotherTrustDomain_isRejected() {
    assertInvalidArgument(
        X509SvidBuilder.OTHER_TRUST_DOMAIN,
        () -> builder().spiffeId(SpiffeId.parse("spiffe://other.org/web")));
  }

  @Test
  void leafBuilder_rsa1024Key_isRejected() {
    assertInvalidArgument(
        X509SvidBuilder.KEY_TYPE_NOT_ALLOWED,
        () -> builder().publicKey(TestKeys.rsa(1024).getPublic()));
  }

  @Test
  void leafBuilder_p521Key_isRejected() {
    assertInvalidArgument(
        X509SvidBuilder.KEY_TYPE_NOT_ALLOWED,
        () -> builder().publicKey(TestKeys.ec("secp521r1").getPublic()));
  }

  @Test
  void leafBuilder_secp256k1Key_isRejected() {
    assertInvalidArgument(
        X509SvidBuilder.KEY_TYPE_NOT_ALLOWED,
        () -> builder().publicKey(TestKeys.ec("secp256k1").getPublic()));
  }

  @Test
  void leafBuilder_notAfterBeforeNotBefore_isRejected() {
    // notBefore is T0 - 30 s; a notAfter one minute in the past lies before it.
    assertInvalidArgument(
        X509SvidBuilder.VALIDITY_EMPTY,
        () -> builder().notAfter(T0.minus(Duration.ofMinutes(1))).build());
  }

  @Test
  void leafBuilder_notAfterEqualToNotBefore_isRejected() {
    assertInvalidArgument(
        X509SvidBuilder.VALIDITY_EMPTY,
        () -> builder().notAfter(T0.minus(X509SvidBuilder.DEFAULT_BACKDATE)).build());
  }

  @Test
  void leafBuilder_notAfterBeyondIssuer_isClampedToIssuerNotAfter() {
    X509Certificate leaf = builder().ttl(Duration.ofDays(400)).build();
    assertEquals(PKI.intermediate().getNotAfter(), leaf.getNotAfter());
  }

  @Test
  void leafBuilder_explicitNotAfter_isKept() {
    Instant notAfter = T0.plus(Duration.ofHours(3));
    assertEquals(notAfter, builder().notAfter(notAfter).build().getNotAfter().toInstant());
  }

  @Test
  void leafBuilder_notBefore_isBackdatedByTheDefaultSkew() {
    X509Certificate leaf = builder(Clock.offset(CLOCK, Duration.ofHours(1))).build();
    assertEquals(T0.plus(Duration.ofHours(1)).minusSeconds(30), leaf.getNotBefore().toInstant());
    assertEquals(T0.plus(Duration.ofHours(2)), leaf.getNotAfter().toInstant());
  }

  @Test
  void leafBuilder_customBackdate_isApplied() {
    X509Certificate leaf =
        builder(Clock.offset(CLOCK, Duration.ofHours(1))).backdate(Duration.ofMinutes(5)).build();
    assertEquals(T0.plus(Duration.ofMinutes(55)), leaf.getNotBefore().toInstant());
  }

  @Test
  void leafBuilder_notBefore_isNeverBeforeTheIssuersNotBefore() {
    // The intermediate was made at T0 with notBefore T0 - 30 s; a leaf at T0 + 10 s backdated by
    // a minute would start before it.
    X509Certificate leaf =
        builder(Clock.offset(CLOCK, Duration.ofSeconds(10)))
            .backdate(Duration.ofMinutes(1))
            .build();
    assertEquals(PKI.intermediate().getNotBefore(), leaf.getNotBefore());
  }

  @Test
  void leafBuilder_subSecondClock_isTruncatedToWholeSeconds() {
    X509Certificate leaf = builder(Clock.offset(CLOCK, Duration.ofMillis(1500))).build();
    assertEquals(T0.minusSeconds(29), leaf.getNotBefore().toInstant());
  }

  @Test
  void leafBuilder_expiredIssuer_isRejected() {
    Clock late = Clock.fixed(PKI.intermediate().getNotAfter().toInstant(), ZoneOffset.UTC);
    assertFailedPrecondition(X509SvidBuilder.ISSUER_EXPIRED, () -> builder(late).build());
  }

  @Test
  void leafBuilder_issuerNotYetValid_isRejected() {
    Clock early = Clock.offset(CLOCK, Duration.ofMinutes(-5));
    assertFailedPrecondition(X509SvidBuilder.ISSUER_NOT_YET_VALID, () -> builder(early).build());
  }

  @Test
  void leafBuilder_missingFields_areRejected() {
    assertInvalidArgument(
        X509SvidBuilder.SPIFFE_ID_MISSING,
        () -> X509SvidBuilder.newBuilder(PKI.issuingIntermediate(), CLOCK).publicKey(P256).build());
    assertInvalidArgument(
        X509SvidBuilder.PUBLIC_KEY_MISSING,
        () ->
            X509SvidBuilder.newBuilder(PKI.issuingIntermediate(), CLOCK)
                .spiffeId(TestPki.WORKLOAD)
                .build());
    assertInvalidArgument(
        X509SvidBuilder.LIFETIME_MISSING,
        () ->
            X509SvidBuilder.newBuilder(PKI.issuingIntermediate(), CLOCK)
                .spiffeId(TestPki.WORKLOAD)
                .publicKey(P256)
                .build());
  }

  @Test
  void leafBuilder_nonPositiveTtlOrNegativeBackdate_isRejected() {
    assertInvalidArgument(X509SvidBuilder.TTL_NOT_POSITIVE, () -> builder().ttl(Duration.ZERO));
    assertInvalidArgument(
        X509SvidBuilder.TTL_NOT_POSITIVE, () -> builder().ttl(Duration.ofSeconds(-1)));
    assertInvalidArgument(
        X509SvidBuilder.BACKDATE_NEGATIVE, () -> builder().backdate(Duration.ofSeconds(-1)));
  }

  @Test
  void leafBuilder_serials_arePositiveAtMost128BitsAndDistinct() {
    java.util.Set<BigInteger> seen = new java.util.HashSet<>();
    for (int i = 0; i < 50; i++) {
      BigInteger serial = builder().build().getSerialNumber();
      assertEquals(1, serial.signum());
      assertTrue(serial.bitLength() <= 128);
      assertTrue(serial.toByteArray().length <= 20);
      seen.add(serial);
    }
    assertEquals(50, seen.size());
  }

  @Test
  void leafBuilder_randomReturningZeroFirst_stillGetsAPositiveSerial() {
    java.security.SecureRandom zeroThenReal =
        new java.security.SecureRandom() {
          private static final long serialVersionUID = 1L;
          private boolean first = true;

          @Override
          public void nextBytes(byte[] bytes) {
            if (first) {
              java.util.Arrays.fill(bytes, (byte) 0);
              first = false;
            } else {
              super.nextBytes(bytes);
            }
          }
        };
    assertNotEquals(BigInteger.ZERO, builder().random(zeroThenReal).build().getSerialNumber());
  }

  @Test
  void leafBuilder_producesWhatTheVerifierAccepts() {
    X509Certificate leaf = builder().build();
    new X509SvidVerifier(td -> java.util.Optional.of(List.of(PKI.root())), CLOCK)
        .verify(List.of(leaf, PKI.intermediate()));
  }
}
