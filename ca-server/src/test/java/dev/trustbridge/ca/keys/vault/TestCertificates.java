package dev.trustbridge.ca.keys.vault;

import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificates generated at run time for the contract server (TLS and its PKI root). */
public final class TestCertificates {
  private static final SecureRandom RANDOM = new SecureRandom();

  private TestCertificates() {}

  /** A CA certificate and its key. */
  public record Ca(KeyPair keyPair, X509Certificate certificate) {}

  public static KeyPair ecKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static Ca selfSignedCa(String commonName, Instant now) {
    return ca(commonName, Optional.empty(), now, now.plus(Duration.ofDays(3650)));
  }

  /** A CA certificate issued by {@code issuer}, as an intermediate issuer in Vault's PKI. */
  public static Ca intermediateCa(Ca issuer, String commonName, Instant now) {
    return ca(commonName, Optional.of(issuer), now, issuer.certificate().getNotAfter().toInstant());
  }

  /** A CA with a new key, signed by {@code issuer} or by itself. */
  private static Ca ca(String commonName, Optional<Ca> issuer, Instant now, Instant notAfter) {
    KeyPair keyPair = ecKeyPair();
    X500Name subject = new X500Name("CN=" + commonName);
    X500Name issuerName =
        issuer
            .map(i -> X500Name.getInstance(i.certificate().getSubjectX500Principal().getEncoded()))
            .orElse(subject);
    try {
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              issuerName,
              new BigInteger(128, RANDOM),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(notAfter),
              subject,
              keyPair.getPublic());
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          utils.createSubjectKeyIdentifier(keyPair.getPublic()));
      if (issuer.isPresent()) {
        builder.addExtension(
            Extension.authorityKeyIdentifier,
            false,
            utils.createAuthorityKeyIdentifier(issuer.get().certificate()));
      }
      return new Ca(keyPair, sign(builder, issuer.map(Ca::keyPair).orElse(keyPair)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A TLS server certificate for localhost and 127.0.0.1. */
  public static X509Certificate serverCertificate(Ca ca, PublicKey key, Instant now) {
    try {
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              ca.certificate(),
              new BigInteger(128, RANDOM),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(Duration.ofDays(30))),
              new X500Name("CN=localhost"),
              key);
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(
                    GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress())
              }));
      return sign(builder, ca.keyPair());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuer) throws Exception {
    return new JcaX509CertificateConverter()
        .getCertificate(
            builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
  }

  public static String pem(List<?> objects) {
    try (StringWriter out = new StringWriter();
        JcaPEMWriter writer = new JcaPEMWriter(out)) {
      for (Object object : objects) {
        writer.writeObject(object);
      }
      writer.flush();
      return out.toString();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String pem(Object object) {
    return pem(List.of(object));
  }
}
