package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.CaKeyContentSigner;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.Optional;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

/** What the leaf and CA builders share: serials, validity windows, key identifiers, signing. */
final class Issuance {
  static final String TTL_NOT_POSITIVE = "ttl must be positive";
  static final String BACKDATE_NEGATIVE = "backdate must not be negative";
  static final String LIFETIME_MISSING = "notAfter or ttl must be set";
  static final String VALIDITY_EMPTY = "notAfter must be after notBefore";
  static final String ISSUER_EXPIRED = "issuer CA has expired";
  static final String ISSUER_NOT_YET_VALID = "issuer CA is not yet valid";
  private static final String UNDECODABLE = "signed certificate cannot be decoded";

  /**
   * The JDK's certificate provider, named explicitly: {@code
   * CertificateFactory.getInstance("X.509")} would take whichever provider an application put
   * first.
   */
  private static final Provider JDK_CERTIFICATES = jdkCertificateProvider();

  private Issuance() {}

  private static Provider jdkCertificateProvider() {
    Provider sun = Security.getProvider("SUN");
    if (sun == null) {
      throw new IllegalStateException("the JDK's SUN provider is not available");
    }
    return sun;
  }

  /** A random positive serial of up to 128 bits: at most 17 DER octets, well under 20. */
  static BigInteger randomSerial(SecureRandom random) {
    BigInteger serial;
    do {
      serial = new BigInteger(128, random);
    } while (serial.signum() == 0);
    return serial;
  }

  /** The validity window of a new certificate, clamped into the issuer's when there is one. */
  record Validity(Instant notBefore, Instant notAfter) {
    static Validity of(
        Instant now,
        Duration backdate,
        Optional<Instant> notAfter,
        Optional<Duration> ttl,
        Optional<IssuerFacts> issuer) {
      Instant requested =
          notAfter
              .or(() -> ttl.map(now::plus))
              .orElseThrow(() -> TrustbridgeException.invalidArgument(LIFETIME_MISSING));
      // X.509 times have whole seconds; truncating keeps the clamps below exact.
      Instant notBefore = now.minus(backdate).truncatedTo(ChronoUnit.SECONDS);
      Instant end = requested.truncatedTo(ChronoUnit.SECONDS);
      if (issuer.isPresent()) {
        Instant issuerNotBefore = issuer.get().notBefore();
        Instant issuerNotAfter = issuer.get().notAfter();
        if (!issuerNotAfter.isAfter(now)) {
          throw new TrustbridgeException(ErrorCode.FAILED_PRECONDITION, ISSUER_EXPIRED);
        }
        if (issuerNotBefore.isAfter(now)) {
          throw new TrustbridgeException(ErrorCode.FAILED_PRECONDITION, ISSUER_NOT_YET_VALID);
        }
        if (notBefore.isBefore(issuerNotBefore)) {
          notBefore = issuerNotBefore;
        }
        if (end.isAfter(issuerNotAfter)) {
          end = issuerNotAfter;
        }
      }
      if (!end.isAfter(notBefore)) {
        throw TrustbridgeException.invalidArgument(VALIDITY_EMPTY);
      }
      return new Validity(notBefore, end);
    }
  }

  static Duration requirePositiveTtl(Duration ttl) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw TrustbridgeException.invalidArgument(TTL_NOT_POSITIVE);
    }
    return ttl;
  }

  static Duration requireBackdate(Duration backdate) {
    if (backdate.isNegative()) {
      throw TrustbridgeException.invalidArgument(BACKDATE_NEGATIVE);
    }
    return backdate;
  }

  static SubjectKeyIdentifier subjectKeyIdentifier(PublicKey key) {
    return extensionUtils().createSubjectKeyIdentifier(key);
  }

  /** The AKI of a certificate issued by {@code issuer}: the issuer's own SKI when it has one. */
  static AuthorityKeyIdentifier authorityKeyIdentifier(X509Certificate issuer) {
    byte[] ski =
        CertificateFields.subjectKeyIdentifier(issuer)
            .orElseGet(() -> subjectKeyIdentifier(issuer.getPublicKey()).getKeyIdentifier());
    return new AuthorityKeyIdentifier(ski);
  }

  /** Signs the template with {@code key} and converts it with our Bouncy Castle instance. */
  static X509Certificate sign(X509v3CertificateBuilder template, CaKey key) {
    try {
      return new JcaX509CertificateConverter()
          .setProvider(CertificateFields.BC)
          .getCertificate(template.build(new CaKeyContentSigner(key)));
    } catch (CertificateException e) {
      throw new SvidProfileException(UNDECODABLE, e);
    }
  }

  /**
   * Signs a DER TBSCertificate with {@code key} and decodes the result with the JDK's own provider,
   * which parses the certificate once and keeps the fields (Bouncy Castle's certificate object
   * parses times again on every call).
   *
   * @param signatureAlgorithm the DER AlgorithmIdentifier that the TBSCertificate names too
   */
  static X509Certificate sign(byte[] tbsCertificate, CaKey key, byte[] signatureAlgorithm) {
    byte[] signature = key.sign(tbsCertificate);
    byte[] certificate =
        new DerWriter(tbsCertificate.length + signatureAlgorithm.length + signature.length + 16)
            .begin(DerWriter.SEQUENCE)
            .raw(tbsCertificate)
            .raw(signatureAlgorithm)
            .bitString(signature)
            .end()
            .toByteArray();
    try {
      // generateCertificates, not generateCertificate: the singular keeps the latest 750
      // certificates it decoded in a process-wide cache of soft references, so under load every
      // young collection copied the last few hundred leaves (GC pauses of 11-12 ms against 7 ms at
      // 3,500 issuances/s, docs/benchmarks.md). The plural decodes without the cache; it first
      // tries the bytes as PKCS#7 and throws and catches a ParsingException (about 2 us a leaf).
      Iterator<? extends Certificate> decoded =
          CertificateFactory.getInstance("X.509", JDK_CERTIFICATES)
              .generateCertificates(new ByteArrayInputStream(certificate))
              .iterator();
      if (decoded.hasNext() && decoded.next() instanceof X509Certificate leaf) {
        return leaf;
      }
    } catch (CertificateException e) {
      throw new SvidProfileException(UNDECODABLE, e);
    }
    throw new SvidProfileException(UNDECODABLE);
  }

  /** Adds an extension; BC declares an IOException that cannot happen for our values. */
  static void addExtension(
      X509v3CertificateBuilder template,
      org.bouncycastle.asn1.ASN1ObjectIdentifier oid,
      boolean critical,
      org.bouncycastle.asn1.ASN1Encodable value) {
    try {
      template.addExtension(oid, critical, value);
    } catch (CertIOException e) {
      throw new IllegalStateException("cannot encode extension " + oid, e);
    }
  }

  private static JcaX509ExtensionUtils extensionUtils() {
    try {
      return new JcaX509ExtensionUtils();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is not available for key identifiers", e);
    }
  }
}
