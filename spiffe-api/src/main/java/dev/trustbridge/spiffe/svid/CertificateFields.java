package dev.trustbridge.spiffe.svid;

import java.io.IOException;
import java.security.Provider;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Reads the fields of an X.509 certificate that the SVID rules look at, through the JCA getters so
 * that it works on certificates from any provider (our CA certificates from Bouncy Castle, our
 * leaves from the JDK, a peer's from JSSE).
 */
final class CertificateFields {
  /** The one Bouncy Castle instance of this package; never installed globally. */
  static final Provider BC = new BouncyCastleProvider();

  static final String BASIC_CONSTRAINTS = Extension.basicConstraints.getId();
  static final String KEY_USAGE = Extension.keyUsage.getId();
  static final String SUBJECT_ALT_NAME = Extension.subjectAlternativeName.getId();
  static final String EXTENDED_KEY_USAGE = Extension.extendedKeyUsage.getId();
  static final String NAME_CONSTRAINTS = Extension.nameConstraints.getId();
  static final String SUBJECT_KEY_IDENTIFIER = Extension.subjectKeyIdentifier.getId();
  static final String AUTHORITY_KEY_IDENTIFIER = Extension.authorityKeyIdentifier.getId();
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
    return isCritical(cert.getCriticalExtensionOIDs(), oid);
  }

  /** True if {@code critical} (from {@link X509Certificate#getCriticalExtensionOIDs}) has it. */
  static boolean isCritical(Set<String> critical, String oid) {
    return critical != null && critical.contains(oid);
  }

  /** True if the KU extension is present and sets {@code bit}. */
  static boolean keyUsage(X509Certificate cert, int bit) {
    return isSet(cert.getKeyUsage(), bit);
  }

  /** True if {@code usage} (from {@link X509Certificate#getKeyUsage}, maybe null) sets the bit. */
  static boolean isSet(boolean[] usage, int bit) {
    return usage != null && usage.length > bit && usage[bit];
  }

  /** True if {@code usage} (maybe null) sets a bit not in {@code allowed}. */
  static boolean setsOtherThan(boolean[] usage, int... allowed) {
    if (usage == null) {
      return false;
    }
    for (int bit = 0; bit < usage.length; bit++) {
      if (usage[bit] && !contains(allowed, bit)) {
        return true;
      }
    }
    return false;
  }

  private static boolean contains(int[] values, int value) {
    for (int v : values) {
      if (v == value) {
        return true;
      }
    }
    return false;
  }

  static boolean hasEmptySubject(X509Certificate cert) {
    return cert.getSubjectX500Principal().getEncoded().length <= 2;
  }

  /**
   * The key identifier of the SKI extension, if present.
   *
   * @throws IllegalArgumentException if the extension is malformed (Bouncy Castle's message)
   */
  static Optional<byte[]> subjectKeyIdentifier(X509Certificate cert) {
    byte[] wrapped = cert.getExtensionValue(SUBJECT_KEY_IDENTIFIER);
    if (wrapped == null) {
      return Optional.empty();
    }
    // Strict DER, the form every certificate we make has: OCTET STRING { OCTET STRING keyId }.
    byte[] extnValue = DerReader.contentsOfOnly(wrapped, DerWriter.OCTET_STRING);
    byte[] keyId =
        extnValue == null ? null : DerReader.contentsOfOnly(extnValue, DerWriter.OCTET_STRING);
    if (keyId != null) {
      return Optional.of(keyId);
    }
    // Anything else goes to Bouncy Castle, which accepts BER and rejects the rest as it always did.
    return Optional.of(ASN1OctetString.getInstance(wrapped).getOctets())
        .map(der -> SubjectKeyIdentifier.getInstance(der).getKeyIdentifier());
  }

  /**
   * The keyIdentifier of the AKI extension; empty if there is no AKI or it has no keyIdentifier.
   *
   * @throws IllegalArgumentException if the extension is malformed (Bouncy Castle's message)
   */
  static Optional<byte[]> authorityKeyIdentifier(X509Certificate cert) {
    byte[] wrapped = cert.getExtensionValue(AUTHORITY_KEY_IDENTIFIER);
    if (wrapped == null) {
      return Optional.empty();
    }
    // Strict DER with a keyIdentifier only: OCTET STRING { SEQUENCE { [0] keyId } }.
    byte[] extnValue = DerReader.contentsOfOnly(wrapped, DerWriter.OCTET_STRING);
    byte[] sequence =
        extnValue == null ? null : DerReader.contentsOfOnly(extnValue, DerWriter.SEQUENCE);
    byte[] keyId =
        sequence == null ? null : DerReader.contentsOfOnly(sequence, DerWriter.contextPrimitive(0));
    if (keyId != null) {
      return Optional.of(keyId);
    }
    return Optional.of(ASN1OctetString.getInstance(wrapped).getOctets())
        .map(der -> AuthorityKeyIdentifier.getInstance(der).getKeyIdentifierOctets());
  }

  static Optional<NameConstraints> nameConstraints(X509Certificate cert) {
    return extensionOctets(cert, NAME_CONSTRAINTS).map(NameConstraints::getInstance);
  }

  /** The DER TLV of an object identifier, for writing certificates. */
  static byte[] der(ASN1ObjectIdentifier oid) {
    try {
      return oid.getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode " + oid, e);
    }
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
