package dev.trustbridge.ca.keys.pkcs11;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.KeyType;
import java.security.GeneralSecurityException;
import java.security.ProviderException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Objects;

/**
 * A {@link CaKey} whose private key is an object on a PKCS#11 token. Signing happens inside the
 * token; this class holds only the object's handle, which cannot be used to read the key.
 */
final class Pkcs11CaKey implements CaKey {
  private final Pkcs11KeyManager owner;
  private final String id;
  private final StoredKey key;

  Pkcs11CaKey(Pkcs11KeyManager owner, String id, StoredKey key) {
    this.owner = owner;
    this.id = id;
    this.key = key;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public KeyType keyType() {
    return key.type;
  }

  @Override
  public PublicKey publicKey() {
    return key.publicKey;
  }

  @Override
  public byte[] sign(byte[] data) {
    Objects.requireNonNull(data, "data");
    owner.requireOpen();
    if (key.isDeleted()) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION, "key '" + id + "' has been deleted");
    }
    try {
      // A new Signature per call: Signature objects are not thread safe, and SunPKCS11 gives each
      // one its own session, so signatures run concurrently on the token.
      Signature signer = Signature.getInstance(key.type.jcaSignatureAlgorithm(), owner.provider());
      signer.initSign(key.privateKey);
      signer.update(data);
      // SunPKCS11 returns ECDSA signatures DER-encoded for "SHA256withECDSA" and friends.
      return signer.sign();
    } catch (GeneralSecurityException | ProviderException e) {
      throw TokenErrors.unavailable("signing with key '" + id + "' (" + key.type + ")", e);
    }
  }

  /** The token object behind this key, for tests that check its attributes. */
  java.security.PrivateKey tokenObject() {
    return key.privateKey;
  }

  @Override
  public String toString() {
    return "CaKey[id="
        + id
        + ", type="
        + key.type
        + ", provider="
        + owner.provider().getName()
        + (key.isDeleted() ? ", deleted" : "")
        + "]";
  }
}
