package dev.trustbridge.spiffe.keys;

/** The key manager contract for {@link EncryptedFileKeyManager} with Bouncy Castle only. */
class EncryptedFileKeyManagerBouncyCastleTest extends EncryptedFileKeyManagerContract {
  @Override
  CryptoProviders providers() {
    return CryptoProviders.bouncyCastleOnly();
  }
}
