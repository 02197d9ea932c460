package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.keys.KeyType;
import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate assembled field by field with Bouncy Castle, bypassing our builders, so that tests
 * can produce exactly one broken rule. Defaults make a conformant leaf (or CA) issued by the given
 * issuer; tests then change one field.
 */
final class CraftedCert {
  X500Name issuerName;
  BigInteger serial = BigInteger.valueOf(0x5eed);
  Instant notBefore;
  Instant notAfter;
  X500Name subject = new X500Name(new RDN[0]);
  PublicKey publicKey;
  List<GeneralName> sans = new ArrayList<>();
  boolean sanCritical = true;
  BasicConstraints basicConstraints = new BasicConstraints(false);
  boolean basicConstraintsCritical = true;
  Integer keyUsage = KeyUsage.digitalSignature;
  boolean keyUsageCritical = true;
  KeyPurposeId[] extendedKeyUsage = {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth};
  boolean extendedKeyUsageCritical = false;
  NameConstraints nameConstraints;
  boolean nameConstraintsCritical = true;
  boolean subjectKeyIdentifier = true;
  byte[] authorityKeyIdentifier;
  PrivateKey signingKey;
  KeyType signingKeyType;

  /** Extensions added as they are, after the others: for malformed values. */
  List<Extension> rawExtensions = new ArrayList<>();

  /** A conformant leaf for {@code uri}, signed by {@code issuer}, valid from its issuer's start. */
  static CraftedCert leaf(String uri, X509Certificate issuer, TestCaKey issuerKey, Instant now) {
    CraftedCert c = new CraftedCert();
    c.issuerName = X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
    c.notBefore = issuer.getNotBefore().toInstant();
    c.notAfter = now.plus(Duration.ofHours(1));
    c.publicKey = TestKeys.pair(KeyType.EC_P256, 99).getPublic();
    c.sans.add(uri(uri));
    c.authorityKeyIdentifier =
        CertificateFields.subjectKeyIdentifier(issuer).orElseThrow(IllegalStateException::new);
    c.signingKey = issuerKey.pair().getPrivate();
    c.signingKeyType = issuerKey.keyType();
    return c;
  }

  /** A conformant CA for {@code uri}, signed by {@code issuer}. */
  static CraftedCert ca(String uri, X509Certificate issuer, TestCaKey issuerKey, Instant now) {
    CraftedCert c = leaf(uri, issuer, issuerKey, now);
    c.subject = new X500Name("O=Crafted, CN=crafted CA");
    c.sanCritical = false;
    c.basicConstraints = new BasicConstraints(true);
    c.keyUsage = KeyUsage.keyCertSign | KeyUsage.cRLSign;
    c.extendedKeyUsage = null;
    return c;
  }

  static GeneralName uri(String uri) {
    return new GeneralName(GeneralName.uniformResourceIdentifier, uri);
  }

  static GeneralName dns(String name) {
    return new GeneralName(GeneralName.dNSName, name);
  }

  X509Certificate build() {
    try {
      X509v3CertificateBuilder b =
          new X509v3CertificateBuilder(
              issuerName,
              serial,
              Date.from(notBefore),
              Date.from(notAfter),
              subject,
              SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()));
      if (!sans.isEmpty()) {
        add(
            b,
            Extension.subjectAlternativeName,
            sanCritical,
            new GeneralNames(sans.toArray(GeneralName[]::new)));
      }
      if (basicConstraints != null) {
        add(b, Extension.basicConstraints, basicConstraintsCritical, basicConstraints);
      }
      if (keyUsage != null) {
        add(b, Extension.keyUsage, keyUsageCritical, new KeyUsage(keyUsage));
      }
      if (extendedKeyUsage != null) {
        add(
            b,
            Extension.extendedKeyUsage,
            extendedKeyUsageCritical,
            new ExtendedKeyUsage(extendedKeyUsage));
      }
      if (nameConstraints != null) {
        add(b, Extension.nameConstraints, nameConstraintsCritical, nameConstraints);
      }
      if (subjectKeyIdentifier) {
        add(
            b,
            Extension.subjectKeyIdentifier,
            false,
            new JcaX509ExtensionUtils().createSubjectKeyIdentifier(publicKey));
      }
      if (authorityKeyIdentifier != null) {
        add(
            b,
            Extension.authorityKeyIdentifier,
            false,
            new AuthorityKeyIdentifier(authorityKeyIdentifier));
      }
      for (Extension raw : rawExtensions) {
        b.addExtension(raw);
      }
      return new JcaX509CertificateConverter()
          .setProvider(TestKeys.BC)
          .getCertificate(
              b.build(
                  new JcaContentSignerBuilder(signingKeyType.jcaSignatureAlgorithm())
                      .setProvider(TestKeys.BC)
                      .build(signingKey)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void add(
      X509v3CertificateBuilder b, ASN1ObjectIdentifier oid, boolean critical, ASN1Encodable value)
      throws Exception {
    b.addExtension(oid, critical, value);
  }
}
