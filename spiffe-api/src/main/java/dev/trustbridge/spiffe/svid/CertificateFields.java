package dev.trustbridge.spiffe.svid;

import java.security.Provider;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Reads the fields of an X.509 certificate that the SVID rules look at, through the JCA getters so
 * that it works on certificates from any provider (ours from Bouncy Castle, a peer's from JSSE).
 */
final class CertificateFields {
  /** The one Bouncy Castle instance of this package; never installed globally. */
  static final Provider BC = new BouncyCastleProvider();

  static final String BASIC_CONSTRAINTS = Extension.basicConstraints.getId();
  static final String KEY_USAGE = Extension.keyUsage.getId();
  static final String SUBJECT_ALT_NAME = Extension.subjectAlternativeName.getId();
  static final String EXTENDED_KEY_USAGE = Extension.extendedKeyUsage.getId();
  static final String NAME_CONSTRAINTS = Extension.nameConstraints.getId();
  static final String SERVER_AUTH = KeyPurposeId.id_kp_serverAuth.getId();
  static final String CLIENT_AUTH = KeyPurposeId.id_kp_clientAuth.getId();

  // Bit positions as returned by X509Certificate#getKeyUsage (RFC 5280 section 4.2.1.3).
  static final int DIGITAL_SIGNATURE = 0;
  static final int NON_REPUDIATION = 1;
  static final int KEY_ENCIPHERMENT = 2;
  static final int DATA_ENCIPHERMENT = 3;
  static final int KEY_AGREEMENT = 4;
  static final int KEY_CERT_SIGN = 5;
  static final int CRL_SIGN = 6;

  private static final int URI_NAME = 6;

  private CertificateFields() {}

  /** The URI SAN values (of any scheme), in certificate order; empty if there is no SAN. */
  static List<String> uriSans(X509Certificate cert) throws CertificateParsingException {
    Collection<List<?>> names = cert.getSubjectAlternativeNames();
    List<String> uris = new ArrayList<>();
    if (names == null) {
      return uris;
    }
    for (List<?> name : names) {
      if (name.size() >= 2
          && name.get(0) instanceof Integer type
          && type == URI_NAME
          && name.get(1) instanceof String value) {
        uris.add(value);
      }
    }
    return uris;
  }

  static boolean hasExtension(X509Certificate cert, String oid) {
    return cert.getExtensionValue(oid) != null;
  }

  static boolean isCritical(X509Certificate cert, String oid) {
    Set<String> critical = cert.getCriticalExtensionOIDs();
    return critical != null && critical.contains(oid);
  }

  /** True if the KU extension is present and sets {@code bit}. */
  static boolean keyUsage(X509Certificate cert, int bit) {
    boolean[] usage = cert.getKeyUsage();
    return usage != null && usage.length > bit && usage[bit];
  }

  /** True if the KU extension sets a bit not in {@code allowed}. */
  static boolean keyUsageBeyond(X509Certificate cert, int... allowed) {
    boolean[] usage = cert.getKeyUsage();
    if (usage == null) {
      return false;
    }
    for (int bit = 0; bit < usage.length; bit++) {
      final int b = bit;
      if (usage[bit] && Arrays.stream(allowed).noneMatch(a -> a == b)) {
        return true;
      }
    }
    return false;
  }

  static boolean hasEmptySubject(X509Certificate cert) {
    return cert.getSubjectX500Principal().getEncoded().length <= 2;
  }

  static Optional<byte[]> subjectKeyIdentifier(X509Certificate cert) {
    return extensionOctets(cert, Extension.subjectKeyIdentifier.getId())
        .map(der -> SubjectKeyIdentifier.getInstance(der).getKeyIdentifier());
  }

  static Optional<byte[]> authorityKeyIdentifier(X509Certificate cert) {
    return extensionOctets(cert, Extension.authorityKeyIdentifier.getId())
        .map(der -> AuthorityKeyIdentifier.getInstance(der).getKeyIdentifierOctets());
  }

  static Optional<NameConstraints> nameConstraints(X509Certificate cert) {
    return extensionOctets(cert, NAME_CONSTRAINTS).map(NameConstraints::getInstance);
  }

  /** The DER of an extension's value (the contents of its extnValue OCTET STRING). */
  private static Optional<byte[]> extensionOctets(X509Certificate cert, String oid) {
    byte[] wrapped = cert.getExtensionValue(oid);
    if (wrapped == null) {
      return Optional.empty();
    }
    return Optional.of(ASN1OctetString.getInstance(wrapped).getOctets());
  }
}
