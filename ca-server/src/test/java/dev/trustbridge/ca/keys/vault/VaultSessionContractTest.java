package dev.trustbridge.ca.keys.vault;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logging in, renewing and TLS of {@link VaultSession}, against the {@link VaultContractServer}.
 * Time is a {@link MutableClock} shared with the server: token TTLs pass when the test moves it.
 */
@DisplayName("Vault session contract test (VaultContractServer: auth, token renewal, TLS)")
class VaultSessionContractTest {
  private static final Duration HOUR = Duration.ofHours(1);

  @TempDir Path directory;
  private MutableClock clock;
  private VaultContractServer server;
  private VaultSession session;

  @BeforeEach
  void start() throws Exception {
    clock = new MutableClock(Instant.now());
    server = VaultContractServer.startHttps(clock, directory);
  }

  @AfterEach
  void stop() {
    if (session != null) {
      session.close();
    }
    server.close();
  }

  private VaultSession open(VaultAuth auth) {
    session =
        VaultSession.open(VaultSettings.https(server.address(), server.caFile(), auth), clock);
    return session;
  }

  /** Any authenticated request. */
  private static void use(VaultSession session) {
    VaultReply reply = session.list("transit/keys");
    assertTrue(reply.ok() || reply.notFound(), "status " + reply.status());
  }

  @Test
  void appRole_logsInOnFirstUse_andRenewsOnceTwoThirdsOfTheTtlHavePassed() {
    server.addAppRole("role-1", "secret-1", HOUR, Duration.ofHours(24), true);
    VaultSession session = open(new VaultAuth.AppRole("role-1", "secret-1"));

    use(session);
    clock.advance(Duration.ofMinutes(30));
    use(session);
    assertEquals(1, server.logins("approle"));
    assertEquals(0, server.renewals());

    clock.advance(Duration.ofMinutes(11));
    use(session);

    assertEquals(1, server.logins("approle"));
    assertEquals(1, server.renewals());
  }

  @Test
  void appRole_tokenNotRenewable_logsInAgainBeforeExpiry() {
    server.addAppRole("role-1", "secret-1", HOUR, HOUR, false);
    VaultSession session = open(new VaultAuth.AppRole("role-1", "secret-1"));
    use(session);

    clock.advance(Duration.ofMinutes(45));
    use(session);

    assertEquals(2, server.logins("approle"));
    assertEquals(0, server.renewals());
  }

  @Test
  void appRole_renewalCappedNearMaxTtl_logsInAgain() {
    server.addAppRole("role-1", "secret-1", HOUR, Duration.ofMinutes(90), true);
    VaultSession session = open(new VaultAuth.AppRole("role-1", "secret-1"));
    use(session);

    clock.advance(Duration.ofMinutes(41)); // renewal grants 49 minutes: enough
    use(session);
    assertEquals(1, server.logins("approle"));
    assertEquals(1, server.renewals());

    clock.advance(Duration.ofMinutes(33)); // renewal grants 16 minutes: near max TTL
    use(session);

    assertEquals(2, server.logins("approle"));
    assertEquals(2, server.renewals());
  }

  @Test
  void appRole_tokenExpiredWhileIdle_logsInAgain() {
    server.addAppRole("role-1", "secret-1", HOUR, Duration.ofHours(24), true);
    VaultSession session = open(new VaultAuth.AppRole("role-1", "secret-1"));
    use(session);

    clock.advance(Duration.ofHours(3));
    use(session);

    assertEquals(2, server.logins("approle"));
  }

  @Test
  void appRole_tokenRevokedInVault_403_logsInAgainAndRetriesOnce() {
    server.addAppRole("role-1", "secret-1", HOUR, Duration.ofHours(24), true);
    VaultSession session = open(new VaultAuth.AppRole("role-1", "secret-1"));
    use(session);

    server.revokeAllTokensExceptRoot();
    use(session);

    assertEquals(2, server.logins("approle"));
  }

  @Test
  void appRole_wrongSecretId_isUnavailableWithoutTheSecret() {
    server.addAppRole("role-1", "secret-1", HOUR, HOUR, true);
    VaultSession session = open(new VaultAuth.AppRole("role-1", "wrong-secret-id"));

    TrustbridgeException e = assertThrows(TrustbridgeException.class, () -> use(session));

    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("auth/approle/login"), e.getMessage());
    assertFalse(e.getMessage().contains("wrong-secret-id"), e.getMessage());
  }

  @Test
  void fixedToken_lookedUpAndRenewedBeforeExpiry_neverReplaced() {
    String token = server.createToken(HOUR, Duration.ofHours(24), true);
    VaultSession session = open(new VaultAuth.Token(token));
    use(session);

    clock.advance(Duration.ofMinutes(45));
    use(session);
    clock.advance(Duration.ofMinutes(45));
    use(session);

    assertEquals(2, server.renewals());
  }

  @Test
  void fixedToken_notRenewable_isUsedUntilVaultRefusesIt() {
    String token = server.createToken(HOUR, HOUR, false);
    VaultSession session = open(new VaultAuth.Token(token));
    use(session);

    clock.advance(Duration.ofMinutes(50));
    use(session);
    clock.advance(Duration.ofMinutes(20));
    TrustbridgeException e = assertThrows(TrustbridgeException.class, () -> use(session));

    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("Vault denied"), e.getMessage());
  }

  @Test
  void kubernetes_sendsTheJwtFileContent_andRereadsItAtTheNextLogin() throws Exception {
    Path jwtFile = directory.resolve("token");
    Files.writeString(jwtFile, "eyJhbGciOiJSUzI1NiJ9.first-projected-token.sig\n");
    server.addKubernetesRole(
        "trustbridge", "eyJhbGciOiJSUzI1NiJ9.first-projected-token.sig", HOUR, HOUR, false);
    VaultSession session = open(new VaultAuth.Kubernetes("trustbridge", jwtFile, "kubernetes"));
    use(session);

    Files.writeString(jwtFile, "eyJhbGciOiJSUzI1NiJ9.rotated-projected-token.sig");
    server.addKubernetesRole(
        "trustbridge", "eyJhbGciOiJSUzI1NiJ9.rotated-projected-token.sig", HOUR, HOUR, false);
    clock.advance(Duration.ofMinutes(45));
    use(session);

    assertEquals(
        List.of(
            "eyJhbGciOiJSUzI1NiJ9.first-projected-token.sig",
            "eyJhbGciOiJSUzI1NiJ9.rotated-projected-token.sig"),
        server.kubernetesJwtsSeen());
    assertEquals(2, server.logins("kubernetes"));
  }

  @Test
  void tls_withTheConfiguredCaFile_works() {
    VaultSession session = open(new VaultAuth.Token(VaultContractServer.ROOT_TOKEN));

    assertDoesNotThrow(session::requireHealthy);
    use(session);
  }

  @Test
  void tls_serverCertificateFromAnotherCa_isUnavailable() throws Exception {
    Path otherCa = directory.resolve("other-ca.pem");
    Files.writeString(
        otherCa,
        TestCertificates.pem(
            TestCertificates.selfSignedCa("Some other CA", Instant.now()).certificate()));
    session =
        VaultSession.open(
            VaultSettings.https(
                server.address(), otherCa, new VaultAuth.Token(VaultContractServer.ROOT_TOKEN)),
            clock);

    TrustbridgeException e = assertThrows(TrustbridgeException.class, () -> use(session));

    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("cannot"), e.getMessage());
  }

  @Test
  void plainHttp_isRefusedUnlessExplicitlyAllowed() throws Exception {
    VaultAuth auth = new VaultAuth.Token(VaultContractServer.ROOT_TOKEN);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new VaultSettings(
                    URI.create("http://localhost:8200"),
                    java.util.Optional.empty(),
                    false,
                    auth,
                    VaultSettings.DEFAULT_CONNECT_TIMEOUT,
                    VaultSettings.DEFAULT_REQUEST_TIMEOUT));
    assertTrue(e.getMessage().contains("https"), e.getMessage());

    try (VaultContractServer plain = VaultContractServer.startHttp(clock, directory);
        VaultSession overHttp =
            VaultSession.open(VaultSettings.plainHttpForTests(plain.address(), auth), clock)) {
      use(overHttp);
    }
  }

  @Test
  void toString_ofAuthSettingsAndSession_showsNoSecret() {
    VaultAuth.AppRole appRole = new VaultAuth.AppRole("role-1", "s.super-secret-id");
    VaultAuth.Token token = new VaultAuth.Token("hvs.super-secret-token");
    VaultSettings settings = VaultSettings.https(server.address(), server.caFile(), appRole);

    for (String text :
        List.of(
            appRole.toString(),
            token.toString(),
            settings.toString(),
            open(token).toString(),
            VaultSettings.https(server.address(), server.caFile(), token).toString())) {
      assertFalse(text.contains("super-secret"), text);
    }
  }
}
