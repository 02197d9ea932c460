package dev.trustbridge.spiffe.keys;

import java.util.Optional;

/** The key manager contract for {@link InMemoryKeyManager} signing with Conscrypt. */
class InMemoryKeyManagerConscryptTest extends KeyManagerContractTest {
  @Override
  protected boolean signsInProcess() {
    return true;
  }

  @Override
  protected KeyManager newKeyManager() {
    return new InMemoryKeyManager(TestKeys.conscryptOrSkip());
  }

  @Override
  protected Optional<byte[]> privateKeyEncodingForLeakCheck(CaKey key) {
    return TestKeys.privateKeyEncoding(key);
  }
}
