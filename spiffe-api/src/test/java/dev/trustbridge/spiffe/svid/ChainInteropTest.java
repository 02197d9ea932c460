package dev.trustbridge.spiffe.svid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.KeyType;
import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.svid.x509svid.X509SvidValidator;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Chains built by our builders, for every key type, pass our producer check, java-spiffe's
 * validator, the JDK's PKIX validator and our consumer verifier.
 */
class ChainInteropTest {

  @ParameterizedTest(name = "{0}")
  @EnumSource(KeyType.class)
  void builtChain_sameKeyTypeThroughout_passesAllValidators(KeyType type) throws Exception {
    assertPassesEverywhere(
        TestPki.create(TestPki.EXAMPLE, TestPki.nowClock(), type, type, type), type);
  }

  static Stream<Arguments> mixedChains() {
    return Stream.of(
        Arguments.of(KeyType.RSA_4096, KeyType.EC_P384, KeyType.ED25519),
        Arguments.of(KeyType.EC_P384, KeyType.RSA_3072, KeyType.EC_P256),
        Arguments.of(KeyType.ED25519, KeyType.EC_P256, KeyType.RSA_2048));
  }

  @ParameterizedTest(name = "{0} -> {1} -> {2}")
  @MethodSource("mixedChains")
  void builtChain_mixedKeyTypes_passesAllValidators(KeyType root, KeyType inter, KeyType leaf)
      throws Exception {
    assertPassesEverywhere(
        TestPki.create(TestPki.EXAMPLE, TestPki.nowClock(), root, inter, leaf), leaf);
  }

  @Test
  void builtChain_withUriNameConstraintsAndPathLen_passesAllValidators() throws Exception {
    TestPki pki = TestPki.create(TestPki.EXAMPLE, TestPki.nowClock());
    TestCaKey key = TestCaKey.of(KeyType.EC_P256, 30);
    X509Certificate constrained =
        CaCertificateBuilder.intermediate(
                TestPki.EXAMPLE, key.publicKey(), pki.issuingRoot(), pki.clock())
            .uriNameConstraints(true)
            .pathLength(0)
            .ttl(Duration.ofDays(1))
            .build();
    X509Certificate leaf =
        X509SvidBuilder.newBuilder(IssuingCa.of(constrained, key), pki.clock())
            .spiffeId(TestPki.WORKLOAD)
            .publicKey(TestKeys.pair(KeyType.EC_P256, 31).getPublic())
            .ttl(Duration.ofMinutes(10))
            .build();
    List<X509Certificate> chain = List.of(leaf, constrained);
    X509SvidValidator.verifyChain(chain, bundle(pki));
    jdkPkix(chain, pki);
    new X509SvidVerifier(td -> Optional.of(List.of(pki.root())), pki.clock()).verify(chain);
  }

  @Test
  void uriNameConstraints_leafOutsideTheTrustDomain_isRejectedByPkix() {
    // The constraint is what stops a constrained CA from speaking for another trust domain, even
    // if a misconfigured source hands out this root for every trust domain.
    TestPki pki = TestPki.create(TestPki.EXAMPLE, TestPki.nowClock());
    TestCaKey key = TestCaKey.of(KeyType.EC_P256, 32);
    X509Certificate constrained =
        CaCertificateBuilder.intermediate(
                TestPki.EXAMPLE, key.publicKey(), pki.issuingRoot(), pki.clock())
            .uriNameConstraints(true)
            .ttl(Duration.ofDays(1))
            .build();
    X509Certificate foreign =
        CraftedCert.leaf("spiffe://other.org/web", constrained, key, pki.clock().instant()).build();
    X509SvidVerifier anyTrustDomain =
        new X509SvidVerifier(td -> Optional.of(List.of(pki.root())), pki.clock());
    SvidVerificationException e =
        assertThrows(
            SvidVerificationException.class,
            () -> anyTrustDomain.verify(List.of(foreign, constrained)));
    assertEquals(X509SvidVerifier.PATH_INVALID, e.getMessage());
    assertThrows(
        CertPathValidatorException.class, () -> jdkPkix(List.of(foreign, constrained), pki));
  }

  @Test
  void javaSpiffe_leafOfAnotherTrustDomainsBundle_isRejected() {
    TestPki pki = TestPki.create(TestPki.EXAMPLE, TestPki.nowClock());
    TestPki other = TestPki.create(TestPki.OTHER, pki.clock());
    X509Bundle wrong = new X509Bundle(TestPki.EXAMPLE.toJavaSpiffe(), Set.of(other.root()));
    assertThrows(
        CertificateException.class, () -> X509SvidValidator.verifyChain(pki.chain(), wrong));
  }

  private static void assertPassesEverywhere(TestPki pki, KeyType leafType) throws Exception {
    X509SvidProfileChecker.checkCa(pki.root(), pki.root());
    X509SvidProfileChecker.checkCa(pki.intermediate(), pki.root());
    assertEquals(
        TestPki.WORKLOAD, X509SvidProfileChecker.checkLeaf(pki.leaf(), pki.intermediate()));
    assertEquals(Optional.of(leafType), KeyType.of(pki.leaf().getPublicKey()));

    X509SvidValidator.verifyChain(pki.chain(), bundle(pki));
    jdkPkix(pki.chain(), pki);
    // A peer's chain arrives as JSSE-parsed certificates: verify those too.
    List<X509Certificate> reparsed = reparse(pki.chain());
    jdkPkix(reparsed, pki);
    SpiffeId id =
        new X509SvidVerifier(
                td ->
                    td.equals(TestPki.EXAMPLE)
                        ? Optional.of(List.of(pki.root()))
                        : Optional.empty(),
                pki.clock())
            .verify(reparsed)
            .spiffeId();
    assertEquals(TestPki.WORKLOAD, id);
  }

  private static X509Bundle bundle(TestPki pki) {
    return new X509Bundle(pki.trustDomain().toJavaSpiffe(), Set.of(pki.root()));
  }

  private static void jdkPkix(List<X509Certificate> chain, TestPki pki) throws Exception {
    PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(pki.root(), null)));
    parameters.setRevocationEnabled(false);
    parameters.setDate(Date.from(pki.clock().instant()));
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), parameters);
  }

  private static List<X509Certificate> reparse(List<X509Certificate> chain) throws Exception {
    CertificateFactory jdk = CertificateFactory.getInstance("X.509");
    List<X509Certificate> out = new java.util.ArrayList<>();
    for (X509Certificate cert : chain) {
      out.add(
          (X509Certificate)
              jdk.generateCertificate(new java.io.ByteArrayInputStream(cert.getEncoded())));
    }
    return out;
  }
}
