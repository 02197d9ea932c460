package dev.trustbridge.ca.upstream;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Istio-style plug-in CA files generated at run time: a root, optionally a middle CA, the CA. */
final class PluginCaFixture {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A certificate with its key pair. */
  record Ca(KeyPair keys, X509Certificate certificate) {}

  private PluginCaFixture() {}

  static KeyPair ecKeys() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Ca root(String name, Instant now, Duration ttl) {
    KeyPair keys = ecKeys();
    return new Ca(keys, build(name, keys, null, now, ttl, true, Optional.empty()));
  }

  /** A signing CA of the trust domain ({@code spiffe://<td>} URI SAN, cA, keyCertSign). */
  static Ca ca(String name, Ca issuer, String trustDomain, Instant now, Duration ttl) {
    KeyPair keys = ecKeys();
    return new Ca(
        keys, build(name, keys, issuer, now, ttl, true, Optional.of("spiffe://" + trustDomain)));
  }

  /** A CA certificate as {@link #ca} but with the given CA flag and SAN. */
  static Ca custom(
      String name, Ca issuer, Instant now, Duration ttl, boolean isCa, Optional<String> uri) {
    KeyPair keys = ecKeys();
    return new Ca(keys, build(name, keys, issuer, now, ttl, isCa, uri));
  }

  private static X509Certificate build(
      String name,
      KeyPair keys,
      Ca issuer,
      Instant now,
      Duration ttl,
      boolean isCa,
      Optional<String> uri) {
    try {
      X500Name subject = new X500Name("O=Istio, CN=" + name);
      X500Name issuerName =
          issuer == null
              ? subject
              : X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              issuerName,
              new BigInteger(128, RANDOM),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(ttl)),
              subject,
              keys.getPublic());
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
      builder.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(isCa ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
      builder.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          utils.createSubjectKeyIdentifier(keys.getPublic()));
      if (uri.isPresent()) {
        builder.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri.get())));
      }
      KeyPair signer = issuer == null ? keys : issuer.keys();
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(
                  new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String pem(Object... objects) {
    try (StringWriter out = new StringWriter();
        JcaPEMWriter writer = new JcaPEMWriter(out)) {
      for (Object object : objects) {
        writer.writeObject(object);
      }
      writer.flush();
      return out.toString();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes Istio's four files into {@code dir}: root-cert.pem (the roots), cert-chain.pem (the CA,
   * then {@code middle}, then the first root), ca-cert.pem, ca-key.pem ({@code key}'s private key).
   * Every file gets the modification time {@code mtime}, so that a reload sees the change.
   */
  static void write(
      Path dir,
      List<X509Certificate> roots,
      List<X509Certificate> middle,
      X509Certificate caCert,
      KeyPair key,
      Instant mtime)
      throws IOException {
    Files.createDirectories(dir);
    List<Object> chain = new ArrayList<>();
    chain.add(caCert);
    chain.addAll(middle);
    chain.add(roots.get(0));
    PluginFiles.Paths paths = PluginFiles.Paths.istio(dir);
    Files.writeString(paths.rootBundle(), pem(roots.toArray()));
    Files.writeString(paths.certChain(), pem(chain.toArray()));
    Files.writeString(paths.caCert(), pem(caCert));
    try {
      // PKCS#8 ("PRIVATE KEY"), as `openssl genpkey` writes it.
      Files.writeString(
          paths.caKey(),
          pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key.getPrivate(), null)));
    } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
      throw new IOException(e);
    }
    for (Path file : paths.all()) {
      Files.setLastModifiedTime(file, FileTime.from(mtime));
    }
  }
}
