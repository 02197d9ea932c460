package dev.trustbridge.benchmarks;

import dev.trustbridge.ca.issuance.CsrValidator;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.CaKeyContentSigner;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.InMemoryKeyManager;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.CaCertificateBuilder;
import dev.trustbridge.spiffe.svid.IssuingCa;
import dev.trustbridge.spiffe.svid.X509SvidBuilder;
import dev.trustbridge.spiffe.svid.X509SvidProfileChecker;
import java.math.BigInteger;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

/**
 * The steps of issuance that no CA can avoid, set up as the server sets them up: {@link
 * CsrValidator} with the chosen providers' signature verifier, and a leaf signed by an in-memory EC
 * P-256 CA key (the server's default CA key type) through the same {@link CaKeyContentSigner}.
 * Shared by the JMH benchmark and the loop that {@link IssuanceLoad} runs after its load.
 *
 * <p>"Bare sign" builds the same leaf template as {@link X509SvidBuilder} and signs it, nothing
 * more; {@link #build} is the real builder, which also checks the leaf's profile but not its
 * signature again (the in-memory key signs in process and {@link IssuingCa} tested it against the
 * CA certificate), as the server does unless {@code svid.verify_leaf_signatures} is set.
 */
final class VerifySignFixture {
  private static final Clock CLOCK = Clock.systemUTC();
  private static final SpiffeId LEAF_ID = SpiffeId.parse("spiffe://bench.example/agent/bench");
  private static final Duration LEAF_TTL = Duration.ofHours(1);

  private final CryptoProviders providers;
  private final CsrValidator validator;
  private final IssuingCa ca;
  private final X500Name issuerName;
  private final JcaX509ExtensionUtils extensions;
  private final JcaX509CertificateConverter converter;
  private final SecureRandom random = new SecureRandom();
  private final List<byte[]> csrs;
  private final List<PublicKey> keys;

  private VerifySignFixture(CryptoProviders providers, List<byte[]> csrs) {
    this.providers = providers;
    this.validator =
        new CsrValidator(
            65_536,
            EnumSet.allOf(KeyType.class),
            providers::verify,
            CsrValidator.KeyFactorySource.JDK);
    CaKey key = new InMemoryKeyManager(providers).generate("bench-ca", KeyType.EC_P256);
    X509Certificate certificate =
        CaCertificateBuilder.selfSigned(TrustDomain.parse("bench.example"), key, CLOCK)
            .ttl(Duration.ofDays(1))
            .build();
    this.ca = IssuingCa.of(certificate, key);
    this.issuerName = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    try {
      this.extensions = new JcaX509ExtensionUtils();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    this.converter = new JcaX509CertificateConverter().setProvider(providers.bouncyCastle());
    this.csrs = List.copyOf(csrs);
    this.keys = csrs.stream().map(csr -> validator.validate(csr).publicKey()).toList();
  }

  /** A fixture with {@code csrCount} EC P-256 CSRs; {@code provider} is detect or bouncycastle. */
  static VerifySignFixture create(String provider, int csrCount) {
    CryptoProviders providers =
        switch (provider) {
          case "detect" -> CryptoProviders.detect();
          case "bouncycastle" -> CryptoProviders.bouncyCastleOnly();
          default -> throw new IllegalArgumentException("provider: detect or bouncycastle");
        };
    return new VerifySignFixture(providers, Csrs.make(csrCount, KeyType.EC_P256));
  }

  int size() {
    return csrs.size();
  }

  String describeProviders() {
    return providers.describe();
  }

  /** Parses and verifies CSR {@code i}; returns its public key. */
  PublicKey verify(int i) {
    return validator.validate(csrs.get(i)).publicKey();
  }

  /** Builds and signs a leaf for the already-extracted key of CSR {@code i}, and decodes it. */
  X509Certificate sign(int i) {
    return signBare(keys.get(i));
  }

  /** Verify then sign: the bare cost of one issuance. */
  X509Certificate verifyAndSign(int i) {
    return signBare(verify(i));
  }

  /** The real {@link X509SvidBuilder}: bare sign plus one profile check of the result. */
  X509Certificate build(int i) {
    return X509SvidBuilder.newBuilder(ca, CLOCK)
        .spiffeId(LEAF_ID)
        .publicKey(keys.get(i))
        .dnsNames(List.of())
        .ttl(LEAF_TTL)
        .build();
  }

  /**
   * The public profile check, which verifies the leaf's signature too: what the server runs on
   * every leaf with {@code svid.verify_leaf_signatures: true}.
   */
  SpiffeId checkLeaf(X509Certificate leaf) {
    return X509SvidProfileChecker.checkLeaf(leaf, ca.certificate());
  }

  private X509Certificate signBare(PublicKey key) {
    Instant now = CLOCK.instant();
    X509v3CertificateBuilder template =
        new X509v3CertificateBuilder(
            issuerName,
            new BigInteger(128, random).setBit(127),
            Date.from(now.minusSeconds(30)),
            Date.from(now.plus(LEAF_TTL)),
            new X500Name(new org.bouncycastle.asn1.x500.RDN[0]),
            SubjectPublicKeyInfo.getInstance(key.getEncoded()));
    try {
      template
          .addExtension(
              Extension.subjectAlternativeName,
              true,
              new GeneralNames(
                  new GeneralName(GeneralName.uniformResourceIdentifier, LEAF_ID.toString())))
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(
              Extension.extendedKeyUsage,
              false,
              new ExtendedKeyUsage(
                  new KeyPurposeId[] {
                    KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                  }))
          .addExtension(
              Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(key))
          .addExtension(
              Extension.authorityKeyIdentifier,
              false,
              extensions.createAuthorityKeyIdentifier(ca.certificate()));
      return converter.getCertificate(template.build(new CaKeyContentSigner(ca.key())));
    } catch (CertIOException | CertificateException e) {
      throw new IllegalStateException("cannot sign the benchmark leaf", e);
    }
  }
}
