package dev.trustbridge.spiffe.keys;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Objects;

/**
 * A {@link CaKey} whose private key lives in this process's memory (in-memory and encrypted-file
 * backends). The private key never leaves this class: there is no accessor, and {@link #toString()}
 * shows only the id, type and provider.
 */
final class SoftwareCaKey implements CaKey {
  private final String id;
  private final KeyType type;
  private final PublicKey publicKey;
  private final CryptoProviders providers;
  private volatile PrivateKey privateKey; // null once destroyed

  SoftwareCaKey(
      String id,
      KeyType type,
      PublicKey publicKey,
      PrivateKey privateKey,
      CryptoProviders providers) {
    this.id = id;
    this.type = type;
    this.publicKey = publicKey;
    this.providers = providers;
    this.privateKey = providers.toSigningKey(type, privateKey);
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
    PrivateKey key = privateKey;
    if (key == null) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION, "key '" + id + "' has been deleted");
    }
    try {
      return providers.sign(type, key, data);
    } catch (GeneralSecurityException e) {
      throw new TrustbridgeException(
          ErrorCode.INTERNAL, "signing with key '" + id + "' (" + type + ") failed", e);
    }
  }

  /** Drops the private key; later {@link #sign} calls fail with FAILED_PRECONDITION. */
  void destroy() {
    privateKey = null;
  }

  @Override
  public String toString() {
    return "CaKey[id="
        + id
        + ", type="
        + type
        + ", provider="
        + providers.signatureProvider(type.jcaSignatureAlgorithm()).getName()
        + (privateKey == null ? ", deleted" : "")
        + "]";
  }
}
