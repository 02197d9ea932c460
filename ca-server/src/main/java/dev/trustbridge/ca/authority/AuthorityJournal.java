package dev.trustbridge.ca.authority;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writes of one trust domain's rotation to its authority journal, each audited: new records,
 * compare-and-set state changes, and promotion of a successor with the retirement of what it
 * replaces. Each step's audit event is written by the {@link AuthorityStore} in the step's own
 * transaction, so a crash cannot keep the step and lose its record. Callers hold the {@link
 * TrustDomainAuthority}'s lock; across replicas, the compare-and-set of each transition is what
 * keeps two of them from taking the same step.
 */
final class AuthorityJournal {
  // The facade's name, so that one logger still covers every step of a trust domain's rotation.
  private static final Logger LOG = LoggerFactory.getLogger(TrustDomainAuthority.class);

  private final TrustDomain trustDomain;
  private final AuthorityStore authorities;
  private final Clock clock;

  AuthorityJournal(TrustDomain trustDomain, AuthorityStore authorities, Clock clock) {
    this.trustDomain = trustDomain;
    this.authorities = authorities;
    this.clock = clock;
  }

  /** One consistent read of the trust domain's records and marks. */
  JournalView read() {
    return new JournalView(authorities.list(trustDomain), authorities.marks(trustDomain));
  }

  /** The record with this id as stored now, whichever trust domain it belongs to. */
  Optional<AuthorityRecord> get(String id) {
    return authorities.get(id);
  }

  /**
   * The record with this id, if it belongs to this trust domain.
   *
   * @throws TrustbridgeException NOT_FOUND otherwise
   */
  AuthorityRecord own(String id) {
    return authorities
        .get(id)
        .filter(r -> r.trustDomain().equals(trustDomain))
        .orElseThrow(() -> new TrustbridgeException(ErrorCode.NOT_FOUND, "no authority " + id));
  }

  /** Adds a CA whose key and certificate exist already, and audits it as prepared. */
  AuthorityRecord insert(
      String id,
      AuthorityKind kind,
      AuthorityState state,
      String keyId,
      X509Certificate certificate,
      Optional<String> issuerId) {
    return insert(id, kind, state, keyId, certificate, issuerId, List.of());
  }

  /**
   * As {@link #insert(String, AuthorityKind, AuthorityState, String, X509Certificate, Optional)},
   * keeping the upstream certificates between the CA and its root with it.
   */
  AuthorityRecord insert(
      String id,
      AuthorityKind kind,
      AuthorityState state,
      String keyId,
      X509Certificate certificate,
      Optional<String> issuerId,
      List<X509Certificate> upstreamChain) {
    ByteArrayOutputStream chainDer = new ByteArrayOutputStream();
    upstreamChain.forEach(c -> chainDer.writeBytes(encoded(c)));
    Instant now = clock.instant();
    AuthorityRecord record =
        new AuthorityRecord(
            id,
            trustDomain,
            kind,
            state,
            keyId,
            encoded(certificate),
            issuerId,
            certificate.getNotAfter().toInstant(),
            now,
            now,
            chainDer.toByteArray());
    authorities.insert(record, event(now, "authority.prepare", record, certificate, ""));
    LOG.info(
        "prepared {} CA trust_domain={} id={} not_after={}",
        name(kind),
        trustDomain,
        id,
        record.notAfter());
    return record;
  }

  /** PREPARED → ACTIVE for {@code next}, then every other ACTIVE CA of its kind → OLD. */
  void promote(AuthorityRecord next) {
    if (next.state() == AuthorityState.PREPARED) {
      transition(next, AuthorityState.PREPARED, AuthorityState.ACTIVE, "authority.activate", "");
    }
    retireAllBut(read(), next.kind(), Optional.of(next));
  }

  void retireAllBut(JournalView view, AuthorityKind kind, Optional<AuthorityRecord> keep) {
    for (AuthorityRecord other : view.find(kind, AuthorityState.ACTIVE)) {
      if (keep.map(k -> !k.id().equals(other.id())).orElse(true)) {
        transition(other, AuthorityState.ACTIVE, AuthorityState.OLD, "authority.retire", "");
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

  /** A compare-and-set step that is not audited on its own (it follows an audited one). */
  void transition(AuthorityRecord record, AuthorityState from, AuthorityState to) {
    Instant now = clock.instant();
    unlessTakenConcurrently(record, () -> authorities.transition(record.id(), from, to, now));
  }

  /** A compare-and-set step with its audit event {@code action} in the same transaction. */
  void transition(
      AuthorityRecord record,
      AuthorityState from,
      AuthorityState to,
      String action,
      String detail) {
    Instant now = clock.instant();
    AuditEvent event = event(now, action, record, record.certificate(), detail);
    unlessTakenConcurrently(
        record, () -> authorities.transition(record.id(), from, to, now, event));
  }

  /**
   * Runs a transition of {@code record}; one that another replica took first is logged, and leaves
   * neither the step nor its event from here.
   */
  private static void unlessTakenConcurrently(AuthorityRecord record, Runnable step) {
    try {
      step.run();
    } catch (TrustbridgeException e) {
      // Another replica took the step first; the next read shows its result.
      if (e.code() != ErrorCode.FAILED_PRECONDITION) {
        throw e;
      }
      LOG.info("authority {} moved concurrently: {}", record.id(), e.getMessage());
    }
  }

  /** Marks a CA tainted, audited in the same transaction. */
  void taint(AuthorityRecord record) {
    Instant now = clock.instant();
    authorities.taint(
        record.id(),
        now,
        event(now, "authority.taint", record, record.certificate(), "state=" + record.state()));
  }

  /** Marks a CA revoked, audited in the same transaction. */
  void revoke(AuthorityRecord record) {
    Instant now = clock.instant();
    authorities.revoke(
        record.id(), now, event(now, "authority.revoke", record, record.certificate(), ""));
  }

  private AuditEvent event(
      Instant at,
      String action,
      AuthorityRecord record,
      X509Certificate certificate,
      String detail) {
    return AuditEvent.of(
            at,
            "trustbridge",
            action,
            trustDomain.name() + "/" + name(record.kind()),
            AuditEvent.OK,
            ("id=" + record.id() + " " + detail).strip())
        .withIssued(certificate.getSerialNumber().toString(16), record.notAfter());
  }

  /** A fresh journal id: the trust domain, what the CA is, and a random suffix. */
  String newId(String kind) {
    return trustDomain.name()
        + "-"
        + kind
        + "-"
        + HexFormat.of().toHexDigits(UUID.randomUUID().getMostSignificantBits());
  }

  static String name(AuthorityKind kind) {
    return kind.name().toLowerCase(Locale.ROOT);
  }

  /** SHA-256 over the certificates' encodings, in order. */
  static byte[] digest(List<X509Certificate> certificates) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      for (X509Certificate certificate : certificates) {
        sha256.update(encoded(certificate));
      }
      return sha256.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }

  private static byte[] encoded(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("a certificate we built cannot be encoded", e);
    }
  }
}
