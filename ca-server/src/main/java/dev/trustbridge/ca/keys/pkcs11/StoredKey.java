package dev.trustbridge.ca.keys.pkcs11;

import dev.trustbridge.spiffe.keys.KeyType;
import java.security.PrivateKey;
import java.security.PublicKey;

/**
 * One key entry on the token as this process knows it: the handle of the (non-extractable) private
 * key object and the public key read from the entry's placeholder certificate. Shared by all {@link
 * Pkcs11CaKey}s handed out for the entry, so that deleting it stops them all.
 */
final class StoredKey {
  final String label;
  final KeyType type;
  final PublicKey publicKey;
  final PrivateKey privateKey;
  private volatile boolean deleted;

  StoredKey(String label, KeyType type, PublicKey publicKey, PrivateKey privateKey) {
    this.label = label;
    this.type = type;
    this.publicKey = publicKey;
    this.privateKey = privateKey;
  }

  boolean isDeleted() {
    return deleted;
  }

  void markDeleted() {
    deleted = true;
  }
}
