package dev.trustbridge.ca.authority;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditLog;
import dev.trustbridge.ca.upstream.PluginCa;
import dev.trustbridge.ca.upstream.PluginFiles;
import dev.trustbridge.ca.upstream.SelfSigned;
import dev.trustbridge.ca.upstream.UpstreamAuthority;
import dev.trustbridge.ca.upstream.VaultPki;
import dev.trustbridge.ca.upstream.vault.SignedIntermediate;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.KeyManager;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.CaCertificateBuilder;
import dev.trustbridge.spiffe.svid.IssuingCa;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate authority of one hosted trust domain, driven by its authority journal in the
 * datastore: roots and intermediates move PREPARED → ACTIVE → OLD.
 *
 * <ul>
 *   <li>A successor is prepared when {@code prepareAtPercent} of the active CA's lifetime has
 *       passed and activated at {@code activateAtPercent} (by default 50% and 83%, i.e. 1/2 and
 *       5/6). A prepared root is in the bundle (sequence bumped) long before it signs anything.
 *   <li>An old root stays in the bundle while any intermediate it signed is unexpired, so every
 *       leaf that chains to it keeps validating until it expires.
 *   <li>Every step is one compare-and-set in the journal, written after the key and certificate
 *       exist; {@link #reconcile()} repairs any half-done rotation after a crash, so a restart at
 *       any point leaves a consistent journal and loses no key.
 * </ul>
 *
 * <p>With an {@link UpstreamAuthority} other than {@link SelfSigned} there is no local root: the
 * journal records the upstream's roots as ROOT records with key id {@code upstream:<sha-256
 * prefix>} (no key here) and the intermediates they issued. With {@link VaultPki} intermediates
 * rotate on the same schedule, each one signed by Vault; if Vault is down the step is retried at
 * the next {@link #rotateIfDue()} while the active intermediate keeps signing. With {@link
 * PluginFiles} the signing CA is the operator's ({@code plugin:<sha-256 prefix>}, key in memory
 * only) and changes when the files do. Either way a root stays in the bundle while an intermediate
 * it issued is unexpired, so an upstream root rotation leaves no gap. See docs/upstream.md.
 */
public final class TrustDomainAuthority implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TrustDomainAuthority.class);

  /** Default rotation points, in percent of a CA's lifetime. */
  public static final int DEFAULT_PREPARE_AT = 50;

  public static final int DEFAULT_ACTIVATE_AT = 83;

  /** How the CAs of one trust domain are made and rotated. */
  public record Settings(
      TrustDomain trustDomain,
      KeyType keyType,
      Duration rootTtl,
      Duration intermediateTtl,
      String organization,
      Duration maxLeafTtl,
      Duration refreshHint,
      int prepareAtPercent,
      int activateAtPercent) {
    public Settings {
      Objects.requireNonNull(trustDomain, "trustDomain");
      Objects.requireNonNull(keyType, "keyType");
      Objects.requireNonNull(organization, "organization");
      Objects.requireNonNull(refreshHint, "refreshHint");
      if (prepareAtPercent < 1 || activateAtPercent > 99 || prepareAtPercent >= activateAtPercent) {
        throw new IllegalArgumentException(
            "rotation points must satisfy 1 <= prepare_at < activate_at <= 99 percent");
      }
      if (maxLeafTtl.compareTo(afterActivation(intermediateTtl, activateAtPercent)) > 0) {
        throw new IllegalArgumentException(
            "the maximum leaf TTL must fit between an intermediate's activation and its expiry");
      }
      if (intermediateTtl.compareTo(afterActivation(rootTtl, activateAtPercent)) > 0) {
        throw new IllegalArgumentException(
            "the intermediate TTL must fit between a root's activation and its expiry");
      }
    }

    /** With the default rotation points. */
    public Settings(
        TrustDomain trustDomain,
        KeyType keyType,
        Duration rootTtl,
        Duration intermediateTtl,
        String organization,
        Duration maxLeafTtl,
        Duration refreshHint) {
      this(
          trustDomain,
          keyType,
          rootTtl,
          intermediateTtl,
          organization,
          maxLeafTtl,
          refreshHint,
          DEFAULT_PREPARE_AT,
          DEFAULT_ACTIVATE_AT);
    }

    /** The time a CA of {@code ttl} has left once activated at {@code activateAt} percent. */
    public static Duration afterActivation(Duration ttl, int activateAt) {
      return ttl.multipliedBy(100 - activateAt).dividedBy(100);
    }
  }

  /** The signing CA for leaves, with the chain to send after the leaf. */
  public record Signer(IssuingCa ca, List<X509Certificate> chain) {}

  /** One journal entry as admins see it. */
  public record AuthorityInfo(
      AuthorityRecord record,
      X509Certificate certificate,
      boolean tainted,
      boolean revoked,
      boolean inBundle) {}

  private final Settings settings;
  private final AuthorityStore authorities;
  private final BundleSequenceStore sequences;
  private final KeyManager rootKeys;
  private final KeyManager intermediateKeys;
  private final AuditLog audit;
  private final Clock clock;
  private final UpstreamAuthority upstream;

  /** Upstream certificates between an intermediate and its root, by intermediate id (in memory). */
  private final Map<String, List<X509Certificate>> upstreamChains = new ConcurrentHashMap<>();

  private final List<Consumer<SpiffeBundle>> listeners = new CopyOnWriteArrayList<>();

  private volatile Signer signer;
  private volatile SpiffeBundle bundle;

  public TrustDomainAuthority(
      Settings settings,
      AuthorityStore authorities,
      BundleSequenceStore sequences,
      KeyManager keys,
      AuditLog audit,
      Clock clock) {
    this(settings, authorities, sequences, keys, keys, audit, clock);
  }

  /**
   * With root keys and intermediate keys in different backends: a root kept in Vault or an HSM is
   * needed only to sign intermediates, while leaves are signed by an intermediate whose key this
   * replica holds, so issuance goes on while the root's backend is down.
   */
  public TrustDomainAuthority(
      Settings settings,
      AuthorityStore authorities,
      BundleSequenceStore sequences,
      KeyManager rootKeys,
      KeyManager intermediateKeys,
      AuditLog audit,
      Clock clock) {
    this(
        settings,
        authorities,
        sequences,
        rootKeys,
        intermediateKeys,
        new SelfSigned(),
        audit,
        clock);
  }

  /**
   * With an upstream authority: {@code rootKeys} then holds nothing this authority uses, and {@code
   * intermediateKeys} holds the keys of intermediates that Vault signs.
   */
  public TrustDomainAuthority(
      Settings settings,
      AuthorityStore authorities,
      BundleSequenceStore sequences,
      KeyManager rootKeys,
      KeyManager intermediateKeys,
      UpstreamAuthority upstream,
      AuditLog audit,
      Clock clock) {
    this.upstream = Objects.requireNonNull(upstream, "upstream");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.authorities = Objects.requireNonNull(authorities, "authorities");
    this.sequences = Objects.requireNonNull(sequences, "sequences");
    this.rootKeys = Objects.requireNonNull(rootKeys, "rootKeys");
    this.intermediateKeys = Objects.requireNonNull(intermediateKeys, "intermediateKeys");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public TrustDomain trustDomain() {
    return settings.trustDomain();
  }

  public Settings settings() {
    return settings;
  }

  /** Where this trust domain's trust comes from. */
  public UpstreamAuthority upstream() {
    return upstream;
  }

  /**
   * Releases what the upstream holds (a Vault PKI upstream's session and its HTTP threads). The
   * journal, keys and bundle are untouched; the server calls this once it has stopped serving.
   */
  @Override
  public void close() {
    if (upstream instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        LOG.warn(
            "closing the {} upstream of {} failed: {}",
            upstream.type(),
            trustDomain(),
            e.toString());
      }
    }
  }

  /** Loads the journal, creating the first root and intermediate where needed. */
  public void initialize() {
    reconcile();
  }

  /** Takes every rotation step that is due; idempotent, and safe after a crash. */
  public void rotateIfDue() {
    reconcile();
  }

  /** The CA that signs leaves now. */
  public Signer signer() {
    Signer current = signer;
    if (current == null) {
      throw new TrustbridgeException(
          ErrorCode.UNAVAILABLE, "certificate authority of " + trustDomain() + " is not ready");
    }
    return current;
  }

  /** The trust domain's current bundle (its roots, with sequence and refresh hint). */
  public SpiffeBundle bundle() {
    SpiffeBundle current = bundle;
    if (current == null) {
      throw new TrustbridgeException(
          ErrorCode.UNAVAILABLE, "bundle of " + trustDomain() + " is not ready");
    }
    return current;
  }

  /** Called with the new bundle every time its contents change. */
  public void onBundleChange(Consumer<SpiffeBundle> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** As {@link #onBundleChange}, returning what stops the notifications. */
  public Runnable subscribe(Consumer<SpiffeBundle> listener) {
    onBundleChange(listener);
    return () -> listeners.remove(listener);
  }

  /** The journal, oldest first, with marks and bundle membership. */
  public synchronized List<AuthorityInfo> list() {
    JournalView view = read();
    List<AuthorityRecord> inBundle = view.bundleRoots(clock.instant());
    return view.records().stream()
        .map(
            r ->
                new AuthorityInfo(
                    r,
                    JournalView.certificate(r),
                    view.tainted(r),
                    view.revoked(r),
                    inBundle.contains(r)))
        .toList();
  }

  /**
   * Prepares a successor of the active CA of {@code kind} now. A prepared root is published in the
   * bundle at once; it signs nothing until activated.
   *
   * @throws TrustbridgeException FAILED_PRECONDITION if one is prepared already
   */
  public synchronized AuthorityRecord prepare(AuthorityKind kind) {
    JournalView view = read();
    if (!view.find(kind, AuthorityState.PREPARED).isEmpty()) {
      throw precondition("a " + name(kind) + " is prepared already; activate it first");
    }
    if (!(upstream instanceof SelfSigned)) {
      AuthorityRecord prepared = prepareUpstream(kind);
      refresh();
      return prepared;
    }
    AuthorityRecord root = activeRootOf(view);
    AuthorityRecord prepared =
        kind == AuthorityKind.ROOT
            ? createRoot(AuthorityState.PREPARED)
            : createIntermediate(root, AuthorityState.PREPARED);
    refresh();
    return prepared;
  }

  /**
   * Activates the prepared CA of {@code kind} now. A root must have been in the bundle for at least
   * three refresh hints so that peers have it, unless {@code force} is set.
   *
   * @throws TrustbridgeException FAILED_PRECONDITION if none is prepared, or a root is too new
   */
  public synchronized AuthorityRecord activate(AuthorityKind kind, boolean force) {
    JournalView view = read();
    if (kind == AuthorityKind.ROOT && !(upstream instanceof SelfSigned)) {
      throw precondition(rootsFromUpstream());
    }
    AuthorityRecord prepared =
        view.newest(kind, AuthorityState.PREPARED, r -> !view.tainted(r))
            .orElseThrow(() -> precondition("no " + name(kind) + " is prepared"));
    Duration published = Duration.between(prepared.createdAt(), clock.instant());
    if (kind == AuthorityKind.ROOT
        && !force
        && published.compareTo(settings.refreshHint().multipliedBy(3)) < 0) {
      throw precondition(
          "the prepared root has been published for "
              + published.toSeconds()
              + "s, less than 3 refresh hints; peers may not have it yet (use force)");
    }
    if (upstream instanceof SelfSigned) {
      promote(prepared);
    } else {
      activateUpstream(prepared);
    }
    reconcile();
    return authorities.get(prepared.id()).orElseThrow();
  }

  /**
   * Marks a CA tainted. A tainted active intermediate is replaced at once and signs nothing more.
   * For a tainted active root a successor is prepared and published at once; the tainted root keeps
   * signing intermediates until that successor is activated ({@link #activate}), which should wait
   * until peers have the new bundle.
   */
  public synchronized void taint(String id) {
    AuthorityRecord record = own(id);
    if (isUpstreamRoot(record)) {
      throw precondition(rootsFromUpstream());
    }
    if (upstream instanceof PluginFiles) {
      throw precondition(
          "the CA of " + trustDomain() + " comes from plug-in files; replace the files instead");
    }
    authorities.taint(id, clock.instant());
    audited("authority.taint", record, "state=" + record.state());
    reconcile();
  }

  /**
   * Removes a tainted, old CA from the bundle at once: every certificate chaining to it stops
   * validating, including unexpired ones.
   *
   * @throws TrustbridgeException FAILED_PRECONDITION unless the CA is OLD and tainted
   */
  public synchronized void revoke(String id) {
    AuthorityRecord record = own(id);
    JournalView view = read();
    if (record.state() != AuthorityState.OLD || !view.tainted(record)) {
      throw precondition("only a tainted, old authority can be revoked; taint it and rotate first");
    }
    authorities.revoke(id, clock.instant());
    audited("authority.revoke", record, "");
    refresh();
  }

  /** Brings the journal to the state the clock calls for, then reloads signer and bundle. */
  private synchronized void reconcile() {
    if (upstream instanceof VaultPki vault) {
      reconcileVault(vault);
      return;
    }
    if (upstream instanceof PluginFiles files) {
      reconcileFiles(files);
      return;
    }
    Instant now = clock.instant();
    AuthorityRecord root = activeRootOf(read());
    JournalView view = read();
    Optional<AuthorityRecord> preparedRoot =
        view.newest(AuthorityKind.ROOT, AuthorityState.PREPARED, r -> !view.tainted(r));
    X509Certificate rootCertificate = JournalView.certificate(root);
    if (preparedRoot.isEmpty()
        && (view.tainted(root)
            || JournalView.due(rootCertificate, settings.prepareAtPercent(), now))) {
      preparedRoot = Optional.of(createRoot(AuthorityState.PREPARED));
    }
    if (preparedRoot.isPresent()
        && JournalView.due(rootCertificate, settings.activateAtPercent(), now)) {
      promote(preparedRoot.get());
      root = preparedRoot.get();
    }
    reconcileIntermediates(root, now);
    refresh();
  }

  private void reconcileIntermediates(AuthorityRecord root, Instant now) {
    JournalView view = read();
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
      X509Certificate current = JournalView.certificate(active.get());
      if (prepared.isEmpty() && JournalView.due(current, settings.prepareAtPercent(), now)) {
        prepared = Optional.of(createIntermediate(root, AuthorityState.PREPARED));
      }
      boolean activate =
          prepared.isPresent() && JournalView.due(current, settings.activateAtPercent(), now);
      next = activate ? prepared.get() : active.get();
    }
    // Also retires whatever else is ACTIVE: another root's, a tainted one, a crash leftover.
    promote(next);
  }

  /** The active root, activating a prepared one or creating the first where there is none. */
  private AuthorityRecord activeRootOf(JournalView view) {
    Optional<AuthorityRecord> active =
        view.newest(AuthorityKind.ROOT, AuthorityState.ACTIVE, r -> true);
    if (active.isPresent()) {
      retireAllBut(view, AuthorityKind.ROOT, active);
      return active.get();
    }
    AuthorityRecord next =
        view.newest(AuthorityKind.ROOT, AuthorityState.PREPARED, r -> !view.tainted(r))
            .orElseGet(() -> createRoot(AuthorityState.PREPARED));
    promote(next);
    return authorities.get(next.id()).orElseThrow();
  }

  /** PREPARED → ACTIVE for {@code next}, then every other ACTIVE CA of its kind → OLD. */
  private void promote(AuthorityRecord next) {
    if (next.state() == AuthorityState.PREPARED) {
      transition(next, AuthorityState.PREPARED, AuthorityState.ACTIVE);
      audited("authority.activate", next, "");
    }
    retireAllBut(read(), next.kind(), Optional.of(next));
  }

  private void retireAllBut(JournalView view, AuthorityKind kind, Optional<AuthorityRecord> keep) {
    for (AuthorityRecord other : view.find(kind, AuthorityState.ACTIVE)) {
      if (keep.map(k -> !k.id().equals(other.id())).orElse(true)) {
        transition(other, AuthorityState.ACTIVE, AuthorityState.OLD);
        audited("authority.retire", other, "");
      }
    }
    if (kind == AuthorityKind.ROOT) {
      // Prepared intermediates of a retired root will never sign: retire them too.
      for (AuthorityRecord stale : view.find(AuthorityKind.INTERMEDIATE, AuthorityState.PREPARED)) {
        boolean underKept =
            keep.map(k -> stale.issuerId().equals(Optional.of(k.id()))).orElse(false);
        if (!underKept) {
          transition(stale, AuthorityState.PREPARED, AuthorityState.OLD);
        }
      }
    }
  }

  private void transition(AuthorityRecord record, AuthorityState from, AuthorityState to) {
    try {
      authorities.transition(record.id(), from, to, clock.instant());
    } catch (TrustbridgeException e) {
      // Another replica took the step first; the next read shows its result.
      if (e.code() != ErrorCode.FAILED_PRECONDITION) {
        throw e;
      }
      LOG.info("authority {} moved concurrently: {}", record.id(), e.getMessage());
    }
  }

  private AuthorityRecord createRoot(AuthorityState state) {
    String id = newId("root");
    CaKey key = rootKeys.generate(id, settings.keyType());
    X509Certificate certificate =
        CaCertificateBuilder.selfSigned(trustDomain(), key, clock)
            .organization(settings.organization())
            .ttl(settings.rootTtl())
            .build();
    return insert(id, AuthorityKind.ROOT, state, key.id(), certificate, Optional.empty());
  }

  private AuthorityRecord createIntermediate(AuthorityRecord root, AuthorityState state) {
    IssuingCa rootCa = IssuingCa.of(JournalView.certificate(root), key(root));
    String id = newId("intermediate");
    CaKey key = intermediateKeys.generate(id, settings.keyType());
    X509Certificate certificate =
        CaCertificateBuilder.intermediate(trustDomain(), key.publicKey(), rootCa, clock)
            .organization(settings.organization())
            .ttl(settings.intermediateTtl())
            .build();
    return insert(
        id, AuthorityKind.INTERMEDIATE, state, key.id(), certificate, Optional.of(root.id()));
  }

  private AuthorityRecord insert(
      String id,
      AuthorityKind kind,
      AuthorityState state,
      String keyId,
      X509Certificate certificate,
      Optional<String> issuerId) {
    Instant now = clock.instant();
    AuthorityRecord record =
        new AuthorityRecord(
            id,
            trustDomain(),
            kind,
            state,
            keyId,
            encoded(certificate),
            issuerId,
            certificate.getNotAfter().toInstant(),
            now,
            now);
    authorities.insert(record);
    audit.append(
        AuditEvent.of(
                now,
                "trustbridge",
                "authority.prepare",
                trustDomain().name() + "/" + name(kind),
                AuditEvent.OK,
                "id=" + id)
            .withIssued(certificate.getSerialNumber().toString(16), record.notAfter()));
    LOG.info(
        "prepared {} CA trust_domain={} id={} not_after={}",
        name(kind),
        trustDomain(),
        id,
        record.notAfter());
    return record;
  }

  private void refresh() {
    Instant now = clock.instant();
    JournalView view = read();
    AuthorityRecord root =
        view.newest(AuthorityKind.ROOT, AuthorityState.ACTIVE, r -> true)
            .orElseThrow(() -> new IllegalStateException("no active root after reconcile"));
    AuthorityRecord intermediate =
        view.newest(
                AuthorityKind.INTERMEDIATE,
                AuthorityState.ACTIVE,
                r -> r.issuerId().equals(Optional.of(root.id())))
            .orElseThrow(() -> new IllegalStateException("no active intermediate after reconcile"));
    if (!isUpstreamRoot(root)) {
      key(root); // a lost root key must show at start, not at the next rotation
    }
    IssuingCa intermediateCa =
        IssuingCa.of(JournalView.certificate(intermediate), key(intermediate));
    List<X509Certificate> chain = new java.util.ArrayList<>();
    chain.add(intermediateCa.certificate());
    chain.addAll(upstreamChains.getOrDefault(intermediate.id(), List.of()));
    signer = new Signer(intermediateCa, List.copyOf(chain));

    // distinct(): an upstream root seen again after it retired has a second record.
    List<X509Certificate> roots =
        view.bundleRoots(now).stream().map(JournalView::certificate).distinct().toList();
    BigInteger sequence = sequences.advance(trustDomain(), digest(roots));
    SpiffeBundle next =
        SpiffeBundle.builder(trustDomain())
            .addX509Authorities(roots)
            .sequence(sequence)
            .refreshHint(settings.refreshHint())
            .build();
    SpiffeBundle previous = bundle;
    bundle = next;
    if (!next.equals(previous)) {
      listeners.forEach(l -> l.accept(next));
    }
  }

  // --- upstream authorities ---------------------------------------------------------------

  private static final String UPSTREAM_KEY = "upstream:";
  private static final String PLUGIN_KEY = "plugin:";

  private AuthorityRecord prepareUpstream(AuthorityKind kind) {
    if (kind == AuthorityKind.ROOT) {
      throw precondition(rootsFromUpstream());
    }
    if (upstream instanceof VaultPki vault) {
      return createUpstreamIntermediate(vault, AuthorityState.PREPARED);
    }
    throw precondition(
        "the CA of " + trustDomain() + " comes from plug-in files; replace the files to rotate it");
  }

  /** As the self-signed rotation, but every new intermediate is signed by Vault. */
  private void reconcileVault(VaultPki vault) {
    Instant now = clock.instant();
    JournalView view = read();
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
    } else {
      X509Certificate current = JournalView.certificate(active.get());
      if (prepared.isEmpty() && JournalView.due(current, settings.prepareAtPercent(), now)) {
        try {
          prepared = Optional.of(createUpstreamIntermediate(vault, AuthorityState.PREPARED));
        } catch (TrustbridgeException e) {
          LOG.warn(
              "cannot prepare the next intermediate of {} at {}; the active one keeps signing"
                  + " (not_after={}) and the step is retried at the next maintenance: {}",
              trustDomain(),
              vault.signPath(),
              current.getNotAfter().toInstant(),
              e.getMessage());
        }
      }
      if (prepared.isPresent() && JournalView.due(current, settings.activateAtPercent(), now)) {
        activateUpstream(prepared.get());
      }
    }
    refresh();
  }

  /** Records the files' CA and roots, and makes them active when the files changed. */
  private void reconcileFiles(PluginFiles files) {
    PluginCa ca = files.reload();
    List<AuthorityRecord> roots = recordUpstreamRoots(ca.roots());
    AuthorityRecord anchor = roots.get(ca.roots().indexOf(ca.anchor()));
    X509Certificate caCertificate = ca.ca().certificate();
    AuthorityRecord intermediate =
        read().records().stream()
            .filter(r -> r.kind() == AuthorityKind.INTERMEDIATE)
            .filter(r -> r.state() != AuthorityState.OLD)
            .filter(r -> r.issuerId().equals(Optional.of(anchor.id())))
            .filter(r -> JournalView.certificate(r).equals(caCertificate))
            .findFirst()
            .orElseGet(
                () ->
                    insert(
                        newId("plugin"),
                        AuthorityKind.INTERMEDIATE,
                        AuthorityState.PREPARED,
                        ca.keyId(),
                        caCertificate,
                        Optional.of(anchor.id())));
    upstreamChains.put(intermediate.id(), ca.chain());
    if (intermediate.state() != AuthorityState.ACTIVE || anchor.state() != AuthorityState.ACTIVE) {
      activateUpstream(intermediate);
    }
    refresh();
  }

  private AuthorityRecord createUpstreamIntermediate(VaultPki vault, AuthorityState state) {
    String id = newId("intermediate");
    CaKey key = intermediateKeys.generate(id, settings.keyType());
    SignedIntermediate signed;
    try {
      signed = vault.sign(trustDomain(), key, settings.organization());
    } catch (RuntimeException e) {
      try {
        intermediateKeys.delete(id);
      } catch (RuntimeException deleteFailed) {
        e.addSuppressed(deleteFailed);
      }
      throw e;
    }
    List<AuthorityRecord> roots = recordUpstreamRoots(signed.roots());
    List<X509Certificate> chain = signed.chain();
    upstreamChains.put(id, List.copyOf(chain.subList(0, chain.size() - 1)));
    return insert(
        id,
        AuthorityKind.INTERMEDIATE,
        state,
        key.id(),
        signed.certificate(),
        Optional.of(roots.get(0).id()));
  }

  /**
   * The journal records of the roots an upstream announces now, in their order: an existing
   * unretired record, or a new PREPARED one (in the bundle at once). Announced before, not now, and
   * never the root of an active intermediate: retired, so it leaves the bundle.
   */
  private List<AuthorityRecord> recordUpstreamRoots(List<X509Certificate> announced) {
    List<AuthorityRecord> out = new java.util.ArrayList<>();
    for (X509Certificate root : announced) {
      Optional<AuthorityRecord> known =
          read().records().stream()
              .filter(r -> isUpstreamRoot(r) && r.state() != AuthorityState.OLD)
              .filter(r -> JournalView.certificate(r).equals(root))
              .findFirst();
      out.add(
          known.orElseGet(
              () ->
                  insert(
                      newId("upstream-root"),
                      AuthorityKind.ROOT,
                      AuthorityState.PREPARED,
                      UPSTREAM_KEY + HexFormat.of().formatHex(digest(List.of(root)), 0, 8),
                      root,
                      Optional.empty())));
    }
    for (AuthorityRecord stale : read().find(AuthorityKind.ROOT, AuthorityState.PREPARED)) {
      if (isUpstreamRoot(stale) && !out.contains(stale)) {
        transition(stale, AuthorityState.PREPARED, AuthorityState.OLD);
        audited("authority.retire", stale, "no longer announced by the upstream");
      }
    }
    return out;
  }

  /** Its root becomes the active root (the one before retires), then the intermediate itself. */
  private void activateUpstream(AuthorityRecord intermediate) {
    AuthorityRecord root =
        intermediate
            .issuerId()
            .flatMap(authorities::get)
            .orElseThrow(
                () -> new IllegalStateException("upstream root of " + intermediate.id() + " gone"));
    promote(root);
    promote(authorities.get(intermediate.id()).orElseThrow());
  }

  /** False after a restart for an intermediate whose upstream chain had certificates in between. */
  private boolean chainKnown(JournalView view, AuthorityRecord intermediate) {
    if (upstreamChains.containsKey(intermediate.id())) {
      return true;
    }
    X509Certificate certificate = JournalView.certificate(intermediate);
    return view.records().stream()
        .filter(r -> intermediate.issuerId().equals(Optional.of(r.id())))
        .anyMatch(
            r ->
                JournalView.certificate(r)
                    .getSubjectX500Principal()
                    .equals(certificate.getIssuerX500Principal()));
  }

  private static boolean isUpstreamRoot(AuthorityRecord record) {
    return record.kind() == AuthorityKind.ROOT && record.keyId().startsWith(UPSTREAM_KEY);
  }

  private String rootsFromUpstream() {
    return "the roots of "
        + trustDomain()
        + " come from its upstream authority ("
        + upstream.type()
        + "); rotate them there";
  }

  private JournalView read() {
    return new JournalView(authorities.list(trustDomain()), authorities.marks(trustDomain()));
  }

  private AuthorityRecord own(String id) {
    return authorities
        .get(id)
        .filter(r -> r.trustDomain().equals(trustDomain()))
        .orElseThrow(() -> new TrustbridgeException(ErrorCode.NOT_FOUND, "no authority " + id));
  }

  private CaKey key(AuthorityRecord record) {
    if (upstream instanceof PluginFiles files && record.keyId().startsWith(PLUGIN_KEY)) {
      PluginCa current = files.current();
      if (current.keyId().equals(record.keyId())) {
        return current.ca().key();
      }
    }
    KeyManager keys = record.kind() == AuthorityKind.ROOT ? rootKeys : intermediateKeys;
    return keys.find(record.keyId())
        .orElseThrow(
            () ->
                new TrustbridgeException(
                    ErrorCode.FAILED_PRECONDITION,
                    "key " + record.keyId() + " of authority " + record.id() + " is missing"));
  }

  private void audited(String action, AuthorityRecord record, String detail) {
    audit.append(
        AuditEvent.of(
                clock.instant(),
                "trustbridge",
                action,
                trustDomain().name() + "/" + name(record.kind()),
                AuditEvent.OK,
                ("id=" + record.id() + " " + detail).strip())
            .withIssued(
                JournalView.certificate(record).getSerialNumber().toString(16), record.notAfter()));
  }

  private static TrustbridgeException precondition(String message) {
    return new TrustbridgeException(ErrorCode.FAILED_PRECONDITION, message);
  }

  private static String name(AuthorityKind kind) {
    return kind.name().toLowerCase(Locale.ROOT);
  }

  private static byte[] encoded(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("a certificate we built cannot be encoded", e);
    }
  }

  private static byte[] digest(List<X509Certificate> roots) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      for (X509Certificate root : roots) {
        sha256.update(encoded(root));
      }
      return sha256.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }

  private String newId(String kind) {
    return trustDomain().name()
        + "-"
        + kind
        + "-"
        + HexFormat.of().toHexDigits(UUID.randomUUID().getMostSignificantBits());
  }
}
