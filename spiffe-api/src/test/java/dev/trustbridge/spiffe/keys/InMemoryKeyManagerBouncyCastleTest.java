package dev.trustbridge.spiffe.keys;

import java.util.Optional;

/** The key manager contract for {@link InMemoryKeyManager} with Bouncy Castle only. */
class InMemoryKeyManagerBouncyCastleTest extends KeyManagerContractTest {
  @Override
  protected boolean signsInProcess() {
    return true;
  }

  @Override
  protected KeyManager newKeyManager() {
    return new InMemoryKeyManager(CryptoProviders.bouncyCastleOnly());
  }

  @Override
  protected Optional<byte[]> privateKeyEncodingForLeakCheck(CaKey key) {
    return TestKeys.privateKeyEncoding(key);
  }
}
