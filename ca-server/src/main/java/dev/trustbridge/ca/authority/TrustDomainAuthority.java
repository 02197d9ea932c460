package dev.trustbridge.ca.authority;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditLog;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.KeyManager;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.CaCertificateBuilder;
import dev.trustbridge.spiffe.svid.IssuingCa;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate authority of one hosted trust domain: a self-signed root kept in the key backend,
 * an intermediate that signs leaves, the authority journal in the datastore, and the trust domain's
 * bundle with a persisted, increasing sequence.
 *
 * <p>On first start the root and the intermediate are created; later starts reuse them. The
 * intermediate is replaced when less than half of its lifetime is left, so a leaf of the maximum
 * TTL never outlives the CA that signed it.
 */
public final class TrustDomainAuthority {
  private static final Logger LOG = LoggerFactory.getLogger(TrustDomainAuthority.class);

  /** How the CAs of one trust domain are made. */
  public record Settings(
      TrustDomain trustDomain,
      KeyType keyType,
      Duration rootTtl,
      Duration intermediateTtl,
      String organization,
      Duration maxLeafTtl,
      Duration refreshHint) {
    public Settings {
      Objects.requireNonNull(trustDomain, "trustDomain");
      Objects.requireNonNull(keyType, "keyType");
      Objects.requireNonNull(organization, "organization");
      if (maxLeafTtl.multipliedBy(2).compareTo(intermediateTtl) >= 0) {
        throw new IllegalArgumentException(
            "intermediate TTL must exceed twice the maximum leaf TTL");
      }
      if (intermediateTtl.compareTo(rootTtl) >= 0) {
        throw new IllegalArgumentException("intermediate TTL must be shorter than the root TTL");
      }
    }
  }

  /** The signing CA for leaves, with the chain to send after the leaf. */
  public record Signer(IssuingCa ca, List<X509Certificate> chain) {}

  private final Settings settings;
  private final AuthorityStore authorities;
  private final BundleSequenceStore sequences;
  private final KeyManager keys;
  private final AuditLog audit;
  private final Clock clock;
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
    this.settings = Objects.requireNonNull(settings, "settings");
    this.authorities = Objects.requireNonNull(authorities, "authorities");
    this.sequences = Objects.requireNonNull(sequences, "sequences");
    this.keys = Objects.requireNonNull(keys, "keys");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public TrustDomain trustDomain() {
    return settings.trustDomain();
  }

  public Settings settings() {
    return settings;
  }

  /** Loads the journal, creating the root and intermediate where needed; idempotent. */
  public synchronized void initialize() {
    AuthorityRecord root = activeRoot().orElseGet(this::createRoot);
    AuthorityRecord intermediate =
        activeIntermediate(root).filter(this::hasEnoughLifetime).orElseGet(() -> rotate(root));
    IssuingCa rootCa = IssuingCa.of(certificate(root), key(root));
    IssuingCa intermediateCa = IssuingCa.of(certificate(intermediate), key(intermediate));
    this.signer = new Signer(intermediateCa, List.of(intermediateCa.certificate()));
    LOG.debug(
        "trust domain {} root {} intermediate {}", trustDomain(), root.id(), intermediate.id());
    refreshBundle(rootCa);
  }

  /** Replaces the intermediate if less than half of its lifetime is left. */
  public synchronized void rotateIfDue() {
    Signer current = signer;
    if (current == null
        || remaining(current.ca().certificate()).compareTo(settings.intermediateTtl().dividedBy(2))
            < 0) {
      initialize();
    }
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

  private Optional<AuthorityRecord> activeRoot() {
    Instant now = clock.instant();
    return authorities.list(trustDomain()).stream()
        .filter(r -> r.kind() == AuthorityKind.ROOT && r.state() == AuthorityState.ACTIVE)
        .filter(r -> r.notAfter().isAfter(now.plus(settings.intermediateTtl())))
        .max(Comparator.comparing(AuthorityRecord::createdAt));
  }

  private Optional<AuthorityRecord> activeIntermediate(AuthorityRecord root) {
    return authorities.list(trustDomain()).stream()
        .filter(r -> r.kind() == AuthorityKind.INTERMEDIATE && r.state() == AuthorityState.ACTIVE)
        .filter(r -> r.issuerId().equals(Optional.of(root.id())))
        .max(Comparator.comparing(AuthorityRecord::createdAt));
  }

  private boolean hasEnoughLifetime(AuthorityRecord intermediate) {
    return Duration.between(clock.instant(), intermediate.notAfter())
            .compareTo(settings.intermediateTtl().dividedBy(2))
        >= 0;
  }

  private AuthorityRecord createRoot() {
    String id = newId("root");
    CaKey key = keys.generate(id, settings.keyType());
    X509Certificate certificate =
        CaCertificateBuilder.selfSigned(trustDomain(), key, clock)
            .organization(settings.organization())
            .ttl(settings.rootTtl())
            .build();
    List<AuthorityRecord> previous = active(AuthorityKind.ROOT);
    AuthorityRecord record = insert(id, AuthorityKind.ROOT, key, certificate, Optional.empty());
    retire(previous);
    LOG.info(
        "created root CA trust_domain={} id={} not_after={}", trustDomain(), id, record.notAfter());
    return record;
  }

  private AuthorityRecord rotate(AuthorityRecord root) {
    IssuingCa rootCa = IssuingCa.of(certificate(root), key(root));
    String id = newId("intermediate");
    CaKey key = keys.generate(id, settings.keyType());
    X509Certificate certificate =
        CaCertificateBuilder.intermediate(trustDomain(), key.publicKey(), rootCa, clock)
            .organization(settings.organization())
            .ttl(settings.intermediateTtl())
            .build();
    // Every active intermediate, not only this root's: after a root rollover the previous root's
    // intermediate must stop being ACTIVE too.
    List<AuthorityRecord> previous = active(AuthorityKind.INTERMEDIATE);
    AuthorityRecord record =
        insert(id, AuthorityKind.INTERMEDIATE, key, certificate, Optional.of(root.id()));
    retire(previous);
    LOG.info(
        "activated intermediate CA trust_domain={} id={} not_after={}",
        trustDomain(),
        id,
        record.notAfter());
    return record;
  }

  private List<AuthorityRecord> active(AuthorityKind kind) {
    return authorities.list(trustDomain()).stream()
        .filter(r -> r.kind() == kind && r.state() == AuthorityState.ACTIVE)
        .toList();
  }

  /** Moves CAs replaced by a new one to OLD; they stay in the journal (and roots in the bundle). */
  private void retire(List<AuthorityRecord> replaced) {
    Instant now = clock.instant();
    for (AuthorityRecord r : replaced) {
      authorities.transition(r.id(), AuthorityState.ACTIVE, AuthorityState.OLD, now);
    }
  }

  private AuthorityRecord insert(
      String id,
      AuthorityKind kind,
      CaKey key,
      X509Certificate certificate,
      Optional<String> issuerId) {
    Instant now = clock.instant();
    AuthorityRecord record =
        new AuthorityRecord(
            id,
            trustDomain(),
            kind,
            AuthorityState.ACTIVE,
            key.id(),
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
                "authority.activate",
                trustDomain().name() + "/" + kind.name().toLowerCase(java.util.Locale.ROOT),
                AuditEvent.OK,
                "id=" + id)
            .withIssued(certificate.getSerialNumber().toString(16), record.notAfter()));
    return record;
  }

  private void refreshBundle(IssuingCa activeRoot) {
    Instant now = clock.instant();
    List<X509Certificate> roots =
        authorities.list(trustDomain()).stream()
            .filter(r -> r.kind() == AuthorityKind.ROOT)
            .filter(r -> r.notAfter().isAfter(now))
            .sorted(Comparator.comparing(AuthorityRecord::createdAt))
            .map(TrustDomainAuthority::certificate)
            .toList();
    if (roots.isEmpty()) {
      roots = List.of(activeRoot.certificate());
    }
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

  private CaKey key(AuthorityRecord record) {
    return keys.find(record.keyId())
        .orElseThrow(
            () ->
                new TrustbridgeException(
                    ErrorCode.FAILED_PRECONDITION,
                    "key " + record.keyId() + " of authority " + record.id() + " is missing"));
  }

  private static X509Certificate certificate(AuthorityRecord record) {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(record.certificateDer()));
    } catch (CertificateException e) {
      throw new TrustbridgeException(
          ErrorCode.INTERNAL, "stored certificate of authority " + record.id() + " is corrupt", e);
    }
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

  private Duration remaining(X509Certificate certificate) {
    return Duration.between(clock.instant(), certificate.getNotAfter().toInstant());
  }

  private String newId(String kind) {
    return trustDomain().name()
        + "-"
        + kind
        + "-"
        + HexFormat.of().toHexDigits(UUID.randomUUID().getMostSignificantBits());
  }
}
