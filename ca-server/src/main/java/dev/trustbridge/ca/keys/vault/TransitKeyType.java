package dev.trustbridge.ca.keys.vault;

import dev.trustbridge.spiffe.keys.KeyType;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/** How each {@link KeyType} is named and signed with in Vault Transit. */
enum TransitKeyType {
  EC_P256(KeyType.EC_P256, "ecdsa-p256", "sha2-256", "SHA-256"),
  EC_P384(KeyType.EC_P384, "ecdsa-p384", "sha2-384", "SHA-384"),
  RSA_2048(KeyType.RSA_2048, "rsa-2048", "sha2-256", "SHA-256"),
  RSA_3072(KeyType.RSA_3072, "rsa-3072", "sha2-256", "SHA-256"),
  RSA_4096(KeyType.RSA_4096, "rsa-4096", "sha2-256", "SHA-256"),
  // Ed25519 signs the message itself: no prehashing, no hash algorithm.
  ED25519(KeyType.ED25519, "ed25519", null, null);

  private final KeyType keyType;
  private final String vaultName;
  private final String vaultHash;
  private final String jcaDigest;

  TransitKeyType(KeyType keyType, String vaultName, String vaultHash, String jcaDigest) {
    this.keyType = keyType;
    this.vaultName = vaultName;
    this.vaultHash = vaultHash;
    this.jcaDigest = jcaDigest;
  }

  private static final Map<KeyType, TransitKeyType> BY_KEY_TYPE =
      Map.of(
          KeyType.EC_P256, EC_P256,
          KeyType.EC_P384, EC_P384,
          KeyType.RSA_2048, RSA_2048,
          KeyType.RSA_3072, RSA_3072,
          KeyType.RSA_4096, RSA_4096,
          KeyType.ED25519, ED25519);

  static TransitKeyType of(KeyType type) {
    return BY_KEY_TYPE.get(type);
  }

  /** The Trustbridge type of a Vault key type name, or empty for types that cannot sign CAs. */
  static Optional<TransitKeyType> ofVaultName(String name) {
    return Arrays.stream(values()).filter(t -> t.vaultName.equals(name)).findFirst();
  }

  KeyType keyType() {
    return keyType;
  }

  /** The {@code type} of {@code transit/keys/:name}. */
  String vaultName() {
    return vaultName;
  }

  boolean prehashed() {
    return vaultHash != null;
  }

  /** The {@code hash_algorithm} of {@code transit/sign}. */
  String vaultHash() {
    return vaultHash;
  }

  /** The JCA digest that matches {@link #vaultHash()} and the key type's signature algorithm. */
  String jcaDigest() {
    return jcaDigest;
  }

  boolean isEcdsa() {
    return this == EC_P256 || this == EC_P384;
  }

  boolean isRsa() {
    return keyType.isRsa();
  }
}
