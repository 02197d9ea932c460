package dev.trustbridge.spiffe.keys;

/** The key manager contract for {@link EncryptedFileKeyManager} signing with Conscrypt. */
class EncryptedFileKeyManagerConscryptTest extends EncryptedFileKeyManagerContract {
  @Override
  CryptoProviders providers() {
    return TestKeys.conscryptOrSkip();
  }
}
