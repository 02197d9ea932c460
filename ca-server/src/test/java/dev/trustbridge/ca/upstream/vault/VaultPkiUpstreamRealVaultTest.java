package dev.trustbridge.ca.upstream.vault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.keys.vault.VaultAuth;
import dev.trustbridge.ca.keys.vault.VaultSession;
import dev.trustbridge.ca.keys.vault.VaultSettings;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.InMemoryKeyManager;
import dev.trustbridge.spiffe.keys.KeyType;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.vault.VaultContainer;

/**
 * {@link VaultPkiUpstream} against a real Vault PKI engine ({@code hashicorp/vault:1.17}, dev mode,
 * an internal root generated at start, issuer name {@code test-root}). Runs only where a Docker
 * engine exists; {@link VaultPkiUpstreamContractTest} covers the same cases everywhere.
 */
@Testcontainers(disabledWithoutDocker = true)
@DisplayName("Vault PKI upstream contract test against a real Vault (Testcontainers)")
class VaultPkiUpstreamRealVaultTest {
  private static final String ROOT_TOKEN = "trustbridge-test-root";

  @Container
  static final VaultContainer<?> VAULT =
      new VaultContainer<>("hashicorp/vault:1.17")
          .withVaultToken(ROOT_TOKEN)
          .withInitCommand(
              "secrets enable pki",
              "secrets tune -max-lease-ttl=87600h pki",
              "write pki/root/generate/internal common_name=trustbridge-test-root"
                  + " issuer_name=test-root ttl=87600h");

  private static VaultSession session;

  @BeforeAll
  static void open() {
    session =
        VaultSession.open(
            VaultSettings.plainHttpForTests(
                URI.create(VAULT.getHttpHostAddress()), new VaultAuth.Token(ROOT_TOKEN)),
            Clock.systemUTC());
  }

  @AfterAll
  static void close() {
    session.close();
  }

  private static VaultPkiUpstream upstream(Optional<String> issuer) {
    return VaultPkiUpstream.create(
        session,
        new VaultPkiUpstream.Settings("pki", issuer, Duration.ofHours(48)),
        Clock.systemUTC());
  }

  @Test
  void signIntermediate_rootSigned_chainValidatesWithJdkPkix() throws Exception {
    CaKey key = new InMemoryKeyManager().generate("intermediate", KeyType.EC_P256);

    SignedIntermediate signed =
        upstream(Optional.empty())
            .signIntermediate(VaultPkiUpstreamContractTest.csr(key), "Trustbridge intermediate");

    assertArrayEquals(
        key.publicKey().getEncoded(), signed.certificate().getPublicKey().getEncoded());
    assertTrue(signed.certificate().getBasicConstraints() >= 0);
    assertEquals(
        signed.roots().get(0).getSubjectX500Principal(),
        signed.certificate().getIssuerX500Principal());
    VaultPkiUpstreamContractTest.assertValidatesWithJdkPkix(signed);
  }

  @Test
  void signIntermediate_withIssuerRef_validates() throws Exception {
    CaKey key = new InMemoryKeyManager().generate("intermediate", KeyType.EC_P256);

    SignedIntermediate signed =
        upstream(Optional.of("test-root"))
            .signIntermediate(VaultPkiUpstreamContractTest.csr(key), "Trustbridge intermediate");

    VaultPkiUpstreamContractTest.assertValidatesWithJdkPkix(signed);
  }

  @Test
  void signIntermediate_unknownIssuer_isFailedPrecondition() throws Exception {
    CaKey key = new InMemoryKeyManager().generate("intermediate", KeyType.EC_P256);

    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () ->
                upstream(Optional.of("no-such-issuer"))
                    .signIntermediate(VaultPkiUpstreamContractTest.csr(key), "x"));

    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
  }
}
