package dev.trustbridge.ca.keys.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.server.TestServer;
import dev.trustbridge.proto.admin.v1.AuthorityAdminGrpc;
import dev.trustbridge.proto.admin.v1.AuthorityKindRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.KeyType;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contract test (against {@link VaultContractServer}, which implements Vault's documented HTTP API
 * with real cryptography): the server keeps its roots in Vault Transit and its intermediates
 * locally, so issuance goes on while Vault is down, operations that need the root fail with
 * UNAVAILABLE, and succeed again when Vault returns.
 */
class VaultRootedServerContractTest {
  @TempDir Path dir;
  private VaultContractServer vault;
  private TestServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (vault != null) {
      vault.close();
    }
  }

  private TestServer start() throws Exception {
    Files.createDirectories(dir.resolve("vault"));
    vault = VaultContractServer.startHttps(Clock.systemUTC(), dir.resolve("vault"));
    Path tokenFile = dir.resolve("vault-token");
    Files.writeString(tokenFile, VaultContractServer.ROOT_TOKEN);
    Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
    String yaml =
        "keys:\n"
            + "  type: vault-transit\n"
            + "  address: "
            + vault.address()
            + "\n  ca_file: "
            + vault.caFile()
            + "\n  auth:\n    method: token\n    token_file: "
            + tokenFile
            + "\ntrust_domains:\n  - name: example.org\n";
    return new TestServer(dir.resolve("data"), yaml, new MutableClock(Instant.now()));
  }

  private SignX509SvidResponse issue() throws Exception {
    return server.signWithJoinToken(
        server.joinToken(SpiffeId.parse("spiffe://example.org/agent/" + System.nanoTime())),
        TestServer.csr(KeyType.EC_P256));
  }

  private static long pemFiles(Path directory) throws Exception {
    if (!Files.isDirectory(directory)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(directory)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".pem")).count();
    }
  }

  @Test
  void rootKeyLivesInVault_intermediateKeyIsHeldLocally() throws Exception {
    server = start();
    assertEquals(1, pemFiles(server.dataDir.resolve("keys-local")));
    assertEquals(0, pemFiles(server.dataDir.resolve("keys")));
    assertTrue(issue().getCertChainCount() >= 2);
  }

  @Test
  void vaultDown_issuanceContinues_rootOperationsAreUnavailableUntilItReturns() throws Exception {
    server = start();
    vault.stop();

    assertTrue(issue().getCertChainCount() >= 2);
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                AuthorityAdminGrpc.newBlockingStub(server.admin())
                    .prepareAuthority(
                        AuthorityKindRequest.newBuilder().setKind("intermediate").build()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    server.server.maintainNow(); // rotation attempts while Vault is down do not break serving
    assertTrue(issue().getCertChainCount() >= 2);

    vault.restart();
    String prepared =
        AuthorityAdminGrpc.newBlockingStub(server.admin())
            .prepareAuthority(AuthorityKindRequest.newBuilder().setKind("intermediate").build())
            .getState();
    assertEquals("prepared", prepared);
    assertFalse(issue().getCertChainList().isEmpty());
  }
}
