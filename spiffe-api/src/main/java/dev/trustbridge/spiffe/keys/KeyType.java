package dev.trustbridge.spiffe.keys;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.Optional;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;

/**
 * The key types Trustbridge creates and accepts, each with the one signature algorithm it signs
 * with. Weak keys (RSA below 2048 bits, curves other than P-256 and P-384) have no constant and so
 * cannot be represented.
 */
public enum KeyType {
  EC_P256("EC", 256, "SHA256withECDSA"),
  EC_P384("EC", 384, "SHA384withECDSA"),
  RSA_2048("RSA", 2048, "SHA256withRSA"),
  RSA_3072("RSA", 3072, "SHA256withRSA"),
  RSA_4096("RSA", 4096, "SHA256withRSA"),
  ED25519("Ed25519", 256, "Ed25519");

  private final String jcaKeyAlgorithm;
  private final int bits;
  private final String jcaSignatureAlgorithm;

  KeyType(String jcaKeyAlgorithm, int bits, String jcaSignatureAlgorithm) {
    this.jcaKeyAlgorithm = jcaKeyAlgorithm;
    this.bits = bits;
    this.jcaSignatureAlgorithm = jcaSignatureAlgorithm;
  }

  /** The JCA key algorithm name: {@code EC}, {@code RSA} or {@code Ed25519}. */
  public String jcaKeyAlgorithm() {
    return jcaKeyAlgorithm;
  }

  /** The key size in bits (field size for EC, modulus size for RSA, 256 for Ed25519). */
  public int bits() {
    return bits;
  }

  /** The JCA signature algorithm this key signs with, e.g. {@code SHA256withECDSA}. */
  public String jcaSignatureAlgorithm() {
    return jcaSignatureAlgorithm;
  }

  /** The X.509 signature algorithm identifier for certificates signed by this key. */
  public AlgorithmIdentifier signatureAlgorithmIdentifier() {
    return new DefaultSignatureAlgorithmIdentifierFinder().find(jcaSignatureAlgorithm);
  }

  /** True for RSA keys, whose leaves may also carry keyEncipherment. */
  public boolean isRsa() {
    return jcaKeyAlgorithm.equals("RSA");
  }

  /**
   * The key type of a public key, or empty if Trustbridge does not accept it (unknown algorithm,
   * unsupported curve, RSA modulus below 2048 bits or not one of 2048/3072/4096).
   */
  public static Optional<KeyType> of(PublicKey key) {
    if (key instanceof ECPublicKey ec) {
      // Compare the full domain parameters: field size alone would accept other 256/384-bit
      // curves such as brainpoolP256r1 or secp256k1.
      if (sameCurve(ec.getParams(), P256)) {
        return Optional.of(EC_P256);
      }
      if (sameCurve(ec.getParams(), P384)) {
        return Optional.of(EC_P384);
      }
      return Optional.empty();
    }
    if (key instanceof RSAPublicKey rsa) {
      int size = rsa.getModulus().bitLength();
      return switch (size) {
        case 2048 -> Optional.of(RSA_2048);
        case 3072 -> Optional.of(RSA_3072);
        case 4096 -> Optional.of(RSA_4096);
        default -> Optional.empty();
      };
    }
    String algorithm = key.getAlgorithm();
    if (algorithm.equals("Ed25519") || algorithm.equals("EdDSA")) {
      byte[] encoded = key.getEncoded();
      // SubjectPublicKeyInfo of Ed25519 is 44 bytes: AlgorithmIdentifier 1.3.101.112 + 32 bytes.
      if (encoded != null && encoded.length == 44 && encoded[8] == 0x70) {
        return Optional.of(ED25519);
      }
    }
    return Optional.empty();
  }

  private static final ECParameterSpec P256 = namedCurve("secp256r1");
  private static final ECParameterSpec P384 = namedCurve("secp384r1");

  /** The domain parameters of a named curve, for comparing a key's parameters against. */
  public static ECParameterSpec namedCurve(String name) {
    try {
      AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
      parameters.init(new ECGenParameterSpec(name));
      return parameters.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK does not know curve " + name, e);
    }
  }

  private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
    return a.getCurve().equals(b.getCurve())
        && a.getGenerator().equals(b.getGenerator())
        && a.getOrder().equals(b.getOrder())
        && a.getCofactor() == b.getCofactor();
  }
}
