package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.CaKeyContentSigner;
import dev.trustbridge.spiffe.keys.KeyType;
import java.io.IOException;
import java.net.InetAddress;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DEROctetString;
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
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

/**
 * The leaf TBSCertificate exactly as {@link X509SvidBuilder} assembled it with Bouncy Castle's
 * {@code X509v3CertificateBuilder} before it wrote DER itself: the reference that the direct
 * encoding must match byte for byte. Kept in test code only.
 */
final class BouncyCastleLeaf {
  private BouncyCastleLeaf() {}

  /** The DER TBSCertificate of the leaf the old builder made from these inputs. */
  static byte[] tbs(
      IssuingCa issuer,
      Instant now,
      Duration backdate,
      Duration ttl,
      SpiffeId spiffeId,
      PublicKey publicKey,
      List<String> dnsNames,
      List<InetAddress> ipAddresses,
      X500Principal subjectOrNull,
      SecureRandom random)
      throws Exception {
    X509Certificate issuerCert = issuer.certificate();
    // Issuance.Validity as it was, for a ttl.
    Instant notBefore = now.minus(backdate).truncatedTo(ChronoUnit.SECONDS);
    Instant notAfter = now.plus(ttl).truncatedTo(ChronoUnit.SECONDS);
    Instant issuerNotBefore = issuerCert.getNotBefore().toInstant();
    Instant issuerNotAfter = issuerCert.getNotAfter().toInstant();
    if (notBefore.isBefore(issuerNotBefore)) {
      notBefore = issuerNotBefore;
    }
    if (notAfter.isAfter(issuerNotAfter)) {
      notAfter = issuerNotAfter;
    }
    X500Name subject =
        subjectOrNull == null
            ? new X500Name(new RDN[0])
            : X500Name.getInstance(subjectOrNull.getEncoded());
    X509v3CertificateBuilder template =
        new X509v3CertificateBuilder(
            X500Name.getInstance(issuerCert.getSubjectX500Principal().getEncoded()),
            Issuance.randomSerial(random),
            Date.from(notBefore),
            Date.from(notAfter),
            subject,
            SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()));
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId.toString()));
    for (String dns : dnsNames) {
      names.add(new GeneralName(GeneralName.dNSName, dns));
    }
    for (InetAddress address : ipAddresses) {
      names.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(address.getAddress())));
    }
    boolean rsa = KeyType.of(publicKey).orElseThrow().isRsa();
    int usage = KeyUsage.digitalSignature | (rsa ? KeyUsage.keyEncipherment : 0);
    add(
        template,
        Extension.subjectAlternativeName,
        true,
        new GeneralNames(names.toArray(GeneralName[]::new)));
    add(template, Extension.basicConstraints, true, new BasicConstraints(false));
    add(template, Extension.keyUsage, true, new KeyUsage(usage));
    add(
        template,
        Extension.extendedKeyUsage,
        false,
        new ExtendedKeyUsage(
            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
    add(
        template,
        Extension.subjectKeyIdentifier,
        false,
        utils.createSubjectKeyIdentifier(publicKey));
    byte[] issuerSki =
        SubjectKeyIdentifier.getInstance(
                ASN1OctetString.getInstance(
                        issuerCert.getExtensionValue(Extension.subjectKeyIdentifier.getId()))
                    .getOctets())
            .getKeyIdentifier();
    add(template, Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(issuerSki));
    return template
        .build(new CaKeyContentSigner(issuer.key()))
        .toASN1Structure()
        .getTBSCertificate()
        .getEncoded(ASN1Encoding.DER);
  }

  private static void add(
      X509v3CertificateBuilder template,
      ASN1ObjectIdentifier oid,
      boolean critical,
      ASN1Encodable value)
      throws IOException {
    template.addExtension(oid, critical, value);
  }
}
