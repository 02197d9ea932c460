package dev.trustbridge.ca.keys.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.KeyManager;
import dev.trustbridge.spiffe.keys.KeyManagerContractTest;
import dev.trustbridge.spiffe.keys.KeyType;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.vault.VaultContainer;

/**
 * The shared {@link KeyManagerContractTest} against a real Vault ({@code hashicorp/vault:1.17} in
 * dev mode, plain HTTP, root token). Runs only where a Docker engine exists; skipped elsewhere
 * (this project's CI machines have none), where {@link VaultTransitKeyManagerContractTest} covers
 * the same contract against the contract server.
 */
@Testcontainers(disabledWithoutDocker = true)
@DisplayName("Vault Transit KeyManager contract test against a real Vault (Testcontainers)")
class VaultTransitKeyManagerRealVaultTest extends KeyManagerContractTest {
  static final String ROOT_TOKEN = "trustbridge-test-root";
  private static final AtomicInteger MANAGERS = new AtomicInteger();
  private static final List<VaultSession> SESSIONS = new CopyOnWriteArrayList<>();

  @Container
  static final VaultContainer<?> VAULT =
      new VaultContainer<>("hashicorp/vault:1.17")
          .withVaultToken(ROOT_TOKEN)
          .withInitCommand("secrets enable transit");

  @AfterAll
  static void closeSessions() {
    SESSIONS.forEach(VaultSession::close);
  }

  private static VaultSession newSession() {
    VaultSession session =
        VaultSession.open(
            VaultSettings.plainHttpForTests(
                URI.create(VAULT.getHttpHostAddress()), new VaultAuth.Token(ROOT_TOKEN)),
            Clock.systemUTC());
    SESSIONS.add(session);
    return session;
  }

  private static VaultTransitKeyManager manager(VaultSession session, String prefix) {
    return VaultTransitKeyManager.create(
        session, new VaultTransitKeyManager.Settings("transit", prefix));
  }

  @Override
  protected boolean signsInProcess() {
    return false;
  }

  @Override
  protected KeyManager newKeyManager() {
    return manager(newSession(), "real" + MANAGERS.incrementAndGet() + "-");
  }

  @Override
  protected Optional<KeyManager> reopen(KeyManager manager) {
    VaultTransitKeyManager previous = (VaultTransitKeyManager) manager;
    previous.close();
    return Optional.of(manager(newSession(), previous.settings().keyNamePrefix()));
  }

  @Test
  void sign_afterRealVaultRotation_keyLoadedBeforeStillSignsWithItsPinnedVersion()
      throws Exception {
    VaultSession session = newSession();
    VaultTransitKeyManager manager =
        manager(session, "rotation" + MANAGERS.incrementAndGet() + "-");
    CaKey before = manager.generate("rotated", KeyType.EC_P256);
    VaultReply rotated =
        session.write(
            "transit/keys/" + manager.settings().keyNamePrefix() + "rotated/rotate", Map.of());
    assertTrue(rotated.ok(), "rotate: HTTP " + rotated.status());
    byte[] data = "CA certificate naming version 1".getBytes(StandardCharsets.UTF_8);

    CaKey after = manager.find("rotated").orElseThrow();

    assertTrue(verifyIndependently(before.publicKey(), KeyType.EC_P256, data, before.sign(data)));
    assertTrue(verifyIndependently(after.publicKey(), KeyType.EC_P256, data, after.sign(data)));
    assertEquals(2, ((VaultTransitKey) after).version());
  }
}
