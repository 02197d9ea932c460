package dev.trustbridge.spiffe.keys;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Field;
import java.security.PrivateKey;
import java.util.Optional;

/** Test-only access to providers and, through reflection, to private keys held in memory. */
final class TestKeys {
  private TestKeys() {}

  /** Conscrypt-backed providers, or the test is skipped with the reason Conscrypt is missing. */
  static CryptoProviders conscryptOrSkip() {
    Optional<CryptoProviders> conscrypt = CryptoProviders.conscrypt();
    assumeTrue(
        conscrypt.isPresent(),
        () ->
            "skipped: Conscrypt's native library does not load on this machine ("
                + CryptoProviders.conscryptStatus()
                + ")");
    return conscrypt.get();
  }

  /**
   * The PKCS#8 encoding of an in-memory key. Production code has no such accessor on purpose; tests
   * use it only to check that no string leaks the key.
   */
  static Optional<byte[]> privateKeyEncoding(CaKey key) {
    if (!(key instanceof SoftwareCaKey)) {
      return Optional.empty();
    }
    try {
      Field field = SoftwareCaKey.class.getDeclaredField("privateKey");
      field.setAccessible(true);
      PrivateKey privateKey = (PrivateKey) field.get(key);
      return Optional.ofNullable(privateKey).map(PrivateKey::getEncoded);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
