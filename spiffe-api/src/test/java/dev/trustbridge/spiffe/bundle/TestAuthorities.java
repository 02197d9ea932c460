package dev.trustbridge.spiffe.bundle;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates and keys generated at run time with Bouncy Castle (an explicit provider instance,
 * never installed globally), cached per kind so that the suite stays fast.
 */
final class TestAuthorities {
  static final Provider BC = new BouncyCastleProvider();

  /** The kinds of key used in tests. */
  enum Kind {
    EC_P256("SHA256withECDSA"),
    EC_P384("SHA384withECDSA"),
    EC_P521("SHA512withECDSA"),
    RSA_2048("SHA256withRSA"),
    ED25519("Ed25519"),
    RSA_1024("SHA256withRSA");

    final String signatureAlgorithm;

    Kind(String signatureAlgorithm) {
      this.signatureAlgorithm = signatureAlgorithm;
    }
  }

  /** A certificate with its key pair. */
  record Issued(X509Certificate cert, KeyPair keys) {
    byte[] der() {
      try {
        return cert.getEncoded();
      } catch (GeneralSecurityException e) {
        throw new AssertionError(e);
      }
    }

    String base64() {
      return Base64.getEncoder().encodeToString(der());
    }
  }

  private static final Map<Kind, KeyPair> KEYS = new EnumMap<>(Kind.class);
  private static final Map<String, Issued> CERTS = new LinkedHashMap<>();

  private TestAuthorities() {}

  static synchronized KeyPair keyPair(Kind kind) {
    return KEYS.computeIfAbsent(kind, TestAuthorities::generate);
  }

  /** A fresh (uncached) key pair, for tests that need many distinct keys. */
  static KeyPair freshKeyPair(Kind kind) {
    return generate(kind);
  }

  /** A self-signed CA of trust domain example.org (cA=true, critical KU keyCertSign+cRLSign). */
  static Issued ca(Kind kind) {
    return ca(kind, "ca-" + kind);
  }

  /** A self-signed CA with the given common name (distinct names give distinct certificates). */
  static synchronized Issued ca(Kind kind, String commonName) {
    return CERTS.computeIfAbsent(
        "ca/" + kind + "/" + commonName,
        k ->
            build(
                keyPair(kind),
                kind,
                commonName,
                true,
                KeyUsage.keyCertSign | KeyUsage.cRLSign,
                "spiffe://example.org"));
  }

  /** A self-signed CA with a fresh key, for round-trip properties. */
  static Issued freshCa(Kind kind, String commonName) {
    return build(
        generate(kind),
        kind,
        commonName,
        true,
        KeyUsage.keyCertSign | KeyUsage.cRLSign,
        "spiffe://example.org");
  }

  /**
   * A self-signed CA (cA=true) with the given key usage and URI SAN; a null {@code uri} leaves the
   * SAN extension out (a CA that is not an SVID).
   */
  static synchronized Issued caWith(Kind kind, String commonName, int keyUsage, String uri) {
    return CERTS.computeIfAbsent(
        "ca-with/" + kind + "/" + commonName + "/" + keyUsage + "/" + uri,
        k -> build(keyPair(kind), kind, commonName, true, keyUsage, uri));
  }

  /** A self-signed leaf (cA=false, KU digitalSignature): not an authority. */
  static synchronized Issued leaf() {
    return CERTS.computeIfAbsent(
        "leaf",
        k ->
            build(
                generate(Kind.EC_P256),
                Kind.EC_P256,
                "leaf",
                false,
                KeyUsage.digitalSignature,
                "spiffe://example.org/w"));
  }

  /** cA=true but a key usage without keyCertSign. */
  static synchronized Issued caWithoutKeyCertSign() {
    return CERTS.computeIfAbsent(
        "ca-no-kcs",
        k ->
            build(
                generate(Kind.EC_P256),
                Kind.EC_P256,
                "ca-no-kcs",
                true,
                KeyUsage.cRLSign,
                "spiffe://example.org"));
  }

  private static KeyPair generate(Kind kind) {
    try {
      KeyPairGenerator g;
      switch (kind) {
        case EC_P256, EC_P384, EC_P521 -> {
          g = KeyPairGenerator.getInstance("EC", BC);
          String curve =
              kind == Kind.EC_P256 ? "secp256r1" : kind == Kind.EC_P384 ? "secp384r1" : "secp521r1";
          g.initialize(new ECGenParameterSpec(curve));
        }
        case RSA_2048, RSA_1024 -> {
          g = KeyPairGenerator.getInstance("RSA", BC);
          g.initialize(kind == Kind.RSA_2048 ? 2048 : 1024);
        }
        case ED25519 -> g = KeyPairGenerator.getInstance("Ed25519", BC);
        default -> throw new AssertionError(kind);
      }
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** A self-signed CA that expired a day ago (ambiguity A13: still a valid bundle entry). */
  static synchronized Issued expiredCa() {
    return CERTS.computeIfAbsent(
        "expired",
        k ->
            build(
                keyPair(Kind.EC_P256),
                Kind.EC_P256,
                "expired",
                true,
                KeyUsage.keyCertSign,
                "spiffe://example.org",
                Instant.now().minus(30, ChronoUnit.DAYS)));
  }

  private static Issued build(
      KeyPair keys, Kind kind, String cn, boolean ca, int keyUsage, String uri) {
    return build(keys, kind, cn, ca, keyUsage, uri, Instant.now().minus(1, ChronoUnit.HOURS));
  }

  private static Issued build(
      KeyPair keys, Kind kind, String cn, boolean ca, int keyUsage, String uri, Instant start) {
    try {
      Instant notBefore = start.truncatedTo(ChronoUnit.SECONDS);
      Instant notAfter =
          notBefore.isBefore(Instant.now().minus(1, ChronoUnit.DAYS))
              ? Instant.now().minus(1, ChronoUnit.DAYS)
              : notBefore.plus(365, ChronoUnit.DAYS);
      X500Name name = new X500Name("CN=" + cn + ",O=Trustbridge tests");
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              name,
              new BigInteger(64, new java.security.SecureRandom()).add(BigInteger.ONE),
              Date.from(notBefore),
              Date.from(notAfter),
              name,
              keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
      if (uri != null) {
        b.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri)));
      }
      byte[] der =
          b.build(
                  new JcaContentSignerBuilder(kind.signatureAlgorithm)
                      .setProvider(BC)
                      .build(keys.getPrivate()))
              .getEncoded();
      X509Certificate cert =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(new ByteArrayInputStream(der));
      return new Issued(cert, keys);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  // Independent JWK encoding of keys (RFC 7518 / RFC 8037), so tests do not trust production code.

  /** kty and key parameters of a public key, in the order Trustbridge writes them. */
  static Map<String, Object> jwkParams(PublicKey key) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (key instanceof ECPublicKey ec) {
      int bits = ec.getParams().getCurve().getField().getFieldSize();
      int size = (bits + 7) / 8;
      m.put("kty", "EC");
      m.put("crv", bits == 256 ? "P-256" : bits == 384 ? "P-384" : "P-521");
      m.put("x", b64url(fixed(ec.getW().getAffineX(), size)));
      m.put("y", b64url(fixed(ec.getW().getAffineY(), size)));
    } else if (key instanceof RSAPublicKey rsa) {
      m.put("kty", "RSA");
      m.put("n", b64url(unsigned(rsa.getModulus())));
      m.put("e", b64url(unsigned(rsa.getPublicExponent())));
    } else {
      byte[] spki = key.getEncoded();
      m.put("kty", "OKP");
      m.put("crv", "Ed25519");
      m.put("x", b64url(Arrays.copyOfRange(spki, spki.length - 32, spki.length)));
    }
    return m;
  }

  /** An x509-svid JWK as the spec's Appendix A writes it. */
  static Map<String, Object> x509Jwk(Issued ca) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("use", "x509-svid");
    m.putAll(jwkParams(ca.cert().getPublicKey()));
    m.put("x5c", new java.util.ArrayList<Object>(java.util.List.of(ca.base64())));
    return m;
  }

  /** A jwt-svid JWK. */
  static Map<String, Object> jwtJwk(String kid, PublicKey key) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("use", "jwt-svid");
    m.put("kid", kid);
    m.putAll(jwkParams(key));
    return m;
  }

  static String b64url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static byte[] fixed(BigInteger v, int size) {
    byte[] u = unsigned(v);
    byte[] out = new byte[size];
    System.arraycopy(u, 0, out, size - u.length, u.length);
    return out;
  }

  static byte[] unsigned(BigInteger v) {
    byte[] s = v.toByteArray();
    return s.length > 1 && s[0] == 0 ? Arrays.copyOfRange(s, 1, s.length) : s;
  }
}
