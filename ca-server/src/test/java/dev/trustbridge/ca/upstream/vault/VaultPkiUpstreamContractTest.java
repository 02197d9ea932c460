package dev.trustbridge.ca.upstream.vault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.keys.vault.VaultAuth;
import dev.trustbridge.ca.keys.vault.VaultContractServer;
import dev.trustbridge.ca.keys.vault.VaultSession;
import dev.trustbridge.ca.keys.vault.VaultSettings;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.CaKeyContentSigner;
import dev.trustbridge.spiffe.keys.InMemoryKeyManager;
import dev.trustbridge.spiffe.keys.KeyType;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VaultPkiUpstream} against the {@link VaultContractServer}'s PKI engine (a real root CA it
 * holds), over HTTPS with a CA file. The same cases run against a real Vault in {@link
 * VaultPkiUpstreamRealVaultTest} where Docker exists.
 */
@DisplayName(
    "Vault PKI upstream contract test (VaultContractServer: sign-intermediate, real root CA)")
class VaultPkiUpstreamContractTest {
  @TempDir static Path directory;
  private static MutableClock clock;
  private static VaultContractServer server;
  private static VaultSession session;

  @BeforeAll
  static void start() throws Exception {
    clock = new MutableClock(Instant.now());
    server = VaultContractServer.startHttps(clock, directory);
    session =
        VaultSession.open(
            VaultSettings.https(
                server.address(),
                server.caFile(),
                new VaultAuth.Token(VaultContractServer.ROOT_TOKEN)),
            clock);
  }

  @AfterAll
  static void stop() {
    session.close();
    server.close();
  }

  private static VaultPkiUpstream upstream(Optional<String> issuer) {
    return VaultPkiUpstream.create(
        session, new VaultPkiUpstream.Settings("pki", issuer, Duration.ofHours(48)), clock);
  }

  /** Our intermediate key (any backend; here in memory) and its CSR. */
  static PKCS10CertificationRequest csr(CaKey key) throws Exception {
    return new JcaPKCS10CertificationRequestBuilder(
            new X500Name("O=example.org, CN=Trustbridge intermediate example.org"), key.publicKey())
        .build(new CaKeyContentSigner(key));
  }

  /** PKIX as the JDK does it: the intermediate up to the returned root, revocation off. */
  static void assertValidatesWithJdkPkix(SignedIntermediate signed) throws Exception {
    PKIXParameters parameters =
        new PKIXParameters(Set.of(new TrustAnchor(signed.roots().get(0), null)));
    parameters.setRevocationEnabled(false);
    List<X509Certificate> path = new java.util.ArrayList<>(List.of(signed.certificate()));
    path.addAll(signed.chain().subList(0, signed.chain().size() - 1));
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
  }

  @Test
  void signIntermediate_rootSigned_returnsACaForOurKeyThatChainsToTheRoot() throws Exception {
    CaKey key = new InMemoryKeyManager().generate("intermediate", KeyType.EC_P256);

    SignedIntermediate signed =
        upstream(Optional.empty()).signIntermediate(csr(key), "Trustbridge intermediate");

    assertArrayEquals(
        key.publicKey().getEncoded(), signed.certificate().getPublicKey().getEncoded());
    assertTrue(signed.certificate().getBasicConstraints() >= 0);
    assertEquals(List.of(server.pkiRootCertificate()), signed.chain());
    assertEquals(List.of(server.pkiRootCertificate()), signed.roots());
    assertEquals(
        "CN=Trustbridge intermediate example.org,O=example.org",
        signed.certificate().getSubjectX500Principal().getName());
    assertValidatesWithJdkPkix(signed);
  }

  @Test
  void signIntermediate_withIssuerRef_usesTheIssuerPath() throws Exception {
    CaKey key = new InMemoryKeyManager().generate("intermediate", KeyType.EC_P256);
    VaultPkiUpstream upstream = upstream(Optional.of(server.pkiIssuerName()));

    SignedIntermediate signed = upstream.signIntermediate(csr(key), "Trustbridge intermediate");

    assertEquals("pki/issuer/contract-root/sign-intermediate", upstream.signPath());
    assertValidatesWithJdkPkix(signed);
  }

  @Test
  void signIntermediate_unknownIssuer_isFailedPreconditionWithVaultsMessage() throws Exception {
    CaKey key = new InMemoryKeyManager().generate("intermediate", KeyType.EC_P256);

    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () -> upstream(Optional.of("no-such-issuer")).signIntermediate(csr(key), "x"));

    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertTrue(e.getMessage().contains("no-such-issuer"), e.getMessage());
  }

  @Test
  void signIntermediate_answerForAnotherPublicKey_isRefused() throws Exception {
    CaKey key = new InMemoryKeyManager().generate("intermediate", KeyType.EC_P256);
    server.pkiAnswersForAnotherKey(true);
    try {
      TrustbridgeException e =
          assertThrows(
              TrustbridgeException.class,
              () -> upstream(Optional.empty()).signIntermediate(csr(key), "x"));

      assertEquals(ErrorCode.INTERNAL, e.code());
      assertTrue(e.getMessage().contains("another public key"), e.getMessage());
    } finally {
      server.pkiAnswersForAnotherKey(false);
    }
  }

  @Test
  void signIntermediate_vaultDown_isUnavailable() throws Exception {
    CaKey key = new InMemoryKeyManager().generate("intermediate", KeyType.EC_P256);
    PKCS10CertificationRequest csr = csr(key);
    server.stop();
    try {
      TrustbridgeException e =
          assertThrows(
              TrustbridgeException.class,
              () -> upstream(Optional.empty()).signIntermediate(csr, "x"));
      assertEquals(ErrorCode.UNAVAILABLE, e.code());
    } finally {
      server.restart();
    }
  }
}
