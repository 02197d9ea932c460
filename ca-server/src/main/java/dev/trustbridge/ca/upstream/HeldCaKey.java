package dev.trustbridge.ca.upstream;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Objects;

/**
 * A plug-in CA's key, read from the operator's {@code ca-key.pem} and held in this process's memory
 * only: it is never written anywhere else, has no accessor, and {@link #toString()} shows only its
 * id and type.
 */
final class HeldCaKey implements CaKey {
  private final String id;
  private final KeyType type;
  private final PublicKey publicKey;
  private final PrivateKey privateKey;
  private final CryptoProviders providers;

  HeldCaKey(
      String id,
      KeyType type,
      PublicKey publicKey,
      PrivateKey privateKey,
      CryptoProviders providers) {
    this.id = Objects.requireNonNull(id, "id");
    this.type = Objects.requireNonNull(type, "type");
    this.publicKey = Objects.requireNonNull(publicKey, "publicKey");
    this.providers = Objects.requireNonNull(providers, "providers");
    this.privateKey = forSigner(type, Objects.requireNonNull(privateKey, "privateKey"), providers);
  }

  /** The key as the signature provider wants it (Conscrypt signs only with its own key objects). */
  private static PrivateKey forSigner(KeyType type, PrivateKey key, CryptoProviders providers) {
    KeyFactory factory = providers.keyFactory(type.jcaKeyAlgorithm());
    if (factory.getProvider() != providers.signatureProvider(type.jcaSignatureAlgorithm())) {
      return key;
    }
    byte[] encoded = key.getEncoded();
    try {
      return factory.generatePrivate(new PKCS8EncodedKeySpec(encoded));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(
          factory.getProvider().getName() + " cannot import a " + type + " private key", e);
    } finally {
      if (encoded != null) {
        Arrays.fill(encoded, (byte) 0);
      }
    }
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public KeyType keyType() {
    return type;
  }

  @Override
  public PublicKey publicKey() {
    return publicKey;
  }

  @Override
  public boolean signsInProcess() {
    return true;
  }

  @Override
  public byte[] sign(byte[] data) {
    Objects.requireNonNull(data, "data");
    try {
      return providers.sign(type, privateKey, data);
    } catch (GeneralSecurityException e) {
      throw new TrustbridgeException(
          ErrorCode.INTERNAL, "signing with plug-in CA key '" + id + "' (" + type + ") failed", e);
    }
  }

  @Override
  public String toString() {
    return "CaKey[id=" + id + ", type=" + type + ", plug-in file, in memory]";
  }
}
