package dev.trustbridge.ca.keys.pkcs11;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.KeyIds;
import dev.trustbridge.spiffe.keys.KeyManager;
import dev.trustbridge.spiffe.keys.KeyType;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.ProviderException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link KeyManager} whose private keys are generated and kept on a PKCS#11 token (an HSM, or
 * SoftHSM2 in tests), through the JDK's SunPKCS11 provider. Private keys are token objects marked
 * {@code CKA_SENSITIVE} and not {@code CKA_EXTRACTABLE}: they never exist outside the token, and
 * signing happens inside it.
 *
 * <p>Each key is a PKCS#11 {@code KeyStore} entry under the label {@code labelPrefix + keyId}: the
 * private key object ({@code CKA_ID} = label) and a self-signed placeholder certificate ({@code
 * CKA_LABEL} = label) from which the public key is read. Keys survive restarts.
 *
 * <p>Supported key types: EC P-256, EC P-384 and RSA 2048/3072/4096. Java 17's PKCS#11 provider
 * cannot generate or sign Ed25519, so {@link KeyType#ED25519} is refused with {@code
 * INVALID_ARGUMENT}.
 *
 * <p>Errors: {@code UNAVAILABLE} when the token fails (the message names the operation and the
 * {@code CKR_*} code), {@code FAILED_PRECONDITION} for a wrong PIN at {@link #open}, a closed
 * manager, or a key deleted while a caller still held it. Thread safe: changes to the token's
 * entries are serialized, signing runs concurrently.
 */
public final class Pkcs11KeyManager implements KeyManager, AutoCloseable {
  private final Pkcs11Settings settings;
  private final Pkcs11Token token;
  private final Clock clock;
  private volatile boolean closed;

  private Pkcs11KeyManager(Pkcs11Settings settings, Pkcs11Token token, Clock clock) {
    this.settings = settings;
    this.token = token;
    this.clock = clock;
  }

  /**
   * Opens the token these settings name and logs in with their PIN. Managers of this process that
   * open the same library and slot share one login (PKCS#11 login state is per process), so they
   * must use the same PIN.
   *
   * @throws TrustbridgeException {@code FAILED_PRECONDITION} if the PIN is wrong or locked or the
   *     library does not exist, {@code UNAVAILABLE} if the token cannot be opened
   */
  public static Pkcs11KeyManager open(Pkcs11Settings settings) {
    return open(settings, Clock.systemUTC());
  }

  /** As {@link #open(Pkcs11Settings)}, with the clock that dates placeholder certificates. */
  public static Pkcs11KeyManager open(Pkcs11Settings settings, Clock clock) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(clock, "clock");
    return new Pkcs11KeyManager(settings, Pkcs11Token.acquire(settings), clock);
  }

  @Override
  public CaKey generate(String keyId, KeyType type) {
    KeyIds.requireValid(keyId);
    Objects.requireNonNull(type, "type");
    if (type == KeyType.ED25519) {
      throw TrustbridgeException.invalidArgument(
          "key type ED25519 is not supported by the PKCS#11 key manager (Java 17's PKCS#11"
              + " provider cannot sign Ed25519)");
    }
    requireOpen();
    String label = settings.label(keyId);
    if (!token.reserve(label)) {
      throw new TrustbridgeException(
          ErrorCode.ALREADY_EXISTS, "key '" + keyId + "' exists already");
    }
    try {
      KeyPair pair = generateOnToken(keyId, type);
      // The public key as a plain JDK key, like the one find() reads from the certificate.
      StoredKey unsaved =
          new StoredKey(label, type, standardPublicKey(keyId, type, pair), pair.getPrivate());
      X509Certificate placeholder = placeholder(new Pkcs11CaKey(this, keyId, unsaved));
      return new Pkcs11CaKey(this, keyId, token.store(label, type, pair.getPrivate(), placeholder));
    } finally {
      token.unreserve(label);
    }
  }

  private KeyPair generateOnToken(String keyId, KeyType type) {
    try {
      KeyPairGenerator generator =
          KeyPairGenerator.getInstance(type.jcaKeyAlgorithm(), token.provider());
      if (type.isRsa()) {
        generator.initialize(new RSAKeyGenParameterSpec(type.bits(), RSAKeyGenParameterSpec.F4));
      } else {
        generator.initialize(
            new ECGenParameterSpec(type == KeyType.EC_P256 ? "secp256r1" : "secp384r1"));
      }
      return generator.generateKeyPair();
    } catch (GeneralSecurityException | ProviderException e) {
      throw TokenErrors.unavailable("generating key '" + keyId + "' (" + type + ")", e);
    }
  }

  private static PublicKey standardPublicKey(String keyId, KeyType type, KeyPair pair) {
    try {
      return KeyFactory.getInstance(type.jcaKeyAlgorithm())
          .generatePublic(new X509EncodedKeySpec(pair.getPublic().getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new TrustbridgeException(
          ErrorCode.INTERNAL, "the token returned an unreadable public key for '" + keyId + "'", e);
    }
  }

  private X509Certificate placeholder(CaKey key) {
    try {
      return PlaceholderCertificate.create(key, clock.instant());
    } catch (IOException | GeneralSecurityException e) {
      throw new TrustbridgeException(
          ErrorCode.INTERNAL,
          "the self-test signature of new key '" + key.id() + "' (" + key.keyType() + ") failed",
          e);
    }
  }

  @Override
  public Optional<CaKey> find(String keyId) {
    KeyIds.requireValid(keyId);
    requireOpen();
    return token.find(settings.label(keyId)).map(key -> new Pkcs11CaKey(this, keyId, key));
  }

  @Override
  public List<String> keyIds() {
    requireOpen();
    return token.labels().stream()
        .map(settings::keyIdOf)
        .filter(Objects::nonNull)
        .sorted()
        .toList();
  }

  @Override
  public void delete(String keyId) {
    KeyIds.requireValid(keyId);
    requireOpen();
    token.delete(settings.label(keyId));
  }

  /**
   * Releases the token; the last manager of the token in this process logs out. Keys handed out by
   * this manager refuse to sign afterwards ({@code FAILED_PRECONDITION}). Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    token.release();
  }

  void requireOpen() {
    if (closed) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION, "the PKCS#11 key manager has been closed");
    }
  }

  Provider provider() {
    return token.provider();
  }

  /** The settings this manager was opened with. */
  public Pkcs11Settings settings() {
    return settings;
  }

  @Override
  public String toString() {
    return "Pkcs11KeyManager[token="
        + token.address()
        + ", labelPrefix='"
        + settings.labelPrefix()
        + "'"
        + (closed ? ", closed" : "")
        + "]";
  }
}
