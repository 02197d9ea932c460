package dev.trustbridge.ca.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** Where CA private keys are kept (key {@code keys}). */
public sealed interface KeysConfig permits KeysConfig.FileKeys, KeysConfig.MemoryKeys {

  /**
   * Encrypted key files ({@code type: file}), the development default. The passphrase comes from an
   * environment variable or a file; with neither, the server creates {@code <dir>/.passphrase}
   * (mode 0600) on first start, which protects nothing against a reader of {@code dir} and is meant
   * for development only.
   *
   * @param dir the directory holding the key files, absolute
   * @param passphraseEnv the environment variable holding the passphrase, if any
   * @param passphraseFile the file holding the passphrase, if any (at most one of the two)
   */
  record FileKeys(Path dir, Optional<String> passphraseEnv, Optional<Path> passphraseFile)
      implements KeysConfig {
    public FileKeys {
      Objects.requireNonNull(dir, "dir");
      Objects.requireNonNull(passphraseEnv, "passphraseEnv");
      Objects.requireNonNull(passphraseFile, "passphraseFile");
      if (passphraseEnv.isPresent() && passphraseFile.isPresent()) {
        throw new IllegalArgumentException("set passphraseEnv or passphraseFile, not both");
      }
    }

    /** The passphrase file the server generates when no passphrase source is configured. */
    public Path generatedPassphraseFile() {
      return dir.resolve(".passphrase");
    }
  }

  /** Keys held in memory only and lost on exit ({@code type: memory}); for tests. */
  record MemoryKeys() implements KeysConfig {}
}
