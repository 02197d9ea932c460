package dev.trustbridge.spiffe.keys;

import java.lang.System.Logger.Level;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.conscrypt.Conscrypt;

/**
 * The JCA providers Trustbridge signs, verifies and generates keys with, chosen once per process
 * and held as explicit {@link Provider} instances. Nothing is ever installed globally ({@code
 * Security.addProvider} is never called), so a library user's provider list is left alone.
 *
 * <p>Conscrypt (BoringSSL) is used for every algorithm it offers where its native library loads and
 * passes a self-test; Bouncy Castle for everything else (Ed25519, which Conscrypt 2.5 lacks) and
 * wherever Conscrypt does not load. The JDK's own providers are never chosen: SunEC is several
 * times slower than either for ECDSA signing.
 *
 * <p>Every factory method returns a fresh JCA object; instances of this class are immutable and
 * thread safe.
 */
public final class CryptoProviders {
  private static final System.Logger LOG = System.getLogger(CryptoProviders.class.getName());

  /** Conscrypt's ECDSA over a digest the caller computed; see {@link #verify}. */
  private static final String RAW_ECDSA = "NONEwithECDSA";

  private static final Map<String, String> ECDSA_DIGESTS =
      Map.of(
          "SHA256withECDSA", "SHA-256",
          "SHA384withECDSA", "SHA-384",
          "SHA512withECDSA", "SHA-512");

  private final Provider bouncyCastle;
  private final Provider conscrypt; // null when not in use
  private final Map<String, Provider> chosen = new ConcurrentHashMap<>();

  private CryptoProviders(Provider bouncyCastle, Provider conscrypt) {
    this.bouncyCastle = bouncyCastle;
    this.conscrypt = conscrypt;
  }

  /**
   * The providers for this process: Conscrypt where it loads, Bouncy Castle otherwise. Detected on
   * the first call, cached, and logged once at INFO (see {@link #describe()}).
   */
  public static CryptoProviders detect() {
    return Detected.INSTANCE;
  }

  /** Bouncy Castle for everything, whether or not Conscrypt would load. */
  public static CryptoProviders bouncyCastleOnly() {
    return BouncyCastleOnly.INSTANCE;
  }

  /**
   * Conscrypt where it offers an algorithm, Bouncy Castle for the rest; empty if Conscrypt's native
   * library does not load on this machine or fails its self-test.
   */
  public static Optional<CryptoProviders> conscrypt() {
    return ConscryptHolder.INSTANCE;
  }

  /** Why Conscrypt is not available, or "available"; for logs and test assumptions. */
  static String conscryptStatus() {
    return ConscryptHolder.status;
  }

  /** A new, uninitialized {@link Signature} for a JCA signature algorithm name. */
  public Signature signature(String jcaAlgorithm) {
    Objects.requireNonNull(jcaAlgorithm, "jcaAlgorithm");
    Provider provider = provider("Signature", jcaAlgorithm);
    try {
      return Signature.getInstance(jcaAlgorithm, provider);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalArgumentException("no provider offers signature " + jcaAlgorithm, e);
    }
  }

  /** A new, uninitialized {@link Signature} for the algorithm a key type signs with. */
  public Signature signature(KeyType type) {
    return signature(Objects.requireNonNull(type, "type").jcaSignatureAlgorithm());
  }

  /**
   * Signs {@code data} with {@code key} in {@code type}'s signature algorithm, with the provider
   * {@link #signature(KeyType)} would use. The signature is the one that algorithm defines (for
   * ECDSA a DER {@code Ecdsa-Sig-Value}), whatever the route taken; see {@link #verify}.
   *
   * @throws GeneralSecurityException if the key does not fit the algorithm or the provider fails
   */
  public byte[] sign(KeyType type, PrivateKey key, byte[] data) throws GeneralSecurityException {
    String algorithm = Objects.requireNonNull(type, "type").jcaSignatureAlgorithm();
    return loaded(algorithm, Objects.requireNonNull(key, "key"), data).sign();
  }

  /**
   * True if {@code signature} is a valid {@code jcaAlgorithm} signature of {@code data} by {@code
   * key}; false if it is not, a malformed signature included.
   *
   * <p>ECDSA with SHA-2 on Conscrypt is computed as a JDK digest of {@code data} followed by
   * Conscrypt's {@code NONEwithECDSA} over that digest: the same mathematics and the same strict
   * DER signature parsing as {@code SHA256withECDSA}, without the two native digest contexts that
   * Conscrypt's combined signature allocates per call. Each of those is released by a finalizer,
   * and under load their number lengthened every young GC pause (docs/benchmarks.md). {@link #sign}
   * takes the same route.
   *
   * @throws GeneralSecurityException if the key does not fit the algorithm
   */
  public boolean verify(String jcaAlgorithm, PublicKey key, byte[] data, byte[] signature)
      throws GeneralSecurityException {
    Objects.requireNonNull(jcaAlgorithm, "jcaAlgorithm");
    Objects.requireNonNull(signature, "signature");
    Signature verifier = loaded(jcaAlgorithm, Objects.requireNonNull(key, "key"), data);
    try {
      return verifier.verify(signature);
    } catch (SignatureException malformed) {
      return false;
    }
  }

  /** A signature initialized with {@code key} (private: to sign) that has been given the data. */
  private Signature loaded(String jcaAlgorithm, Key key, byte[] data)
      throws GeneralSecurityException {
    Objects.requireNonNull(data, "data");
    Optional<String> digest = prehashDigest(jcaAlgorithm);
    Signature signature =
        digest.isPresent() ? Signature.getInstance(RAW_ECDSA, conscrypt) : signature(jcaAlgorithm);
    if (key instanceof PrivateKey privateKey) {
      signature.initSign(privateKey);
    } else {
      signature.initVerify((PublicKey) key);
    }
    signature.update(digest.isPresent() ? digest(digest.get(), data) : data);
    return signature;
  }

  /** The digest to compute in Java for {@code jcaAlgorithm}, if it takes the prehashed route. */
  private Optional<String> prehashDigest(String jcaAlgorithm) {
    String digest = ECDSA_DIGESTS.get(jcaAlgorithm);
    if (digest == null
        || conscrypt == null
        || signatureProvider(jcaAlgorithm) != conscrypt
        || signatureProvider(RAW_ECDSA) != conscrypt) {
      return Optional.empty();
    }
    return Optional.of(digest);
  }

  private static byte[] digest(String algorithm, byte[] data) throws NoSuchAlgorithmException {
    return MessageDigest.getInstance(algorithm, JdkDigests.SUN).digest(data);
  }

  /**
   * A key pair generator initialized for {@code type}: EC on the named curve (secp256r1 or
   * secp384r1), RSA with public exponent F4 (65537), or Ed25519.
   */
  public KeyPairGenerator keyPairGenerator(KeyType type) {
    Objects.requireNonNull(type, "type");
    String algorithm = type.jcaKeyAlgorithm();
    try {
      KeyPairGenerator generator =
          KeyPairGenerator.getInstance(algorithm, provider("KeyPairGenerator", algorithm));
      switch (type) {
        case EC_P256 -> generator.initialize(new ECGenParameterSpec("secp256r1"));
        case EC_P384 -> generator.initialize(new ECGenParameterSpec("secp384r1"));
        case RSA_2048, RSA_3072, RSA_4096 ->
            generator.initialize(
                new RSAKeyGenParameterSpec(type.bits(), RSAKeyGenParameterSpec.F4));
        case ED25519 -> {
          // Ed25519 has no parameters.
        }
      }
      return generator;
    } catch (NoSuchAlgorithmException | InvalidAlgorithmParameterException e) {
      throw new IllegalStateException("cannot generate " + type + " keys", e);
    }
  }

  /** A key factory for a JCA key algorithm name ({@code EC}, {@code RSA}, {@code Ed25519}). */
  public KeyFactory keyFactory(String jcaKeyAlgorithm) {
    Objects.requireNonNull(jcaKeyAlgorithm, "jcaKeyAlgorithm");
    try {
      return KeyFactory.getInstance(jcaKeyAlgorithm, provider("KeyFactory", jcaKeyAlgorithm));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalArgumentException("no provider offers key factory " + jcaKeyAlgorithm, e);
    }
  }

  /**
   * The Bouncy Castle provider instance, for building certificates and CSRs, PEM encryption, and
   * algorithms the fast provider lacks.
   */
  public Provider bouncyCastle() {
    return bouncyCastle;
  }

  /** The provider instance {@link #signature(String)} uses for this algorithm. */
  public Provider signatureProvider(String jcaAlgorithm) {
    return provider("Signature", Objects.requireNonNull(jcaAlgorithm, "jcaAlgorithm"));
  }

  /**
   * A private key in the form that {@link #signature(KeyType)}'s provider signs with fastest and
   * without re-parsing on every call: keys made by another provider (Bouncy Castle keys read from a
   * file, say) are converted once through that provider's {@link KeyFactory}.
   */
  PrivateKey toSigningKey(KeyType type, PrivateKey key) {
    KeyFactory factory = keyFactory(type.jcaKeyAlgorithm());
    if (factory.getProvider() != signatureProvider(type.jcaSignatureAlgorithm())) {
      return key; // the signer's provider has no factory of its own; it must take the key as is
    }
    try {
      return (PrivateKey) factory.translateKey(key);
    } catch (InvalidKeyException translateFailed) {
      byte[] encoded = key.getEncoded();
      try {
        return factory.generatePrivate(new PKCS8EncodedKeySpec(encoded));
      } catch (GeneralSecurityException e) {
        e.addSuppressed(translateFailed);
        throw new IllegalStateException(
            factory.getProvider().getName() + " cannot import a " + type + " private key", e);
      } finally {
        if (encoded != null) {
          Arrays.fill(encoded, (byte) 0);
        }
      }
    }
  }

  /**
   * Which provider serves which algorithms, e.g. {@code "Conscrypt 2.5.2 (BoringSSL) for ECDSA/RSA,
   * Bouncy Castle 1.87 for Ed25519"}.
   */
  public String describe() {
    Map<String, List<String>> byProvider = new LinkedHashMap<>();
    for (String[] family :
        new String[][] {
          {"ECDSA", "SHA256withECDSA"}, {"RSA", "SHA256withRSA"}, {"Ed25519", "Ed25519"}
        }) {
      byProvider
          .computeIfAbsent(label(signatureProvider(family[1])), k -> new ArrayList<>())
          .add(family[0]);
    }
    List<String> parts = new ArrayList<>();
    byProvider.forEach(
        (provider, families) -> parts.add(provider + " for " + String.join("/", families)));
    return String.join(", ", parts);
  }

  @Override
  public String toString() {
    return "CryptoProviders[" + describe() + "]";
  }

  private String label(Provider provider) {
    if (provider == conscrypt) {
      Conscrypt.Version v = Conscrypt.version();
      String version = v == null ? "" : " " + v.major() + "." + v.minor() + "." + v.patch();
      return "Conscrypt" + version + " (BoringSSL)";
    }
    return "Bouncy Castle " + provider.getVersionStr();
  }

  private Provider provider(String service, String algorithm) {
    return chosen.computeIfAbsent(
        service + "." + algorithm,
        key -> {
          if (conscrypt != null && offers(conscrypt, service, algorithm)) {
            return conscrypt;
          }
          if (offers(bouncyCastle, service, algorithm)) {
            return bouncyCastle;
          }
          // Neither offers it: fall back to Bouncy Castle so that getInstance reports the error.
          return bouncyCastle;
        });
  }

  private static boolean offers(Provider provider, String service, String algorithm) {
    try {
      switch (service) {
        case "Signature" -> Signature.getInstance(algorithm, provider);
        case "KeyPairGenerator" -> KeyPairGenerator.getInstance(algorithm, provider);
        case "KeyFactory" -> KeyFactory.getInstance(algorithm, provider);
        default -> throw new IllegalArgumentException(service);
      }
      return true;
    } catch (NoSuchAlgorithmException e) {
      return false;
    }
  }

  private static final class BouncyCastleHolder {
    // One instance per process: building it registers hundreds of services and takes a while.
    static final Provider INSTANCE = new BouncyCastleProvider();
  }

  private static final class JdkDigests {
    // SHA-2 in the JDK runs on the CPU's SHA instructions; named so no installed provider wins.
    static final Provider SUN = sunProvider();

    private static Provider sunProvider() {
      Provider sun = Security.getProvider("SUN");
      if (sun == null) {
        throw new IllegalStateException("the JDK's SUN provider is not available");
      }
      return sun;
    }
  }

  private static final class BouncyCastleOnly {
    static final CryptoProviders INSTANCE = new CryptoProviders(BouncyCastleHolder.INSTANCE, null);
  }

  private static final class ConscryptHolder {
    static String status = "available";
    static final Optional<CryptoProviders> INSTANCE = load();

    private static Optional<CryptoProviders> load() {
      try {
        if (!Conscrypt.isAvailable()) {
          Conscrypt.checkAvailability(); // throws with the reason
          status = "native library not available";
          return Optional.empty();
        }
        Provider provider = Conscrypt.newProvider();
        selfTest(provider);
        return Optional.of(new CryptoProviders(BouncyCastleHolder.INSTANCE, provider));
      } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError, anything native
        status = "native library does not load (" + e + ")";
        return Optional.empty();
      }
    }

    /** A P-256 sign and verify round trip, so a half-working native library is not used. */
    private static void selfTest(Provider provider) throws GeneralSecurityException {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", provider);
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair pair = generator.generateKeyPair();
      byte[] message = {'t', 'r', 'u', 's', 't'};
      Signature signer = Signature.getInstance("SHA256withECDSA", provider);
      signer.initSign(pair.getPrivate());
      signer.update(message);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance("SHA256withECDSA", BouncyCastleHolder.INSTANCE);
      verifier.initVerify(pair.getPublic());
      verifier.update(message);
      if (!verifier.verify(signature)) {
        throw new GeneralSecurityException("Conscrypt self-test signature does not verify");
      }
    }
  }

  private static final class Detected {
    static final CryptoProviders INSTANCE =
        ConscryptHolder.INSTANCE.orElseGet(CryptoProviders::bouncyCastleOnly);

    static {
      String note =
          INSTANCE.conscrypt == null ? " (Conscrypt not used: " + conscryptStatus() + ")" : "";
      LOG.log(Level.INFO, "Crypto providers: {0}{1}", INSTANCE.describe(), note);
    }
  }
}
