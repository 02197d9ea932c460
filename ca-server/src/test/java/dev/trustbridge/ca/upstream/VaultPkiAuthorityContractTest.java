package dev.trustbridge.ca.upstream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.authority.AuthorityFixture;
import dev.trustbridge.ca.authority.AuthorityKind;
import dev.trustbridge.ca.authority.AuthorityRecord;
import dev.trustbridge.ca.authority.AuthorityState;
import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.authority.TrustDomainAuthority;
import dev.trustbridge.ca.keys.vault.VaultAuth;
import dev.trustbridge.ca.keys.vault.VaultContractServer;
import dev.trustbridge.ca.keys.vault.VaultSession;
import dev.trustbridge.ca.keys.vault.VaultSettings;
import dev.trustbridge.ca.upstream.vault.VaultPkiUpstream;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trust domain whose intermediates Vault PKI signs, against the {@link VaultContractServer} (a
 * real root CA it holds, over HTTPS): Vault's root is the bundle, rotation asks Vault again, a
 * Vault outage stops only rotation, and an upstream root rotation leaves no gap in the bundle.
 */
@DisplayName("Vault PKI upstream authority contract test (VaultContractServer)")
class VaultPkiAuthorityContractTest {
  private static final TrustDomain TD = TrustDomain.parse("example.org");
  private static final Duration ROOT_TTL = Duration.ofDays(60);
  private static final Duration INTERMEDIATE_TTL = Duration.ofDays(10);

  @TempDir Path dir;
  private MutableClock clock;
  private VaultContractServer vault;
  private VaultSession session;
  private AuthorityFixture fixture;

  @BeforeEach
  void start() throws Exception {
    clock = new MutableClock(Instant.now());
    vault = VaultContractServer.startHttps(clock, dir);
    session =
        VaultSession.open(
            VaultSettings.https(
                vault.address(),
                vault.caFile(),
                new VaultAuth.Token(VaultContractServer.ROOT_TOKEN)),
            clock);
    fixture = AuthorityFixture.open(TD, dir, clock).ttls(ROOT_TTL, INTERMEDIATE_TTL);
  }

  @AfterEach
  void stop() {
    fixture.close();
    session.close();
    vault.close();
  }

  private TrustDomainAuthority authority() {
    return authority(() -> {});
  }

  private TrustDomainAuthority authority(Runnable onClose) {
    return authority(Optional.empty(), onClose);
  }

  private TrustDomainAuthority authority(Optional<String> issuerRef, Runnable onClose) {
    VaultPki upstream =
        new VaultPki(
            VaultPkiUpstream.create(
                session, new VaultPkiUpstream.Settings("pki", issuerRef, INTERMEDIATE_TTL), clock),
            Optional.empty(),
            onClose);
    return fixture.initialized(upstream, fixture.keys());
  }

  private void advanceToPercentOfActive(TrustDomainAuthority authority, int percent) {
    X509Certificate active = authority.signer().ca().certificate();
    Instant notBefore = active.getNotBefore().toInstant();
    Duration life = Duration.between(notBefore, active.getNotAfter().toInstant());
    Instant target = notBefore.plus(life.multipliedBy(percent).dividedBy(100)).plusSeconds(1);
    clock.advance(Duration.between(clock.instant(), target));
  }

  @Test
  void firstStart_getsAnIntermediateSignedByVaultsRoot_whoseLeavesValidateAgainstTheBundle() {
    TrustDomainAuthority authority = authority();

    X509Certificate intermediate = authority.signer().ca().certificate();
    assertEquals(List.of(vault.pkiRootCertificate()), authority.bundle().x509Authorities());
    assertEquals(
        vault.pkiRootCertificate().getSubjectX500Principal(),
        intermediate.getIssuerX500Principal());
    assertDoesNotThrow(() -> intermediate.verify(vault.pkiRootCertificate().getPublicKey()));
    assertEquals(List.of(intermediate), authority.signer().chain());
    assertTrue(fixture.validates(fixture.issue(authority), authority.bundle()));
    AuthorityRecord root = fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE).get(0);
    assertTrue(root.keyId().startsWith("upstream:"), root.keyId());
    assertEquals(
        Optional.of(root.id()),
        fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE).get(0).issuerId());
  }

  @Test
  void restart_withVaultDown_rebuildsSignerAndBundleFromTheJournal() {
    TrustDomainAuthority first = authority();
    vault.stop();

    TrustDomainAuthority restarted = authority();

    assertEquals(first.bundle().x509Authorities(), restarted.bundle().x509Authorities());
    assertEquals(first.signer().ca().certificate(), restarted.signer().ca().certificate());
    assertTrue(fixture.validates(fixture.issue(restarted), restarted.bundle()));
  }

  @Test
  void intermediateIssuer_restartWithVaultDown_sendsTheWholeChainFromTheJournal() {
    Optional<String> issuerRef = Optional.of(vault.pkiIntermediateIssuerName());
    TrustDomainAuthority first = authority(issuerRef, () -> {});
    X509Certificate ours = first.signer().ca().certificate();
    assertEquals(List.of(ours, vault.pkiIntermediateCertificate()), first.signer().chain());
    assertEquals(List.of(vault.pkiRootCertificate()), first.bundle().x509Authorities());
    assertTrue(fixture.validates(fixture.issue(first), first.bundle()));
    vault.stop();

    TrustDomainAuthority restarted = authority(issuerRef, () -> {});

    assertEquals(first.signer().chain(), restarted.signer().chain());
    assertEquals(first.bundle().x509Authorities(), restarted.bundle().x509Authorities());
    assertTrue(fixture.validates(fixture.issue(restarted), restarted.bundle()));
    assertEquals(1, fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE).size());
    assertEquals(
        List.of(vault.pkiIntermediateCertificate()),
        fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE).get(0).upstreamChain());
  }

  @Test
  void rotation_withAMovedClock_asksVaultForANewIntermediate_andOldLeavesKeepValidating() {
    TrustDomainAuthority authority = authority();
    X509Certificate first = authority.signer().ca().certificate();

    advanceToPercentOfActive(authority, 50);
    authority.rotateIfDue();
    assertEquals(1, fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.PREPARED).size());
    assertEquals(first, authority.signer().ca().certificate());

    advanceToPercentOfActive(authority, 80);
    List<X509Certificate> oldLeaf = fixture.issue(authority); // still valid after the switch
    advanceToPercentOfActive(authority, 83);
    authority.rotateIfDue();

    X509Certificate second = authority.signer().ca().certificate();
    assertNotEquals(first, second);
    assertEquals(
        vault.pkiRootCertificate().getSubjectX500Principal(), second.getIssuerX500Principal());
    assertEquals(List.of(vault.pkiRootCertificate()), authority.bundle().x509Authorities());
    assertTrue(fixture.validates(oldLeaf, authority.bundle()));
    assertTrue(fixture.validates(fixture.issue(authority), authority.bundle()));
  }

  @Test
  void vaultDown_issuanceContinues_rotationIsRetried_andSucceedsWhenVaultReturns()
      throws Exception {
    TrustDomainAuthority authority = authority();
    X509Certificate first = authority.signer().ca().certificate();
    advanceToPercentOfActive(authority, 60);
    vault.stop();

    assertDoesNotThrow(authority::rotateIfDue);
    assertEquals(first, authority.signer().ca().certificate());
    assertTrue(fixture.validates(fixture.issue(authority), authority.bundle()));
    assertTrue(fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.PREPARED).isEmpty());
    TrustbridgeException prepare =
        assertThrows(
            TrustbridgeException.class, () -> authority.prepare(AuthorityKind.INTERMEDIATE));
    assertEquals(ErrorCode.UNAVAILABLE, prepare.code());

    vault.restart();
    authority.rotateIfDue();

    assertEquals(1, fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.PREPARED).size());
    advanceToPercentOfActive(authority, 84);
    authority.rotateIfDue();
    assertNotEquals(first, authority.signer().ca().certificate());
  }

  @Test
  void upstreamRootRotation_keepsBothRootsInTheBundleUntilTheOldIntermediatesExpire() {
    TrustDomainAuthority authority = authority();
    X509Certificate oldRoot = vault.pkiRootCertificate();
    X509Certificate oldIntermediate = authority.signer().ca().certificate();
    X509Certificate newRoot = vault.rotatePkiRoot();

    advanceToPercentOfActive(authority, 50);
    authority.rotateIfDue();
    // The next intermediate chains to the new root, which is published before it signs anything.
    assertEquals(List.of(oldRoot, newRoot), authority.bundle().x509Authorities());
    assertEquals(oldIntermediate, authority.signer().ca().certificate());

    advanceToPercentOfActive(authority, 80);
    List<X509Certificate> oldLeaf = fixture.issue(authority);
    advanceToPercentOfActive(authority, 83);
    authority.rotateIfDue();

    assertEquals(
        newRoot.getSubjectX500Principal(),
        authority.signer().ca().certificate().getIssuerX500Principal());
    assertEquals(List.of(oldRoot, newRoot), authority.bundle().x509Authorities());
    assertTrue(fixture.validates(oldLeaf, authority.bundle()));
    assertTrue(fixture.validates(fixture.issue(authority), authority.bundle()));

    clock.advance(Duration.between(clock.instant(), oldIntermediate.getNotAfter().toInstant()));
    clock.advance(Duration.ofSeconds(1));
    authority.rotateIfDue();

    assertEquals(List.of(newRoot), authority.bundle().x509Authorities());
    assertFalse(
        authority.list().stream().anyMatch(i -> i.inBundle() && i.certificate().equals(oldRoot)));
    assertTrue(fixture.validates(fixture.issue(authority), authority.bundle()));
  }

  @Test
  void rootsComeFromVault_soPreparingOrTaintingARootIsRefused() {
    TrustDomainAuthority authority = authority();
    AuthorityRecord root = fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE).get(0);

    TrustbridgeException prepare =
        assertThrows(TrustbridgeException.class, () -> authority.prepare(AuthorityKind.ROOT));
    TrustbridgeException taint =
        assertThrows(TrustbridgeException.class, () -> authority.taint(root.id()));

    assertEquals(ErrorCode.FAILED_PRECONDITION, prepare.code());
    assertTrue(
        prepare.getMessage().contains("upstream authority (vault-pki)"), prepare.getMessage());
    assertEquals(ErrorCode.FAILED_PRECONDITION, taint.code());
  }

  @Test
  void taintedIntermediate_isReplacedByANewOneFromVault() {
    TrustDomainAuthority authority = authority();
    AuthorityRecord active =
        fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE).get(0);

    authority.taint(active.id());

    assertNotEquals(active.certificate(), authority.signer().ca().certificate());
    assertTrue(fixture.validates(fixture.issue(authority), authority.bundle()));
  }

  @Test
  void close_closesTheUpstreamsVaultSession_andKeepsTheJournal() {
    java.util.concurrent.atomic.AtomicInteger closed =
        new java.util.concurrent.atomic.AtomicInteger();
    TrustDomainAuthority authority = authority(closed::incrementAndGet);
    List<X509Certificate> before = authority.bundle().x509Authorities();
    authority.close();
    assertEquals(1, closed.get());
    // A restart finds the same roots: closing released the session, not the CA.
    assertEquals(before, authority().bundle().x509Authorities());
  }
}
