package dev.trustbridge.ca.authority;

import dev.trustbridge.ca.upstream.PluginFiles;
import dev.trustbridge.ca.upstream.SelfSigned;
import dev.trustbridge.ca.upstream.UpstreamAuthority;
import dev.trustbridge.ca.upstream.VaultPki;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.KeyManager;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.IssuingCa;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
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
  private final BundleSequenceStore sequences;
  private final Clock clock;
  private final UpstreamAuthority upstream;
  private final AuthorityJournal journal;
  private final AuthorityKeys keys;
  private final SelfSignedRotation selfSignedRotation;
  private final UpstreamRotation upstreamRotation;

  private final List<Consumer<SpiffeBundle>> listeners = new CopyOnWriteArrayList<>();

  private volatile Signer signer;
  private volatile SpiffeBundle bundle;

  public TrustDomainAuthority(
      Settings settings,
      AuthorityStore authorities,
      BundleSequenceStore sequences,
      KeyManager keys,
      Clock clock) {
    this(settings, authorities, sequences, keys, keys, clock);
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
      Clock clock) {
    this(settings, authorities, sequences, rootKeys, intermediateKeys, new SelfSigned(), clock);
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
      Clock clock) {
    this.upstream = Objects.requireNonNull(upstream, "upstream");
    this.settings = Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(authorities, "authorities");
    this.sequences = Objects.requireNonNull(sequences, "sequences");
    Objects.requireNonNull(rootKeys, "rootKeys");
    Objects.requireNonNull(intermediateKeys, "intermediateKeys");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.journal = new AuthorityJournal(settings.trustDomain(), authorities, clock);
    this.keys = new AuthorityKeys(rootKeys, intermediateKeys, upstream);
    this.selfSignedRotation = new SelfSignedRotation(settings, journal, keys, clock);
    this.upstreamRotation = new UpstreamRotation(settings, upstream, journal, keys, clock);
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
    JournalView view = journal.read();
    List<AuthorityRecord> inBundle = view.bundleRoots(clock.instant());
    return view.records().stream()
        .map(
            r ->
                new AuthorityInfo(
                    r, r.certificate(), view.tainted(r), view.revoked(r), inBundle.contains(r)))
        .toList();
  }

  /**
   * Prepares a successor of the active CA of {@code kind} now. A prepared root is published in the
   * bundle at once; it signs nothing until activated.
   *
   * @throws TrustbridgeException FAILED_PRECONDITION if one is prepared already
   */
  public synchronized AuthorityRecord prepare(AuthorityKind kind) {
    JournalView view = journal.read();
    if (!view.find(kind, AuthorityState.PREPARED).isEmpty()) {
      throw precondition(
          "a " + AuthorityJournal.name(kind) + " is prepared already; activate it first");
    }
    AuthorityRecord prepared =
        upstream instanceof SelfSigned
            ? selfSignedRotation.prepare(kind, view)
            : upstreamRotation.prepare(kind);
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
    JournalView view = journal.read();
    if (kind == AuthorityKind.ROOT && !(upstream instanceof SelfSigned)) {
      throw precondition(upstreamRotation.rootsFromUpstream());
    }
    AuthorityRecord prepared =
        view.newest(kind, AuthorityState.PREPARED, r -> !view.tainted(r))
            .orElseThrow(() -> precondition("no " + AuthorityJournal.name(kind) + " is prepared"));
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
      journal.promote(prepared);
    } else {
      upstreamRotation.activateUpstream(prepared);
    }
    reconcile();
    return journal.get(prepared.id()).orElseThrow();
  }

  /**
   * Marks a CA tainted. A tainted active intermediate is replaced at once and signs nothing more.
   * For a tainted active root a successor is prepared and published at once; the tainted root keeps
   * signing intermediates until that successor is activated ({@link #activate}), which should wait
   * until peers have the new bundle.
   */
  public synchronized void taint(String id) {
    AuthorityRecord record = journal.own(id);
    if (UpstreamRotation.isUpstreamRoot(record)) {
      throw precondition(upstreamRotation.rootsFromUpstream());
    }
    if (upstream instanceof PluginFiles) {
      throw precondition(
          "the CA of " + trustDomain() + " comes from plug-in files; replace the files instead");
    }
    journal.taint(record);
    reconcile();
  }

  /**
   * Removes a tainted, old CA from the bundle at once: every certificate chaining to it stops
   * validating, including unexpired ones.
   *
   * @throws TrustbridgeException FAILED_PRECONDITION unless the CA is OLD and tainted
   */
  public synchronized void revoke(String id) {
    AuthorityRecord record = journal.own(id);
    JournalView view = journal.read();
    if (record.state() != AuthorityState.OLD || !view.tainted(record)) {
      throw precondition("only a tainted, old authority can be revoked; taint it and rotate first");
    }
    journal.revoke(record);
    refresh();
  }

  /** Brings the journal to the state the clock calls for, then reloads signer and bundle. */
  private synchronized void reconcile() {
    if (upstream instanceof VaultPki vault) {
      upstreamRotation.reconcileVault(vault);
    } else if (upstream instanceof PluginFiles files) {
      upstreamRotation.reconcileFiles(files);
    } else {
      selfSignedRotation.reconcile();
    }
    refresh();
  }

  private void refresh() {
    Instant now = clock.instant();
    JournalView view = journal.read();
    AuthorityRecord root =
        view.newest(AuthorityKind.ROOT, AuthorityState.ACTIVE, r -> true)
            .orElseThrow(() -> new IllegalStateException("no active root after reconcile"));
    AuthorityRecord intermediate =
        view.newest(
                AuthorityKind.INTERMEDIATE,
                AuthorityState.ACTIVE,
                r -> r.issuerId().equals(Optional.of(root.id())))
            .orElseThrow(() -> new IllegalStateException("no active intermediate after reconcile"));
    if (!UpstreamRotation.isUpstreamRoot(root)) {
      keys.of(root); // a lost root key must show at start, not at the next rotation
    }
    IssuingCa intermediateCa = IssuingCa.of(intermediate.certificate(), keys.of(intermediate));
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(intermediateCa.certificate());
    chain.addAll(upstreamRotation.chainAbove(intermediate));
    signer = new Signer(intermediateCa, List.copyOf(chain));

    // distinct(): an upstream root seen again after it retired has a second record.
    List<X509Certificate> roots =
        view.bundleRoots(now).stream().map(AuthorityRecord::certificate).distinct().toList();
    BigInteger sequence = sequences.advance(trustDomain(), AuthorityJournal.digest(roots));
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

  private static TrustbridgeException precondition(String message) {
    return new TrustbridgeException(ErrorCode.FAILED_PRECONDITION, message);
  }
}
