package dev.trustbridge.ca.authority;

import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.svid.CaCertificateBuilder;
import dev.trustbridge.spiffe.svid.IssuingCa;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Rotation of a trust domain that makes its own roots: each root and intermediate is created here,
 * prepared at {@code prepareAtPercent} of its predecessor's lifetime and activated at {@code
 * activateAtPercent}. Callers hold the {@link TrustDomainAuthority}'s lock.
 */
final class SelfSignedRotation {
  private final TrustDomainAuthority.Settings settings;
  private final AuthorityJournal journal;
  private final AuthorityKeys keys;
  private final Clock clock;

  SelfSignedRotation(
      TrustDomainAuthority.Settings settings,
      AuthorityJournal journal,
      AuthorityKeys keys,
      Clock clock) {
    this.settings = settings;
    this.journal = journal;
    this.keys = keys;
    this.clock = clock;
  }

  /**
   * Brings the journal to the state the clock calls for; the caller then reloads signer and bundle.
   */
  void reconcile() {
    Instant now = clock.instant();
    AuthorityRecord root = activeRootOf(journal.read());
    JournalView view = journal.read();
    Optional<AuthorityRecord> preparedRoot =
        view.newest(AuthorityKind.ROOT, AuthorityState.PREPARED, r -> !view.tainted(r));
    X509Certificate rootCertificate = root.certificate();
    if (preparedRoot.isEmpty()
        && (view.tainted(root)
            || JournalView.due(rootCertificate, settings.prepareAtPercent(), now))) {
      preparedRoot = Optional.of(createRoot(AuthorityState.PREPARED));
    }
    if (preparedRoot.isPresent()
        && JournalView.due(rootCertificate, settings.activateAtPercent(), now)) {
      journal.promote(preparedRoot.get());
      root = preparedRoot.get();
    }
    reconcileIntermediates(root, now);
  }

  /** A new PREPARED CA of {@code kind}; an intermediate is signed by the active root. */
  AuthorityRecord prepare(AuthorityKind kind, JournalView view) {
    AuthorityRecord root = activeRootOf(view);
    return kind == AuthorityKind.ROOT
        ? createRoot(AuthorityState.PREPARED)
        : createIntermediate(root, AuthorityState.PREPARED);
  }

  private void reconcileIntermediates(AuthorityRecord root, Instant now) {
    JournalView view = journal.read();
    Predicate<AuthorityRecord> usable =
        r -> r.issuerId().equals(Optional.of(root.id())) && !view.tainted(r);
    Optional<AuthorityRecord> active =
        view.newest(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE, usable);
    Optional<AuthorityRecord> prepared =
        view.newest(AuthorityKind.INTERMEDIATE, AuthorityState.PREPARED, usable);
    AuthorityRecord next;
    if (active.isEmpty()) {
      next = prepared.orElseGet(() -> createIntermediate(root, AuthorityState.PREPARED));
    } else {
      X509Certificate current = active.get().certificate();
      if (prepared.isEmpty() && JournalView.due(current, settings.prepareAtPercent(), now)) {
        prepared = Optional.of(createIntermediate(root, AuthorityState.PREPARED));
      }
      boolean activate =
          prepared.isPresent() && JournalView.due(current, settings.activateAtPercent(), now);
      next = activate ? prepared.get() : active.get();
    }
    // Also retires whatever else is ACTIVE: another root's, a tainted one, a crash leftover.
    journal.promote(next);
  }

  /** The active root, activating a prepared one or creating the first where there is none. */
  private AuthorityRecord activeRootOf(JournalView view) {
    Optional<AuthorityRecord> active =
        view.newest(AuthorityKind.ROOT, AuthorityState.ACTIVE, r -> true);
    if (active.isPresent()) {
      journal.retireAllBut(view, AuthorityKind.ROOT, active);
      return active.get();
    }
    AuthorityRecord next =
        view.newest(AuthorityKind.ROOT, AuthorityState.PREPARED, r -> !view.tainted(r))
            .orElseGet(() -> createRoot(AuthorityState.PREPARED));
    journal.promote(next);
    return journal.get(next.id()).orElseThrow();
  }

  private AuthorityRecord createRoot(AuthorityState state) {
    String id = journal.newId("root");
    CaKey key = keys.roots().generate(id, settings.keyType());
    X509Certificate certificate =
        CaCertificateBuilder.selfSigned(settings.trustDomain(), key, clock)
            .organization(settings.organization())
            .ttl(settings.rootTtl())
            .build();
    return journal.insert(id, AuthorityKind.ROOT, state, key.id(), certificate, Optional.empty());
  }

  private AuthorityRecord createIntermediate(AuthorityRecord root, AuthorityState state) {
    IssuingCa rootCa = IssuingCa.of(root.certificate(), keys.of(root));
    String id = journal.newId("intermediate");
    CaKey key = keys.intermediates().generate(id, settings.keyType());
    X509Certificate certificate =
        CaCertificateBuilder.intermediate(settings.trustDomain(), key.publicKey(), rootCa, clock)
            .organization(settings.organization())
            .ttl(settings.intermediateTtl())
            .build();
    return journal.insert(
        id, AuthorityKind.INTERMEDIATE, state, key.id(), certificate, Optional.of(root.id()));
  }
}
