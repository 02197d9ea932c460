package dev.trustbridge.ca.keys.vault;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.KeyType;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One version of a Vault Transit key. It signs with exactly that version ({@code key_version}), so
 * that a key rotated in Vault never signs on behalf of a certificate that names the old public key,
 * and it checks every signature against that version's public key before returning it.
 */
final class VaultTransitKey implements CaKey {
  private final VaultTransitKeyManager manager;
  private final String id;
  private final String vaultName;
  private final TransitKeyType type;
  private final int version;
  private final PublicKey publicKey;
  private final long incarnation;

  VaultTransitKey(
      VaultTransitKeyManager manager,
      String id,
      String vaultName,
      TransitKeyType type,
      int version,
      PublicKey publicKey,
      long incarnation) {
    this.manager = manager;
    this.id = id;
    this.vaultName = vaultName;
    this.type = type;
    this.version = version;
    this.publicKey = publicKey;
    this.incarnation = incarnation;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public KeyType keyType() {
    return type.keyType();
  }

  @Override
  public PublicKey publicKey() {
    return publicKey;
  }

  /** The Vault key version this key signs with. */
  int version() {
    return version;
  }

  @Override
  public byte[] sign(byte[] data) {
    Objects.requireNonNull(data, "data");
    manager.requireSignable(this);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("key_version", version);
    if (type.prehashed()) {
      body.put("input", Base64.getEncoder().encodeToString(digest(data)));
      body.put("prehashed", true);
      body.put("hash_algorithm", type.vaultHash());
    } else {
      body.put("input", Base64.getEncoder().encodeToString(data));
    }
    if (type.isEcdsa()) {
      body.put("marshaling_algorithm", "asn1");
    }
    if (type.isRsa()) {
      body.put("signature_algorithm", "pkcs1v15");
    }
    VaultReply reply = manager.session().write(manager.path("sign/" + vaultName), body);
    if (!reply.ok()) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION,
          "Vault refused to sign with key '"
              + id
              + "' version "
              + version
              + " (HTTP "
              + reply.status()
              + ": "
              + reply.errorText()
              + "); was it deleted or trimmed?");
    }
    byte[] signature = decode(reply.data().getString("signature", null));
    if (!verifies(data, signature)) {
      throw new TrustbridgeException(
          ErrorCode.INTERNAL,
          "Vault returned a signature for key '"
              + id
              + "' version "
              + version
              + " that does not verify with that version's public key; refusing to use it");
    }
    return signature;
  }

  private byte[] digest(byte[] data) {
    try {
      return MessageDigest.getInstance(type.jcaDigest()).digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no " + type.jcaDigest(), e);
    }
  }

  /** {@code vault:v<version>:<base64>} of exactly the pinned version. */
  private byte[] decode(String marshaled) {
    String prefix = "vault:v" + version + ":";
    if (marshaled == null || !marshaled.startsWith(prefix)) {
      throw new TrustbridgeException(
          ErrorCode.INTERNAL,
          "Vault answered a sign request for key '"
              + id
              + "' version "
              + version
              + " without a signature of that version");
    }
    try {
      return Base64.getDecoder().decode(marshaled.substring(prefix.length()));
    } catch (IllegalArgumentException e) {
      throw new TrustbridgeException(
          ErrorCode.INTERNAL, "Vault returned a signature for key '" + id + "' that is not base64");
    }
  }

  private boolean verifies(byte[] data, byte[] signature) {
    try {
      Signature verifier = manager.providers().signature(type.keyType());
      verifier.initVerify(publicKey);
      verifier.update(data);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  long incarnation() {
    return incarnation;
  }

  String vaultName() {
    return vaultName;
  }

  @Override
  public String toString() {
    return "VaultTransitKey[id="
        + id
        + ", type="
        + type.keyType()
        + ", vault="
        + manager.path("keys/" + vaultName)
        + ", version="
        + version
        + "]";
  }
}
