package dev.trustbridge.spiffe.keys;

import java.security.PublicKey;

/**
 * A signing key held by a {@link KeyManager}. It signs and shows its public key; it never reveals
 * private material, whatever the backend (memory, encrypted file, PKCS#11 token, Vault Transit).
 *
 * <p>Security guarantee: {@link #sign(byte[])} produces a signature with this key's {@link
 * KeyType#jcaSignatureAlgorithm()} over exactly the given bytes, or throws; it never returns a
 * signature made by another key or version of the key.
 */
public interface CaKey {
  /** The manager-scoped identifier of this key, stable across restarts. */
  String id();

  /** The key type, which fixes the signature algorithm. */
  KeyType keyType();

  /** The public half of the key. */
  PublicKey publicKey();

  /**
   * Signs {@code data} (the whole message, not a digest) with {@link
   * KeyType#jcaSignatureAlgorithm()}. The signature is in the encoding X.509 uses: DER {@code
   * Ecdsa-Sig-Value} for ECDSA, PKCS#1 v1.5 for RSA, raw 64 bytes for Ed25519.
   *
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException with code {@code UNAVAILABLE} if the
   *     backend holding the key cannot be reached
   */
  byte[] sign(byte[] data);

  /**
   * True if this key signs in this process, from private key material this JVM holds, with no
   * device or remote service between the caller and the signature (the in-memory and encrypted-file
   * backends). {@link dev.trustbridge.spiffe.svid.IssuingCa} tests such a key once against its
   * certificate, by signing and verifying a probe, and the leaves it then signs are not verified
   * one by one unless asked; the signatures of any other key are verified every time.
   */
  default boolean signsInProcess() {
    return false;
  }
}
