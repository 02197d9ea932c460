package dev.trustbridge.ca.authority;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditQuery;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.InMemoryKeyManager;
import dev.trustbridge.spiffe.keys.KeyType;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustDomainAuthorityTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final TrustDomain TD = TrustDomain.parse("td");
  private static final Duration ROOT_TTL = Duration.ofDays(365);
  private static final Duration INTERMEDIATE_TTL = Duration.ofDays(30);
  private static final Duration MAX_LEAF_TTL = AuthorityFixture.MAX_LEAF_TTL;
  private static final Duration REFRESH_HINT = AuthorityFixture.REFRESH_HINT;

  @TempDir Path dir;

  private MutableClock clock;
  private AuthorityFixture fixture;
  private InMemoryKeyManager keys;

  @BeforeEach
  void open() {
    clock = new MutableClock(T0);
    fixture = AuthorityFixture.open(TD, dir, clock).ttls(ROOT_TTL, INTERMEDIATE_TTL);
    keys = fixture.keys();
  }

  @AfterEach
  void close() {
    fixture.close();
  }

  private static AuthorityRecord only(List<AuthorityRecord> records) {
    assertEquals(1, records.size(), records.toString());
    return records.get(0);
  }

  @Test
  void signerAndBundle_beforeInitialize_areUnavailable() {
    TrustDomainAuthority authority = fixture.authority();

    TrustbridgeException e = assertThrows(TrustbridgeException.class, authority::signer);
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertEquals(
        ErrorCode.UNAVAILABLE, assertThrows(TrustbridgeException.class, authority::bundle).code());
  }

  @Test
  void initialize_firstTime_createsOneRootAndOneIntermediateWithTheirKeys() throws Exception {
    TrustDomainAuthority authority = fixture.initialized();

    assertEquals(2, fixture.journal().size());
    AuthorityRecord root = only(fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE));
    AuthorityRecord intermediate =
        only(fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE));
    assertEquals(Optional.empty(), root.issuerId());
    assertEquals(Optional.of(root.id()), intermediate.issuerId());
    assertEquals(
        List.of(intermediate.keyId(), root.keyId()).stream().sorted().toList(), keys.keyIds());

    TrustDomainAuthority.Signer signer = authority.signer();
    assertArrayEquals(intermediate.certificateDer(), signer.ca().certificate().getEncoded());
    assertEquals(List.of(signer.ca().certificate()), signer.chain());
    assertArrayEquals(
        keys.find(intermediate.keyId()).orElseThrow().publicKey().getEncoded(),
        signer.ca().certificate().getPublicKey().getEncoded());

    List<X509Certificate> roots = authority.bundle().x509Authorities();
    assertEquals(1, roots.size());
    assertArrayEquals(root.certificateDer(), roots.get(0).getEncoded());
    signer.ca().certificate().verify(roots.get(0).getPublicKey());
    assertEquals(T0.plus(INTERMEDIATE_TTL), intermediate.notAfter());
    assertEquals(T0.plus(ROOT_TTL), root.notAfter());
  }

  @Test
  void initialize_recordsEachNewCaInTheAuditLog() {
    fixture.initialized();

    List<AuditEvent> events =
        fixture.datastore().auditLog().query(AuditQuery.newest().withAction("authority.activate"));
    assertEquals(
        List.of("td/intermediate", "td/root"),
        events.stream().map(AuditEvent::subject).sorted().toList());
    for (AuditEvent event : events) {
      assertEquals(AuditEvent.OK, event.outcome());
      assertTrue(event.serial().isPresent());
      assertTrue(event.expiresAt().isPresent());
    }
  }

  @Test
  void taint_ofTheActiveIntermediate_auditsTheTaintAndEveryStepOfItsReplacementOnce() {
    TrustDomainAuthority authority = fixture.initialized();
    String tainted = authority.signer().ca().certificate().getSerialNumber().toString(16);
    String taintedId =
        fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE).get(0).id();

    authority.taint(taintedId);

    String replacement = authority.signer().ca().certificate().getSerialNumber().toString(16);
    assertNotEquals(tainted, replacement);
    List<AuditEvent> events = fixture.datastore().auditLog().query(AuditQuery.newest());
    // Newest first: the replacement is prepared and activated, then the tainted one retires.
    assertEquals(
        List.of(
            "authority.retire td/intermediate " + tainted,
            "authority.activate td/intermediate " + replacement,
            "authority.prepare td/intermediate " + replacement,
            "authority.taint td/intermediate " + tainted),
        events.subList(0, 4).stream()
            .map(e -> e.action() + " " + e.subject() + " " + e.serial().orElseThrow())
            .toList());
  }

  @Test
  void bundle_hasSequenceAtLeastOneAndTheConfiguredRefreshHint() {
    SpiffeBundle bundle = fixture.initialized().bundle();

    assertEquals(TD, bundle.trustDomain());
    assertTrue(bundle.sequence().orElseThrow().compareTo(BigInteger.ONE) >= 0);
    assertEquals(Optional.of(REFRESH_HINT), bundle.refreshHint());
  }

  @Test
  void initialize_secondAuthorityOverTheSameStores_reusesTheCasAndTheSequence() throws Exception {
    TrustDomainAuthority first = fixture.initialized();
    List<AuthorityRecord> journalBefore = fixture.journal();
    List<String> keysBefore = keys.keyIds();
    clock.advance(Duration.ofHours(1));

    TrustDomainAuthority second = fixture.initialized();

    assertEquals(journalBefore, fixture.journal());
    assertEquals(keysBefore, keys.keyIds());
    assertArrayEquals(
        first.signer().ca().certificate().getEncoded(),
        second.signer().ca().certificate().getEncoded());
    assertEquals(first.bundle(), second.bundle());
    assertEquals(first.bundle().sequence(), second.bundle().sequence());
    // And the same instance initialized again changes nothing either.
    second.initialize();
    assertEquals(journalBefore, fixture.journal());
    assertEquals(first.bundle(), second.bundle());
  }

  @Test
  void rotateIfDue_beforeThePreparePoint_changesNothing() throws Exception {
    TrustDomainAuthority authority = fixture.initialized();
    X509Certificate before = authority.signer().ca().certificate();
    clock.advance(INTERMEDIATE_TTL.multipliedBy(40).dividedBy(100));

    authority.rotateIfDue();

    assertArrayEquals(before.getEncoded(), authority.signer().ca().certificate().getEncoded());
    assertEquals(2, fixture.journal().size());
  }

  @Test
  void rotateIfDue_pastThePreparePoint_preparesAnIntermediateThatDoesNotSignYet() throws Exception {
    TrustDomainAuthority authority = fixture.initialized();
    X509Certificate before = authority.signer().ca().certificate();
    SpiffeBundle bundleBefore = authority.bundle();
    clock.advance(INTERMEDIATE_TTL.multipliedBy(51).dividedBy(100));

    authority.rotateIfDue();

    AuthorityRecord prepared =
        only(fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.PREPARED));
    assertEquals(
        Optional.of(only(fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE)).id()),
        prepared.issuerId());
    assertArrayEquals(before.getEncoded(), authority.signer().ca().certificate().getEncoded());
    assertEquals(bundleBefore, authority.bundle());
    assertTrue(keys.keyIds().contains(prepared.keyId()));
  }

  @Test
  void rotateIfDue_pastTheActivatePoint_activatesThePreparedIntermediateAndKeepsTheBundle()
      throws Exception {
    TrustDomainAuthority authority = fixture.initialized();
    List<SpiffeBundle> notified = new ArrayList<>();
    authority.onBundleChange(notified::add);
    AuthorityRecord oldIntermediate =
        only(fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE));
    SpiffeBundle bundleBefore = authority.bundle();
    clock.advance(INTERMEDIATE_TTL.multipliedBy(51).dividedBy(100));
    authority.rotateIfDue();
    AuthorityRecord prepared =
        only(fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.PREPARED));
    clock.advance(INTERMEDIATE_TTL.multipliedBy(33).dividedBy(100));

    authority.rotateIfDue();

    AuthorityRecord root = only(fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE));
    AuthorityRecord newIntermediate =
        only(fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE));
    AuthorityRecord retired = only(fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.OLD));
    assertEquals(oldIntermediate.id(), retired.id());
    assertEquals(prepared.id(), newIntermediate.id());
    assertEquals(
        clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS), retired.updatedAt());
    assertEquals(Optional.of(root.id()), newIntermediate.issuerId());
    assertArrayEquals(
        newIntermediate.certificateDer(), authority.signer().ca().certificate().getEncoded());

    assertEquals(bundleBefore, authority.bundle());
    assertEquals(bundleBefore.sequence(), authority.bundle().sequence());
    assertEquals(List.of(), notified);

    // Another replica starting now picks up the new intermediate, not the old one.
    assertArrayEquals(
        newIntermediate.certificateDer(),
        fixture.initialized().signer().ca().certificate().getEncoded());
  }

  @Test
  void onBundleChange_isCalledWhenTheFirstBundleIsMade() {
    TrustDomainAuthority authority = fixture.authority();
    List<SpiffeBundle> notified = new ArrayList<>();
    authority.onBundleChange(notified::add);

    authority.initialize();

    assertEquals(List.of(authority.bundle()), notified);
  }

  @Test
  void settings_maxLeafTtlLongerThanAnIntermediateIsActive_isRefused() {
    // Activated at 83%, an intermediate signs for 17% of its life: 1 day needs at least 5.9 days.
    for (Duration intermediate : List.of(Duration.ofDays(5), Duration.ofDays(1))) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  new TrustDomainAuthority.Settings(
                      TD,
                      KeyType.EC_P256,
                      ROOT_TTL,
                      intermediate,
                      "Acme",
                      MAX_LEAF_TTL,
                      REFRESH_HINT));
      assertEquals(
          "the maximum leaf TTL must fit between an intermediate's activation and its expiry",
          e.getMessage());
    }
    new TrustDomainAuthority.Settings(
        TD, KeyType.EC_P256, ROOT_TTL, Duration.ofDays(6), "Acme", MAX_LEAF_TTL, REFRESH_HINT);
  }

  @Test
  void settings_intermediateTtlLongerThanARootIsActive_isRefused() {
    for (Duration intermediate : List.of(Duration.ofDays(63), ROOT_TTL)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  new TrustDomainAuthority.Settings(
                      TD,
                      KeyType.EC_P256,
                      ROOT_TTL,
                      intermediate,
                      "Acme",
                      MAX_LEAF_TTL,
                      REFRESH_HINT));
      assertEquals(
          "the intermediate TTL must fit between a root's activation and its expiry",
          e.getMessage());
    }
  }

  @Test
  void initialize_missingKeyOfAStoredCa_failsWithFailedPrecondition() {
    fixture.initialized();
    AuthorityRecord root = only(fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE));
    keys.delete(root.keyId());

    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, fixture.authority()::initialize);

    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertFalse(e.getMessage().isBlank());
  }
}
