package dev.trustbridge.ca.keys.vault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.KeyManager;
import dev.trustbridge.spiffe.keys.KeyManagerContractTest;
import dev.trustbridge.spiffe.keys.KeyType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared {@link KeyManagerContractTest} and the Vault-specific behaviour (version pinning,
 * local verification, Vault down, 403) of {@link VaultTransitKeyManager}, against the {@link
 * VaultContractServer} over HTTPS with a CA file. The same contract runs against a real Vault in
 * {@link VaultTransitKeyManagerRealVaultTest} where Docker exists.
 */
@DisplayName(
    "Vault Transit KeyManager contract test (VaultContractServer: Vault's HTTP API, real crypto, HTTPS)")
class VaultTransitKeyManagerContractTest extends KeyManagerContractTest {
  private static final AtomicInteger MANAGERS = new AtomicInteger();
  private static final List<VaultSession> SESSIONS = new CopyOnWriteArrayList<>();

  @TempDir static Path directory;
  private static MutableClock clock;
  private static VaultContractServer server;
  private static VaultSession session;

  @BeforeAll
  static void startServer() throws Exception {
    clock = new MutableClock(Instant.now());
    server = VaultContractServer.startHttps(clock, directory);
    session = newSession(VaultContractServer.ROOT_TOKEN);
  }

  @AfterAll
  static void stopServer() {
    SESSIONS.forEach(VaultSession::close);
    server.close();
  }

  private static VaultSession newSession(String token) {
    VaultSession opened =
        VaultSession.open(
            VaultSettings.https(server.address(), server.caFile(), new VaultAuth.Token(token)),
            clock);
    SESSIONS.add(opened);
    return opened;
  }

  private static VaultTransitKeyManager manager(VaultSession over, String prefix) {
    return VaultTransitKeyManager.create(
        over, new VaultTransitKeyManager.Settings("transit", prefix));
  }

  @Override
  protected boolean signsInProcess() {
    return false;
  }

  @Override
  protected KeyManager newKeyManager() {
    return manager(session, "contract" + MANAGERS.incrementAndGet() + "-");
  }

  /** A restart: a new session (new login) and a new manager over the same mount and prefix. */
  @Override
  protected Optional<KeyManager> reopen(KeyManager manager) {
    VaultTransitKeyManager previous = (VaultTransitKeyManager) manager;
    previous.close();
    return Optional.of(
        manager(newSession(VaultContractServer.ROOT_TOKEN), previous.settings().keyNamePrefix()));
  }

  @Test
  void sign_afterVaultKeyRotation_keyLoadedBeforeStillSignsWithItsPinnedVersion() throws Exception {
    VaultTransitKeyManager manager = (VaultTransitKeyManager) newKeyManager();
    CaKey before = manager.generate("rotated", KeyType.EC_P256);
    server.rotateTransitKey(manager.settings().keyNamePrefix() + "rotated");
    byte[] data = "CA certificate naming version 1".getBytes(StandardCharsets.UTF_8);

    byte[] signature = before.sign(data);
    CaKey after = manager.find("rotated").orElseThrow();

    assertTrue(verifyIndependently(before.publicKey(), KeyType.EC_P256, data, signature));
    assertEquals(1, ((VaultTransitKey) before).version());
    assertEquals(2, ((VaultTransitKey) after).version());
    assertFalse(
        java.util.Arrays.equals(before.publicKey().getEncoded(), after.publicKey().getEncoded()));
    assertTrue(verifyIndependently(after.publicKey(), KeyType.EC_P256, data, after.sign(data)));
    assertFalse(verifyIndependently(after.publicKey(), KeyType.EC_P256, data, before.sign(data)));
  }

  @Test
  void sign_vaultReturnsSignatureOfAnotherKey_isInternalAndNothingIsReturned() {
    CaKey key = newKeyManager().generate("lied-to", KeyType.EC_P256);
    server.lieOnSign(true);
    try {
      TrustbridgeException e =
          assertThrows(TrustbridgeException.class, () -> key.sign(new byte[] {1, 2, 3}));

      assertEquals(ErrorCode.INTERNAL, e.code());
      assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
    } finally {
      server.lieOnSign(false);
    }
  }

  @Test
  void everyOperation_whileVaultIsDown_isUnavailable_andWorksAgainAfterRestart() throws Exception {
    KeyManager manager = newKeyManager();
    CaKey key = manager.generate("survivor", KeyType.EC_P256);
    server.stop();
    try {
      assertUnavailable(() -> key.sign(new byte[] {1}));
      assertUnavailable(() -> manager.find("survivor"));
      assertUnavailable(manager::keyIds);
      assertUnavailable(() -> manager.generate("new-while-down", KeyType.EC_P256));
      assertUnavailable(() -> manager.delete("survivor"));
    } finally {
      server.restart();
    }

    byte[] data = "after restart".getBytes(StandardCharsets.UTF_8);
    assertTrue(verifyIndependently(key.publicKey(), KeyType.EC_P256, data, key.sign(data)));
    assertEquals(List.of("survivor"), manager.keyIds());
  }

  @Test
  void vaultDenies_403_isUnavailableSayingVaultDenied() {
    KeyManager manager = newKeyManager();
    CaKey key = manager.generate("denied", KeyType.EC_P256);
    server.denyEverything(true);
    try {
      TrustbridgeException e =
          assertThrows(TrustbridgeException.class, () -> key.sign(new byte[] {1}));
      assertEquals(ErrorCode.UNAVAILABLE, e.code());
      assertTrue(e.getMessage().contains("Vault denied"), e.getMessage());
      assertTrue(e.getMessage().contains("403"), e.getMessage());
    } finally {
      server.denyEverything(false);
    }
  }

  @Test
  void unknownToken_isUnavailable_andTheTokenIsNeverInTheMessage() {
    String badToken = "hvs.not-a-token-the-server-issued";
    KeyManager manager = manager(newSession(badToken), "bad-token-");

    TrustbridgeException e = assertThrows(TrustbridgeException.class, manager::keyIds);

    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("403"), e.getMessage());
    assertFalse(e.getMessage().contains(badToken), e.getMessage());
  }

  @Test
  void sign_withKeyDeletedByAnotherReplica_isFailedPrecondition() {
    VaultTransitKeyManager one = (VaultTransitKeyManager) newKeyManager();
    KeyManager other = manager(session, one.settings().keyNamePrefix());
    CaKey key = one.generate("deleted-elsewhere", KeyType.EC_P256);

    other.delete("deleted-elsewhere");

    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> key.sign(new byte[] {1}));
    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertTrue(e.getMessage().contains("deleted-elsewhere"), e.getMessage());
  }

  @Test
  void generate_keyCreatedByAnotherReplicaMeanwhile_isAlreadyExists() {
    VaultTransitKeyManager one = (VaultTransitKeyManager) newKeyManager();
    KeyManager other = manager(session, one.settings().keyNamePrefix());
    CaKey first = other.generate("raced", KeyType.EC_P256);

    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> one.generate("raced", KeyType.EC_P256));

    assertEquals(ErrorCode.ALREADY_EXISTS, e.code());
    assertArrayEquals(
        first.publicKey().getEncoded(), one.find("raced").orElseThrow().publicKey().getEncoded());
  }

  @Test
  void keyIdsThatVaultCannotName_areInvalidArgument() {
    KeyManager manager = newKeyManager();
    for (String id : List.of("ends-with-dash-", "ends.with.dot.")) {
      TrustbridgeException e =
          assertThrows(TrustbridgeException.class, () -> manager.generate(id, KeyType.EC_P256));
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    }
  }

  @Test
  void closedManager_refusesWithFailedPrecondition() {
    VaultTransitKeyManager manager = (VaultTransitKeyManager) newKeyManager();
    CaKey key = manager.generate("closing", KeyType.EC_P256);
    manager.close();

    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        assertThrows(TrustbridgeException.class, () -> key.sign(new byte[] {1})).code());
    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        assertThrows(TrustbridgeException.class, manager::keyIds).code());
  }

  @Test
  void keyIds_listOnlyThisManagersPrefix() {
    KeyManager mine = newKeyManager();
    KeyManager theirs = newKeyManager();
    mine.generate("shared-name", KeyType.EC_P256);
    theirs.generate("shared-name", KeyType.EC_P256);
    theirs.generate("only-theirs", KeyType.EC_P256);

    assertEquals(List.of("shared-name"), mine.keyIds());
  }

  private static void assertUnavailable(Executable operation) {
    TrustbridgeException e = assertThrows(TrustbridgeException.class, operation);
    assertEquals(ErrorCode.UNAVAILABLE, e.code(), e.getMessage());
  }
}
