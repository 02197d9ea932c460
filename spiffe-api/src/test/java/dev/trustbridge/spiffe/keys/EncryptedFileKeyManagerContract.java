package dev.trustbridge.spiffe.keys;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/** The key manager contract for {@link EncryptedFileKeyManager}, each test in a fresh directory. */
abstract class EncryptedFileKeyManagerContract extends KeyManagerContractTest {
  static final char[] PASSPHRASE = "correct horse battery staple".toCharArray();

  @TempDir Path temp;
  private int managers;

  /** The providers under test. */
  abstract CryptoProviders providers();

  @Override
  protected boolean signsInProcess() {
    return true;
  }

  @Override
  protected KeyManager newKeyManager() {
    return open(temp.resolve("keys-" + managers++));
  }

  @Override
  protected Optional<KeyManager> reopen(KeyManager manager) {
    EncryptedFileKeyManager old = (EncryptedFileKeyManager) manager;
    old.close();
    return Optional.of(open(old.directory()));
  }

  @Override
  protected Optional<byte[]> privateKeyEncodingForLeakCheck(CaKey key) {
    return TestKeys.privateKeyEncoding(key);
  }

  private EncryptedFileKeyManager open(Path directory) {
    return EncryptedFileKeyManager.builder(directory, PASSPHRASE)
        .providers(providers())
        .pbkdf2Iterations(EncryptedFileKeyManager.MIN_PBKDF2_ITERATIONS)
        .open();
  }
}
