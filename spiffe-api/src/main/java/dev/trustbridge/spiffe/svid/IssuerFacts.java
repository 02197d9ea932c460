package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.id.SpiffeId;
import java.io.IOException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;

/**
 * What issuing and checking a certificate need to know about its issuer's certificate. Each fact is
 * read from the certificate on first use and then kept, so an {@link IssuingCa} (which holds one
 * instance) parses its certificate once rather than for every leaf.
 *
 * <p>Facts are read lazily, in the order the caller asks for them, and a failed read is not kept: a
 * malformed issuer certificate fails at the same point, with the same exception, as when every fact
 * was read from the certificate on each call. Thread safe: two threads may compute a fact twice,
 * and get equal values.
 */
final class IssuerFacts {
  private static final byte[] AUTHORITY_KEY_IDENTIFIER_OID =
      CertificateFields.der(Extension.authorityKeyIdentifier);

  private final X509Certificate certificate;
  private final Lazy<SpiffeId> spiffeId;
  private final Lazy<Instant> notBefore;
  private final Lazy<Instant> notAfter;
  private final Lazy<X500Principal> subject;
  private final Lazy<byte[]> subjectEncoded;
  private final Lazy<byte[]> subjectDer;
  private final Lazy<Optional<byte[]>> subjectKeyIdentifier;
  private final Lazy<byte[]> authorityKeyIdentifierExtension;
  private final Lazy<PublicKey> publicKey;

  private IssuerFacts(X509Certificate certificate, Supplier<SpiffeId> spiffeId) {
    this.certificate = certificate;
    this.spiffeId = new Lazy<>(spiffeId);
    this.notBefore = new Lazy<>(() -> certificate.getNotBefore().toInstant());
    this.notAfter = new Lazy<>(() -> certificate.getNotAfter().toInstant());
    this.subject = new Lazy<>(certificate::getSubjectX500Principal);
    this.subjectEncoded = new Lazy<>(() -> subject().getEncoded());
    this.subjectDer = new Lazy<>(this::readSubjectDer);
    this.subjectKeyIdentifier =
        new Lazy<>(() -> CertificateFields.subjectKeyIdentifier(certificate));
    this.authorityKeyIdentifierExtension = new Lazy<>(this::encodeAuthorityKeyIdentifier);
    this.publicKey = new Lazy<>(certificate::getPublicKey);
  }

  /** Facts of any certificate, e.g. one handed to the public checker. */
  static IssuerFacts of(X509Certificate certificate) {
    return new IssuerFacts(certificate, () -> X509SvidProfileChecker.spiffeId(certificate));
  }

  /** Facts of a certificate whose SPIFFE ID is already known (an {@link IssuingCa}'s). */
  static IssuerFacts of(X509Certificate certificate, SpiffeId spiffeId) {
    return new IssuerFacts(certificate, () -> spiffeId);
  }

  X509Certificate certificate() {
    return certificate;
  }

  /**
   * The certificate's one URI SAN as a SPIFFE ID.
   *
   * @throws SvidProfileException as {@link X509SvidProfileChecker#spiffeId} does
   */
  SpiffeId spiffeId() {
    return spiffeId.get();
  }

  Instant notBefore() {
    return notBefore.get();
  }

  Instant notAfter() {
    return notAfter.get();
  }

  /**
   * True if {@code name} (a subordinate's issuer name) equals this certificate's subject under
   * {@link X500Principal#equals}; equal encodings are equal names, so they skip canonicalizing.
   */
  boolean isSubject(X500Principal name) {
    return Arrays.equals(name.getEncoded(), subjectEncoded.get()) || name.equals(subject());
  }

  /**
   * The subject as Bouncy Castle's {@code X500Name} re-encodes it in DER: the issuer name a
   * subordinate certificate carries. Callers must not modify the array.
   */
  byte[] subjectDer() {
    return subjectDer.get();
  }

  /**
   * The certificate's subject key identifier, if it has the extension. Callers must not modify the
   * array.
   *
   * @throws IllegalArgumentException if the extension is malformed (Bouncy Castle's message)
   */
  Optional<byte[]> subjectKeyIdentifier() {
    return subjectKeyIdentifier.get();
  }

  /**
   * The whole authorityKeyIdentifier Extension (not critical, keyIdentifier only) of a certificate
   * this one issues: this certificate's SKI, or the SHA-1 key identifier of its key if it has none.
   * Callers must not modify the array.
   */
  byte[] authorityKeyIdentifierExtension() {
    return authorityKeyIdentifierExtension.get();
  }

  PublicKey publicKey() {
    return publicKey.get();
  }

  /** The validity window of this certificate, for clamping a subordinate's. */
  Issuance.Validity validity() {
    return new Issuance.Validity(notBefore(), notAfter());
  }

  private X500Principal subject() {
    return subject.get();
  }

  private byte[] readSubjectDer() {
    try {
      return X500Name.getInstance(subjectEncoded.get()).getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode the issuer's subject", e);
    }
  }

  private byte[] encodeAuthorityKeyIdentifier() {
    byte[] keyId =
        subjectKeyIdentifier()
            .orElseGet(() -> Issuance.subjectKeyIdentifier(publicKey()).getKeyIdentifier());
    return new DerWriter(keyId.length + 16)
        .begin(DerWriter.SEQUENCE)
        .raw(AUTHORITY_KEY_IDENTIFIER_OID)
        .begin(DerWriter.OCTET_STRING)
        .begin(DerWriter.SEQUENCE)
        .primitive(DerWriter.contextPrimitive(0), keyId)
        .end()
        .end()
        .end()
        .toByteArray();
  }

  /** A value computed on first use; a computation that throws is retried on the next use. */
  private static final class Lazy<T> {
    private final Supplier<T> supplier;
    private volatile T value;

    Lazy(Supplier<T> supplier) {
      this.supplier = supplier;
    }

    T get() {
      T v = value;
      if (v == null) {
        v = supplier.get();
        value = v;
      }
      return v;
    }
  }
}
