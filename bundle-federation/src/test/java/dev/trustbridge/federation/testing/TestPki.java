package dev.trustbridge.federation.testing;

import dev.trustbridge.federation.endpoint.ServerCredential;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.InMemoryKeyManager;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.CaCertificateBuilder;
import dev.trustbridge.spiffe.svid.IssuingCa;
import dev.trustbridge.spiffe.svid.X509SvidBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
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
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Run-time test PKI: SPIFFE CAs and SVIDs (through spiffe-api's builders) and Web PKI pairs. */
public final class TestPki {
  private static final InMemoryKeyManager KEYS = new InMemoryKeyManager();
  private static final AtomicLong IDS = new AtomicLong();
  private static final AtomicLong SERIALS = new AtomicLong(System.nanoTime());

  private TestPki() {}

  /** A fresh EC P-256 key pair from the JDK provider (JSSE signs with it). */
  public static KeyPair ecKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A SPIFFE root CA of a trust domain. */
  public static IssuingCa spiffeCa(TrustDomain td, Clock clock) {
    CaKey key = KEYS.generate("ca-" + IDS.incrementAndGet(), KeyType.EC_P256);
    X509Certificate cert =
        CaCertificateBuilder.selfSigned(td, key, clock).ttl(Duration.ofDays(30)).build();
    return IssuingCa.of(cert, key);
  }

  /** An X509-SVID for {@code id} issued by {@code ca}, with a fresh key. */
  public static ServerCredential svid(IssuingCa ca, SpiffeId id, Clock clock) {
    KeyPair pair = ecKeyPair();
    X509Certificate leaf =
        X509SvidBuilder.newBuilder(ca, clock)
            .spiffeId(id)
            .publicKey(pair.getPublic())
            .ttl(Duration.ofHours(1))
            .build();
    return new ServerCredential(List.of(leaf), pair.getPrivate());
  }

  /** A bundle of {@code cas} with a sequence number. */
  public static SpiffeBundle bundle(TrustDomain td, long sequence, IssuingCa... cas) {
    SpiffeBundle.Builder b = SpiffeBundle.builder(td).sequence(BigInteger.valueOf(sequence));
    for (IssuingCa ca : cas) {
      b.addX509Authority(ca.certificate());
    }
    return b.build();
  }

  /** A Web PKI CA: certificate and key. */
  public record WebCa(X509Certificate certificate, PrivateKey key) {}

  public static WebCa webCa(String name, Instant now) {
    KeyPair pair = ecKeyPair();
    X509Certificate cert =
        sign(
            new X500Name("CN=" + name),
            pair,
            new X500Name("CN=" + name),
            pair.getPrivate(),
            now.minusSeconds(60),
            now.plus(Duration.ofDays(1)),
            true,
            List.of());
    return new WebCa(cert, pair.getPrivate());
  }

  /** A server certificate for {@code hosts} (IP literals become IP SANs) issued by {@code ca}. */
  public static ServerCredential webServer(
      WebCa ca, Instant notBefore, Instant notAfter, String... hosts) {
    KeyPair pair = ecKeyPair();
    List<GeneralName> names = new ArrayList<>();
    for (String h : hosts) {
      names.add(
          new GeneralName(
              Character.isDigit(h.charAt(0)) ? GeneralName.iPAddress : GeneralName.dNSName, h));
    }
    X509Certificate cert =
        sign(
            new X500Name("CN=" + hosts[0]),
            pair,
            new X500Name(ca.certificate().getSubjectX500Principal().getName()),
            ca.key(),
            notBefore,
            notAfter,
            false,
            names);
    return new ServerCredential(List.of(cert, ca.certificate()), pair.getPrivate());
  }

  /** A self-signed (non-CA) server certificate for {@code hosts}. */
  public static ServerCredential selfSignedServer(Instant now, String... hosts) {
    KeyPair pair = ecKeyPair();
    List<GeneralName> names = new ArrayList<>();
    for (String h : hosts) {
      names.add(new GeneralName(GeneralName.iPAddress, h));
    }
    X509Certificate cert =
        sign(
            new X500Name("CN=self"),
            pair,
            new X500Name("CN=self"),
            pair.getPrivate(),
            now.minusSeconds(60),
            now.plus(Duration.ofDays(1)),
            false,
            names);
    return new ServerCredential(List.of(cert), pair.getPrivate());
  }

  private static X509Certificate sign(
      X500Name subject,
      KeyPair subjectPair,
      X500Name issuer,
      PrivateKey issuerKey,
      Instant notBefore,
      Instant notAfter,
      boolean ca,
      List<GeneralName> sans) {
    try {
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuer,
              BigInteger.valueOf(SERIALS.incrementAndGet()),
              Date.from(notBefore),
              Date.from(notAfter),
              subject,
              subjectPair.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        b.addExtension(
            Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(
            Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        b.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(sans.toArray(new GeneralName[0])));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** PEM of certificates. */
  public static String pem(List<X509Certificate> certs) {
    StringBuilder sb = new StringBuilder();
    for (X509Certificate c : certs) {
      try {
        sb.append(pemBlock("CERTIFICATE", c.getEncoded()));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
    return sb.toString();
  }

  /** PKCS#8 PEM of a private key. */
  public static String pem(PrivateKey key) {
    return pemBlock("PRIVATE KEY", key.getEncoded());
  }

  private static String pemBlock(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  /** Writes the chain and key files atomically (each through a rename). */
  public static void writePair(ServerCredential credential, Path chainFile, Path keyFile) {
    write(chainFile, pem(credential.chain()));
    write(keyFile, pem(credential.privateKey()));
  }

  public static void write(Path file, String text) {
    try {
      Path tmp = Files.createTempFile(file.getParent(), "tmp", ".pem");
      Files.writeString(tmp, text, StandardCharsets.US_ASCII);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
