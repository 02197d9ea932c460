package dev.trustbridge.spiffe.bundle;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.x509.Certificate;

/** Decoding and checking the CA certificates a bundle may hold as X.509 authorities. */
final class X509Authorities {
  private static final int KEY_CERT_SIGN = 5;

  private X509Authorities() {}

  /**
   * Decodes exactly one DER certificate: BER, trailing bytes and anything the JDK certificate
   * factory refuses give empty.
   */
  static Optional<X509Certificate> fromDer(byte[] der) {
    try {
      // Bouncy Castle first: it refuses trailing data, and re-encoding proves the input was DER.
      Certificate parsed = Certificate.getInstance(ASN1Primitive.fromByteArray(der));
      if (parsed == null || !Arrays.equals(parsed.getEncoded(ASN1Encoding.DER), der)) {
        return Optional.empty();
      }
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      X509Certificate cert =
          (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der));
      return Arrays.equals(cert.getEncoded(), der) ? Optional.of(cert) : Optional.empty();
    } catch (IOException | CertificateException | RuntimeException e) {
      // Bouncy Castle reports structural errors as IllegalArgumentException/ClassCastException.
      return Optional.empty();
    }
  }

  /**
   * Whether a certificate may be an X.509 authority of a bundle: a CA ({@code cA=true}, and {@code
   * keyCertSign} when key usage is present) whose key Trustbridge can describe as a JWK.
   */
  static boolean isCa(X509Certificate cert) {
    if (cert.getBasicConstraints() < 0) {
      return false;
    }
    boolean[] keyUsage = cert.getKeyUsage();
    return keyUsage == null || (keyUsage.length > KEY_CERT_SIGN && keyUsage[KEY_CERT_SIGN]);
  }

  /** The DER encoding, or an {@link InvalidBundleException} for a certificate that has none. */
  static byte[] der(X509Certificate cert) {
    try {
      byte[] der = cert.getEncoded();
      if (der == null) {
        throw new InvalidBundleException(InvalidBundleException.AUTHORITY_NOT_ENCODABLE);
      }
      return der;
    } catch (CertificateEncodingException e) {
      throw new InvalidBundleException(InvalidBundleException.AUTHORITY_NOT_ENCODABLE);
    }
  }
}
