package dev.trustbridge.ca.authority;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
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

/**
 * Rotation driven by a moved clock: leaves issued before, during and after every step keep
 * validating against the served bundle until they expire; new roots are published before they sign;
 * operators can prepare, activate, taint and revoke; half-done rotations are repaired.
 */
class AuthorityRotationTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final TrustDomain TD = TrustDomain.parse("td");
  private static final Duration ROOT_TTL = Duration.ofDays(60);
  private static final Duration INTERMEDIATE_TTL = Duration.ofDays(10);
  private static final Duration REFRESH_HINT = AuthorityFixture.REFRESH_HINT;

  @TempDir Path dir;
  private MutableClock clock;
  private AuthorityFixture fixture;

  @BeforeEach
  void open() {
    clock = new MutableClock(T0);
    fixture = AuthorityFixture.open(TD, dir, clock).ttls(ROOT_TTL, INTERMEDIATE_TTL);
  }

  @AfterEach
  void close() {
    fixture.close();
  }

  @Test
  void overTwoRootLifetimes_everyUnexpiredLeafValidatesAgainstTheServedBundle() {
    TrustDomainAuthority authority = fixture.initialized();
    List<List<X509Certificate>> issued = new ArrayList<>();
    Duration step = Duration.ofHours(6);
    int rootsSeen = 1;
    for (Instant end = T0.plus(ROOT_TTL.multipliedBy(2)); clock.instant().isBefore(end); ) {
      issued.add(fixture.issue(authority));
      clock.advance(step);
      authority.rotateIfDue();
      SpiffeBundle served = authority.bundle();
      for (List<X509Certificate> chain : issued) {
        boolean unexpired = chain.get(0).getNotAfter().toInstant().isAfter(clock.instant());
        if (unexpired) {
          assertTrue(
              fixture.validates(chain, served),
              "leaf issued at " + chain.get(0).getNotBefore() + " fails at " + clock.instant());
        }
      }
      issued.removeIf(c -> !c.get(0).getNotAfter().toInstant().isAfter(clock.instant()));
      rootsSeen =
          Math.max(
              rootsSeen,
              (int) fixture.journal().stream().filter(r -> r.kind() == AuthorityKind.ROOT).count());
      assertEquals(1, fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE).size());
      assertEquals(1, fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE).size());
    }
    assertTrue(rootsSeen >= 3, "roots rotated " + rootsSeen);
  }

  @Test
  void aPreparedRoot_isInTheBundleBeforeItSignsAnything() {
    TrustDomainAuthority authority = fixture.initialized();
    AuthorityRecord firstRoot = fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE).get(0);
    BigInteger sequence = authority.bundle().sequence().orElseThrow();
    // Step to the prepare point of the root.
    while (fixture.journal(AuthorityKind.ROOT, AuthorityState.PREPARED).isEmpty()) {
      clock.advance(Duration.ofHours(12));
      authority.rotateIfDue();
      assertEquals(
          firstRoot.id(), fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE).get(0).id());
    }
    AuthorityRecord prepared = fixture.journal(AuthorityKind.ROOT, AuthorityState.PREPARED).get(0);
    assertEquals(2, authority.bundle().x509Authorities().size());
    assertEquals(sequence.add(BigInteger.ONE), authority.bundle().sequence().orElseThrow());
    // No intermediate is signed by the prepared root until it is activated.
    assertTrue(
        fixture.journal().stream().noneMatch(r -> r.issuerId().equals(Optional.of(prepared.id()))));
    Instant publishedAt = clock.instant();
    while (fixture
        .journal(AuthorityKind.ROOT, AuthorityState.ACTIVE)
        .get(0)
        .id()
        .equals(firstRoot.id())) {
      clock.advance(Duration.ofHours(12));
      authority.rotateIfDue();
    }
    // Published long before use: far more than 3-5 refresh hints.
    assertTrue(
        Duration.between(publishedAt, clock.instant()).compareTo(REFRESH_HINT.multipliedBy(5)) > 0);
    assertEquals(
        Optional.of(prepared.id()),
        fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE).get(0).issuerId());
  }

  @Test
  void anOldRoot_leavesTheBundleOnceNothingItSignedIsValid() {
    TrustDomainAuthority authority = fixture.initialized();
    AuthorityRecord firstRoot = fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE).get(0);
    while (fixture.journal(AuthorityKind.ROOT, AuthorityState.OLD).isEmpty()) {
      clock.advance(Duration.ofHours(12));
      authority.rotateIfDue();
    }
    assertEquals(2, authority.bundle().x509Authorities().size());
    Instant lastIntermediateExpiry =
        fixture.journal().stream()
            .filter(r -> r.issuerId().equals(Optional.of(firstRoot.id())))
            .map(AuthorityRecord::notAfter)
            .max(Instant::compareTo)
            .orElseThrow();
    clock.set(lastIntermediateExpiry.plusSeconds(1));
    authority.rotateIfDue();
    assertFalse(
        authority.bundle().x509Authorities().stream()
            .anyMatch(c -> c.getSerialNumber().equals(firstRoot.certificate().getSerialNumber())));
  }

  @Test
  void prepareAndActivate_byHand_followTheJournal() {
    TrustDomainAuthority authority = fixture.initialized();
    AuthorityRecord prepared = authority.prepare(AuthorityKind.ROOT);
    assertEquals(AuthorityState.PREPARED, prepared.state());
    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        assertThrows(TrustbridgeException.class, () -> authority.prepare(AuthorityKind.ROOT))
            .code());
    // Too soon: peers may not have the new root yet.
    TrustbridgeException tooSoon =
        assertThrows(
            TrustbridgeException.class, () -> authority.activate(AuthorityKind.ROOT, false));
    assertEquals(ErrorCode.FAILED_PRECONDITION, tooSoon.code());
    clock.advance(REFRESH_HINT.multipliedBy(3));
    AuthorityRecord activated = authority.activate(AuthorityKind.ROOT, false);
    assertEquals(prepared.id(), activated.id());
    assertEquals(AuthorityState.ACTIVE, activated.state());
    assertEquals(
        Optional.of(prepared.id()),
        fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE).get(0).issuerId());
    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        assertThrows(
                TrustbridgeException.class,
                () -> authority.activate(AuthorityKind.INTERMEDIATE, false))
            .code());
  }

  @Test
  void taintingTheActiveIntermediate_replacesItAtOnce() {
    TrustDomainAuthority authority = fixture.initialized();
    AuthorityRecord intermediate =
        fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE).get(0);
    List<X509Certificate> before = fixture.issue(authority);

    authority.taint(intermediate.id());

    AuthorityRecord replacement =
        fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE).get(0);
    assertFalse(replacement.id().equals(intermediate.id()));
    assertEquals(
        replacement.id(),
        authority.list().stream()
            .filter(i -> i.record().state() == AuthorityState.ACTIVE)
            .filter(i -> i.record().kind() == AuthorityKind.INTERMEDIATE)
            .findFirst()
            .orElseThrow()
            .record()
            .id());
    // Leaves of the tainted intermediate still validate: tainting is not revoking.
    assertTrue(fixture.validates(before, authority.bundle()));
  }

  @Test
  void revokingATaintedOldRoot_dropsItFromTheBundleAndItsLeavesStopValidating() {
    TrustDomainAuthority authority = fixture.initialized();
    AuthorityRecord firstRoot = fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE).get(0);
    List<X509Certificate> oldLeaf = fixture.issue(authority);
    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        assertThrows(TrustbridgeException.class, () -> authority.revoke(firstRoot.id())).code());

    authority.taint(firstRoot.id());
    assertEquals(1, fixture.journal(AuthorityKind.ROOT, AuthorityState.PREPARED).size());
    clock.advance(REFRESH_HINT.multipliedBy(3));
    authority.activate(AuthorityKind.ROOT, false);
    assertTrue(fixture.validates(oldLeaf, authority.bundle()));

    authority.revoke(firstRoot.id());

    assertEquals(1, authority.bundle().x509Authorities().size());
    assertFalse(fixture.validates(oldLeaf, authority.bundle()));
    assertTrue(fixture.validates(fixture.issue(authority), authority.bundle()));
    assertTrue(authority.list().stream().anyMatch(i -> i.revoked() && !i.inBundle()));
  }

  @Test
  void aCrashBetweenActivatingAndRetiring_isRepairedOnTheNextStart() {
    fixture.initialized();
    AuthorityRecord firstRoot = fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE).get(0);
    TrustDomainAuthority second = fixture.initialized();
    // Time passes between the two roots, as it always does outside a frozen test clock.
    clock.advance(Duration.ofMinutes(1));
    AuthorityRecord prepared = second.prepare(AuthorityKind.ROOT);
    // Half a promotion: the prepared root went ACTIVE, the old one did not retire yet.
    fixture
        .datastore()
        .authorities()
        .transition(prepared.id(), AuthorityState.PREPARED, AuthorityState.ACTIVE, clock.instant());
    assertEquals(2, fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE).size());

    TrustDomainAuthority restarted = fixture.initialized();

    assertEquals(
        prepared.id(), fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE).get(0).id());
    assertEquals(1, fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE).size());
    assertEquals(
        firstRoot.id(), fixture.journal(AuthorityKind.ROOT, AuthorityState.OLD).get(0).id());
    assertEquals(1, fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE).size());
    assertEquals(
        Optional.of(prepared.id()),
        fixture.journal(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE).get(0).issuerId());
    assertTrue(fixture.validates(fixture.issue(restarted), restarted.bundle()));
  }

  @Test
  void aPreparedRootWithNoActiveOne_isActivatedOnStart() {
    fixture.initialized();
    AuthorityRecord firstRoot = fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE).get(0);
    clock.advance(Duration.ofMinutes(1));
    AuthorityRecord prepared = fixture.initialized().prepare(AuthorityKind.ROOT);
    fixture
        .datastore()
        .authorities()
        .transition(firstRoot.id(), AuthorityState.ACTIVE, AuthorityState.OLD, clock.instant());

    fixture.initialized();

    assertEquals(
        prepared.id(), fixture.journal(AuthorityKind.ROOT, AuthorityState.ACTIVE).get(0).id());
  }
}
