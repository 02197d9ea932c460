package dev.trustbridge.ca.authority;

import dev.trustbridge.ca.upstream.PluginCa;
import dev.trustbridge.ca.upstream.PluginFiles;
import dev.trustbridge.ca.upstream.UpstreamAuthority;
import dev.trustbridge.ca.upstream.VaultPki;
import dev.trustbridge.ca.upstream.vault.SignedIntermediate;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.CaKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotation of a trust domain whose trust comes from an {@link UpstreamAuthority}: the journal
 * records the upstream's roots ({@code upstream:<sha-256 prefix>}, no key here) and the
 * intermediates they issued, from {@link VaultPki} (rotated on the self-signed schedule) or from
 * {@link PluginFiles} (changed when the files do). Callers hold the {@link TrustDomainAuthority}'s
 * lock.
 */
final class UpstreamRotation {
  // The facade's name, so that one logger still covers every step of a trust domain's rotation.
  private static final Logger LOG = LoggerFactory.getLogger(TrustDomainAuthority.class);

  private static final String UPSTREAM_KEY = "upstream:";

  private final TrustDomainAuthority.Settings settings;
  private final UpstreamAuthority upstream;
  private final AuthorityJournal journal;
  private final AuthorityKeys keys;
  private final Clock clock;

  /**
   * The plug-in files' certificates between their CA and its root, by intermediate id, as last read
   * from the files (which may correct them without changing the CA). Vault's are in the journal.
   */
  private final Map<String, List<X509Certificate>> fileChains = new ConcurrentHashMap<>();

  UpstreamRotation(
      TrustDomainAuthority.Settings settings,
      UpstreamAuthority upstream,
      AuthorityJournal journal,
      AuthorityKeys keys,
      Clock clock) {
    this.settings = settings;
    this.upstream = upstream;
    this.journal = journal;
    this.keys = keys;
    this.clock = clock;
  }

  /** The upstream certificates to send after {@code intermediate}'s own, if there are any. */
  List<X509Certificate> chainAbove(AuthorityRecord intermediate) {
    List<X509Certificate> fromFiles = fileChains.get(intermediate.id());
    return fromFiles != null ? fromFiles : intermediate.upstreamChain();
  }

  /**
   * Prepares a Vault-signed intermediate now.
   *
   * @throws TrustbridgeException FAILED_PRECONDITION for a root, or with plug-in files
   */
  AuthorityRecord prepare(AuthorityKind kind) {
    if (kind == AuthorityKind.ROOT) {
      throw new TrustbridgeException(ErrorCode.FAILED_PRECONDITION, rootsFromUpstream());
    }
    if (upstream instanceof VaultPki vault) {
      return createUpstreamIntermediate(vault, AuthorityState.PREPARED);
    }
    throw new TrustbridgeException(
        ErrorCode.FAILED_PRECONDITION,
        "the CA of "
            + settings.trustDomain()
            + " comes from plug-in files; replace the files to rotate it");
  }

  /**
   * As the self-signed rotation, but every new intermediate is signed by Vault; the caller then
   * reloads signer and bundle.
   */
  void reconcileVault(VaultPki vault) {
    Instant now = clock.instant();
    JournalView view = journal.read();
    Predicate<AuthorityRecord> usable = r -> !view.tainted(r) && chainKnown(view, r);
    Optional<AuthorityRecord> active =
        view.newest(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE, usable);
    Optional<AuthorityRecord> prepared =
        view.newest(AuthorityKind.INTERMEDIATE, AuthorityState.PREPARED, usable);
    if (active.isEmpty()) {
      // First start or a tainted intermediate: there is nothing to keep signing with, so a Vault
      // that is down fails this call (and start), and the next maintenance tick retries.
      activateUpstream(
          prepared.orElseGet(() -> createUpstreamIntermediate(vault, AuthorityState.PREPARED)));
      return;
    }
    X509Certificate current = active.get().certificate();
    if (prepared.isEmpty() && JournalView.due(current, settings.prepareAtPercent(), now)) {
      prepared = tryPrepare(vault, current);
    }
    if (prepared.isPresent() && JournalView.due(current, settings.activateAtPercent(), now)) {
      activateUpstream(prepared.get());
    }
  }

  /** A Vault outage while {@code current} still signs only postpones the step. */
  private Optional<AuthorityRecord> tryPrepare(VaultPki vault, X509Certificate current) {
    try {
      return Optional.of(createUpstreamIntermediate(vault, AuthorityState.PREPARED));
    } catch (TrustbridgeException e) {
      LOG.warn(
          "cannot prepare the next intermediate of {} at {}; the active one keeps signing"
              + " (not_after={}) and the step is retried at the next maintenance: {}",
          settings.trustDomain(),
          vault.signPath(),
          current.getNotAfter().toInstant(),
          e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * Records the files' CA and roots, and makes them active when the files changed; the caller then
   * reloads signer and bundle.
   */
  void reconcileFiles(PluginFiles files) {
    PluginCa ca = files.reload();
    List<AuthorityRecord> roots = recordUpstreamRoots(ca.roots());
    AuthorityRecord anchor = roots.get(ca.roots().indexOf(ca.anchor()));
    X509Certificate caCertificate = ca.ca().certificate();
    AuthorityRecord intermediate =
        journal.read().records().stream()
            .filter(r -> r.kind() == AuthorityKind.INTERMEDIATE)
            .filter(r -> r.state() != AuthorityState.OLD)
            .filter(r -> r.issuerId().equals(Optional.of(anchor.id())))
            .filter(r -> r.certificate().equals(caCertificate))
            .findFirst()
            .orElseGet(
                () ->
                    journal.insert(
                        journal.newId("plugin"),
                        AuthorityKind.INTERMEDIATE,
                        AuthorityState.PREPARED,
                        ca.keyId(),
                        caCertificate,
                        Optional.of(anchor.id()),
                        ca.chain()));
    fileChains.put(intermediate.id(), ca.chain());
    if (intermediate.state() != AuthorityState.ACTIVE || anchor.state() != AuthorityState.ACTIVE) {
      activateUpstream(intermediate);
    }
  }

  /** Its root becomes the active root (the one before retires), then the intermediate itself. */
  void activateUpstream(AuthorityRecord intermediate) {
    AuthorityRecord root =
        intermediate
            .issuerId()
            .flatMap(journal::get)
            .orElseThrow(
                () -> new IllegalStateException("upstream root of " + intermediate.id() + " gone"));
    journal.promote(root);
    journal.promote(journal.get(intermediate.id()).orElseThrow());
  }

  static boolean isUpstreamRoot(AuthorityRecord record) {
    return record.kind() == AuthorityKind.ROOT && record.keyId().startsWith(UPSTREAM_KEY);
  }

  /** Why an operator cannot prepare, activate or taint a root of this trust domain. */
  String rootsFromUpstream() {
    return "the roots of "
        + settings.trustDomain()
        + " come from its upstream authority ("
        + upstream.type()
        + "); rotate them there";
  }

  private AuthorityRecord createUpstreamIntermediate(VaultPki vault, AuthorityState state) {
    String id = journal.newId("intermediate");
    CaKey key = keys.intermediates().generate(id, settings.keyType());
    SignedIntermediate signed;
    try {
      signed = vault.sign(settings.trustDomain(), key, settings.organization());
    } catch (RuntimeException e) {
      try {
        keys.intermediates().delete(id);
      } catch (RuntimeException deleteFailed) {
        e.addSuppressed(deleteFailed);
      }
      throw e;
    }
    List<AuthorityRecord> roots = recordUpstreamRoots(signed.roots());
    List<X509Certificate> chain = signed.chain();
    return journal.insert(
        id,
        AuthorityKind.INTERMEDIATE,
        state,
        key.id(),
        signed.certificate(),
        Optional.of(roots.get(0).id()),
        chain.subList(0, chain.size() - 1));
  }

  /**
   * The journal records of the roots an upstream announces now, in their order: an existing
   * unretired record, or a new PREPARED one (in the bundle at once). Announced before, not now, and
   * never the root of an active intermediate: retired, so it leaves the bundle.
   */
  private List<AuthorityRecord> recordUpstreamRoots(List<X509Certificate> announced) {
    List<AuthorityRecord> out = new ArrayList<>();
    for (X509Certificate root : announced) {
      Optional<AuthorityRecord> known =
          journal.read().records().stream()
              .filter(r -> isUpstreamRoot(r) && r.state() != AuthorityState.OLD)
              .filter(r -> r.certificate().equals(root))
              .findFirst();
      out.add(
          known.orElseGet(
              () ->
                  journal.insert(
                      journal.newId("upstream-root"),
                      AuthorityKind.ROOT,
                      AuthorityState.PREPARED,
                      UPSTREAM_KEY
                          + HexFormat.of().formatHex(AuthorityJournal.digest(List.of(root)), 0, 8),
                      root,
                      Optional.empty())));
    }
    for (AuthorityRecord stale : journal.read().find(AuthorityKind.ROOT, AuthorityState.PREPARED)) {
      if (isUpstreamRoot(stale) && !out.contains(stale)) {
        journal.transition(
            stale,
            AuthorityState.PREPARED,
            AuthorityState.OLD,
            "authority.retire",
            "no longer announced by the upstream");
      }
    }
    return out;
  }

  /**
   * True if the journal can name every certificate between {@code intermediate} and its root: they
   * were stored with it, or its issuer is a root record. (Intermediates stored before schema V5
   * kept their upstream chain in memory only; after a restart such a one is not reused.)
   */
  private boolean chainKnown(JournalView view, AuthorityRecord intermediate) {
    if (intermediate.upstreamChainDer().length > 0) {
      return true;
    }
    X509Certificate certificate = intermediate.certificate();
    return view.records().stream()
        .filter(r -> intermediate.issuerId().equals(Optional.of(r.id())))
        .anyMatch(
            r ->
                r.certificate()
                    .getSubjectX500Principal()
                    .equals(certificate.getIssuerX500Principal()));
  }
}
