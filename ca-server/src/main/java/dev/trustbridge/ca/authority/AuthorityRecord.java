package dev.trustbridge.ca.authority;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.io.ByteArrayInputStream;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One CA in a trust domain's authority journal: its certificate, the key that signs for it, and its
 * state. Immutable: the certificate bytes are copied in and out, and two records are equal if their
 * contents are. Times are kept at millisecond precision (the precision the datastore keeps).
 *
 * @param id the journal id of this CA
 * @param trustDomain the trust domain it signs for
 * @param kind root or intermediate
 * @param state where it stands in the journal
 * @param keyId the {@link dev.trustbridge.spiffe.keys.KeyManager} id of its signing key
 * @param certificateDer its certificate, DER-encoded
 * @param issuerId the journal id of the CA that issued it, if that CA is in the journal
 * @param notAfter the end of its certificate's validity
 * @param createdAt when it was added to the journal
 * @param updatedAt when its state last changed (equal to {@code createdAt} until then)
 * @param upstreamChainDer the certificates an upstream authority gave between this CA and its root,
 *     in order from the one that issued it, DER-encoded back to back; empty when its issuer is the
 *     root itself (every self-signed trust domain, and a Vault root issuer)
 */
public record AuthorityRecord(
    String id,
    TrustDomain trustDomain,
    AuthorityKind kind,
    AuthorityState state,
    String keyId,
    byte[] certificateDer,
    Optional<String> issuerId,
    Instant notAfter,
    Instant createdAt,
    Instant updatedAt,
    byte[] upstreamChainDer) {

  /** A record without upstream certificates between it and its root. */
  public AuthorityRecord(
      String id,
      TrustDomain trustDomain,
      AuthorityKind kind,
      AuthorityState state,
      String keyId,
      byte[] certificateDer,
      Optional<String> issuerId,
      Instant notAfter,
      Instant createdAt,
      Instant updatedAt) {
    this(
        id,
        trustDomain,
        kind,
        state,
        keyId,
        certificateDer,
        issuerId,
        notAfter,
        createdAt,
        updatedAt,
        new byte[0]);
  }

  /** Checks the invariants and copies the certificates. */
  public AuthorityRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(certificateDer, "certificateDer");
    Objects.requireNonNull(issuerId, "issuerId");
    Objects.requireNonNull(notAfter, "notAfter");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
    Objects.requireNonNull(upstreamChainDer, "upstreamChainDer");
    if (id.isBlank()) {
      throw TrustbridgeException.invalidArgument("authority id must not be blank");
    }
    if (keyId.isBlank()) {
      throw TrustbridgeException.invalidArgument("authority key id must not be blank");
    }
    if (certificateDer.length == 0) {
      throw TrustbridgeException.invalidArgument("authority certificate must not be empty");
    }
    certificateDer = certificateDer.clone();
    upstreamChainDer = upstreamChainDer.clone();
    notAfter = notAfter.truncatedTo(ChronoUnit.MILLIS);
    createdAt = createdAt.truncatedTo(ChronoUnit.MILLIS);
    updatedAt = updatedAt.truncatedTo(ChronoUnit.MILLIS);
    if (updatedAt.isBefore(createdAt)) {
      throw TrustbridgeException.invalidArgument("authority updatedAt must not precede createdAt");
    }
  }

  /** A copy of the DER-encoded certificate. */
  @Override
  public byte[] certificateDer() {
    return certificateDer.clone();
  }

  /** A copy of the upstream certificates above this CA, DER-encoded back to back. */
  @Override
  public byte[] upstreamChainDer() {
    return upstreamChainDer.clone();
  }

  /**
   * Its certificate, decoded.
   *
   * @throws IllegalStateException if the stored bytes are not a certificate (a corrupt journal)
   */
  public X509Certificate certificate() {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(certificateDer));
    } catch (CertificateException e) {
      throw new IllegalStateException("stored certificate of authority " + id + " is corrupt", e);
    }
  }

  /**
   * The upstream certificates between this CA and its root, decoded, the one that issued it first;
   * empty if there are none.
   *
   * @throws IllegalStateException if the stored bytes are not certificates (a corrupt journal)
   */
  public List<X509Certificate> upstreamChain() {
    if (upstreamChainDer.length == 0) {
      return List.of();
    }
    try {
      List<X509Certificate> chain = new ArrayList<>();
      for (Certificate c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(upstreamChainDer))) {
        chain.add((X509Certificate) c);
      }
      return List.copyOf(chain);
    } catch (CertificateException | ClassCastException e) {
      throw new IllegalStateException(
          "stored upstream chain of authority " + id + " is corrupt", e);
    }
  }

  /** This record in another state, changed at {@code at}. */
  public AuthorityRecord withState(AuthorityState newState, Instant at) {
    return new AuthorityRecord(
        id,
        trustDomain,
        kind,
        newState,
        keyId,
        certificateDer,
        issuerId,
        notAfter,
        createdAt,
        at,
        upstreamChainDer);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AuthorityRecord other
        && id.equals(other.id)
        && trustDomain.equals(other.trustDomain)
        && kind == other.kind
        && state == other.state
        && keyId.equals(other.keyId)
        && Arrays.equals(certificateDer, other.certificateDer)
        && issuerId.equals(other.issuerId)
        && notAfter.equals(other.notAfter)
        && createdAt.equals(other.createdAt)
        && updatedAt.equals(other.updatedAt)
        && Arrays.equals(upstreamChainDer, other.upstreamChainDer);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
                id, trustDomain, kind, state, keyId, issuerId, notAfter, createdAt, updatedAt)
            * 961
        + Arrays.hashCode(certificateDer) * 31
        + Arrays.hashCode(upstreamChainDer);
  }

  @Override
  public String toString() {
    return "AuthorityRecord[id="
        + id
        + ", trustDomain="
        + trustDomain
        + ", kind="
        + kind
        + ", state="
        + state
        + ", keyId="
        + keyId
        + ", certificateDer="
        + certificateDer.length
        + " bytes"
        + ", issuerId="
        + issuerId
        + ", notAfter="
        + notAfter
        + ", createdAt="
        + createdAt
        + ", updatedAt="
        + updatedAt
        + ", upstreamChainDer="
        + upstreamChainDer.length
        + " bytes]";
  }
}
