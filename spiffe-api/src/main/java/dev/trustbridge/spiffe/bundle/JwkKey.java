package dev.trustbridge.spiffe.bundle;

import dev.trustbridge.spiffe.keys.KeyType;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;

/**
 * The public key of a JWK (RFC 7518 section 6, RFC 8037 section 2) as plain values, so that a JWK's
 * parameters and a certificate's key can be compared, and a key can be written canonically. Only
 * the key types a SPIFFE bundle can usefully hold exist: EC P-256/P-384/P-521, RSA of at least 2048
 * bits, and OKP Ed25519.
 */
sealed interface JwkKey permits JwkKey.Ec, JwkKey.Rsa, JwkKey.Okp {

  /** The smallest RSA modulus accepted, as for Trustbridge's own keys. */
  int MIN_RSA_BITS = 2048;

  /** The NIST curves JOSE names (RFC 7518 section 6.2.1.1). */
  enum Curve {
    P256("P-256", "secp256r1", 32),
    P384("P-384", "secp384r1", 48),
    P521("P-521", "secp521r1", 66);

    final String jwkName;
    final int coordinateBytes;
    final ECParameterSpec jdkParams;
    final X9ECParameters bcParams;

    Curve(String jwkName, String secName, int coordinateBytes) {
      this.jwkName = jwkName;
      this.coordinateBytes = coordinateBytes;
      this.jdkParams = KeyType.namedCurve(secName);
      this.bcParams = ECNamedCurveTable.getByName(secName);
    }

    static Optional<Curve> ofJwkName(String name) {
      for (Curve c : values()) {
        if (c.jwkName.equals(name)) {
          return Optional.of(c);
        }
      }
      return Optional.empty();
    }

    static Optional<Curve> of(ECParameterSpec params) {
      for (Curve c : values()) {
        ECParameterSpec p = c.jdkParams;
        if (p.getCurve().equals(params.getCurve())
            && p.getGenerator().equals(params.getGenerator())
            && p.getOrder().equals(params.getOrder())
            && p.getCofactor() == params.getCofactor()) {
          return Optional.of(c);
        }
      }
      return Optional.empty();
    }
  }

  /** An EC point already checked to lie on its curve. */
  record Ec(Curve curve, BigInteger x, BigInteger y) implements JwkKey {}

  /** An RSA key; both values positive. */
  record Rsa(BigInteger n, BigInteger e) implements JwkKey {}

  /** An Ed25519 key; {@code x} is the 32-byte public key in canonical base64url. */
  record Okp(String x) implements JwkKey {}

  /** The JWK {@code kty} value. */
  default String kty() {
    if (this instanceof Ec) {
      return "EC";
    }
    return this instanceof Rsa ? "RSA" : "OKP";
  }

  /** {@code kty} and the key parameters, in the order they are written. */
  default Map<String, String> members() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("kty", kty());
    if (this instanceof Ec ec) {
      m.put("crv", ec.curve().jwkName);
      m.put("x", Base64Text.encodeUrlUnpadded(fixedLength(ec.x(), ec.curve().coordinateBytes)));
      m.put("y", Base64Text.encodeUrlUnpadded(fixedLength(ec.y(), ec.curve().coordinateBytes)));
    } else if (this instanceof Rsa rsa) {
      m.put("n", Base64Text.encodeUrlUnpadded(unsigned(rsa.n())));
      m.put("e", Base64Text.encodeUrlUnpadded(unsigned(rsa.e())));
    } else {
      m.put("crv", "Ed25519");
      m.put("x", ((Okp) this).x());
    }
    return m;
  }

  /** Whether a JWT-SVID may be verified with this key: EC and RSA only (JWT-SVID section 2). */
  default boolean isJwtSvidKey() {
    return !(this instanceof Okp);
  }

  /** The JCA key, for EC and RSA keys (JWT authorities). */
  default PublicKey toPublicKey() {
    try {
      if (this instanceof Ec ec) {
        return KeyFactory.getInstance("EC")
            .generatePublic(new ECPublicKeySpec(new ECPoint(ec.x(), ec.y()), ec.curve().jdkParams));
      }
      if (this instanceof Rsa rsa) {
        return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(rsa.n(), rsa.e()));
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot build a standard public key", e);
    }
    throw new UnsupportedOperationException("Ed25519 keys are only held inside certificates");
  }

  /** The JWK form of a JCA public key, or empty for key types a bundle cannot hold. */
  static Optional<JwkKey> of(PublicKey key) {
    if (key instanceof ECPublicKey ec) {
      ECPoint w = ec.getW();
      Optional<Curve> curve = Curve.of(ec.getParams());
      return curve.isPresent() && w != ECPoint.POINT_INFINITY
          ? onCurve(curve.get(), w.getAffineX(), w.getAffineY())
          : Optional.empty();
    }
    if (key instanceof RSAPublicKey rsa) {
      return rsa.getModulus().bitLength() >= MIN_RSA_BITS
          ? Optional.of(new Rsa(rsa.getModulus(), rsa.getPublicExponent()))
          : Optional.empty();
    }
    byte[] encoded = key.getEncoded();
    if (encoded == null) {
      return Optional.empty();
    }
    try {
      SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(encoded);
      if (spki.getAlgorithm().getAlgorithm().equals(EdECObjectIdentifiers.id_Ed25519)
          && spki.getAlgorithm().getParameters() == null) {
        byte[] raw = spki.getPublicKeyData().getOctets();
        if (raw.length == 32) {
          return Optional.of(new Okp(Base64Text.encodeUrlUnpadded(raw)));
        }
      }
    } catch (RuntimeException e) {
      return Optional.empty(); // not a SubjectPublicKeyInfo Bouncy Castle can read
    }
    return Optional.empty();
  }

  /**
   * Reads the key parameters of a JWK whose {@code kty} is {@code EC}, {@code RSA} or {@code OKP}.
   * Empty when a parameter is missing, not a string, not canonical unpadded base64url, of the wrong
   * size, or (EC) not a point on the named curve.
   */
  static Optional<JwkKey> read(String kty, JsonTree.Obj jwk) {
    return switch (kty) {
      case "EC" -> readEc(jwk);
      case "RSA" -> readRsa(jwk);
      case "OKP" -> readOkp(jwk);
      default -> Optional.empty();
    };
  }

  private static Optional<JwkKey> readEc(JsonTree.Obj jwk) {
    Optional<Curve> curve = string(jwk, "crv").flatMap(Curve::ofJwkName);
    if (curve.isEmpty()) {
      return Optional.empty();
    }
    int size = curve.get().coordinateBytes;
    Optional<byte[]> x = bytes(jwk, "x").filter(b -> b.length == size);
    Optional<byte[]> y = bytes(jwk, "y").filter(b -> b.length == size);
    if (x.isEmpty() || y.isEmpty()) {
      return Optional.empty();
    }
    return onCurve(curve.get(), new BigInteger(1, x.get()), new BigInteger(1, y.get()));
  }

  private static Optional<JwkKey> onCurve(Curve curve, BigInteger x, BigInteger y) {
    try {
      // Throws for coordinates outside the field or a point not on the curve.
      curve.bcParams.getCurve().validatePoint(x, y);
      return Optional.of(new Ec(curve, x, y));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static Optional<JwkKey> readRsa(JsonTree.Obj jwk) {
    Optional<byte[]> n = bytes(jwk, "n");
    Optional<byte[]> e = bytes(jwk, "e");
    if (n.isEmpty() || e.isEmpty()) {
      return Optional.empty();
    }
    BigInteger ni = new BigInteger(1, n.get());
    BigInteger ei = new BigInteger(1, e.get());
    // Leading zero octets are tolerated on input (RFC 7518 6.3.1.1 binds producers only).
    if (ni.bitLength() < MIN_RSA_BITS
        || ei.signum() <= 0
        || !ei.testBit(0)
        || ei.compareTo(ni) >= 0) {
      return Optional.empty();
    }
    return Optional.of(new Rsa(ni, ei));
  }

  private static Optional<JwkKey> readOkp(JsonTree.Obj jwk) {
    if (!string(jwk, "crv").filter("Ed25519"::equals).isPresent()) {
      return Optional.empty();
    }
    return bytes(jwk, "x")
        .filter(b -> b.length == 32)
        .map(b -> new Okp(Base64Text.encodeUrlUnpadded(b)));
  }

  private static Optional<String> string(JsonTree.Obj jwk, String name) {
    return jwk.get(name) instanceof JsonTree.Str s ? Optional.of(s.value()) : Optional.empty();
  }

  private static Optional<byte[]> bytes(JsonTree.Obj jwk, String name) {
    return string(jwk, name).flatMap(Base64Text::decodeUrlUnpadded);
  }

  private static byte[] fixedLength(BigInteger value, int length) {
    byte[] unsigned = unsigned(value);
    byte[] out = new byte[length];
    System.arraycopy(unsigned, 0, out, length - unsigned.length, unsigned.length);
    return out;
  }

  /**
   * Minimal unsigned big-endian octets (RFC 7518 section 2, "Base64urlUInt"); zero is one octet.
   */
  private static byte[] unsigned(BigInteger value) {
    byte[] signed = value.toByteArray();
    if (signed.length > 1 && signed[0] == 0) {
      byte[] out = new byte[signed.length - 1];
      System.arraycopy(signed, 1, out, 0, out.length);
      return out;
    }
    return signed;
  }
}
