package dev.trustbridge.ca.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** Where CA private keys are kept (key {@code keys}). */
public sealed interface KeysConfig
    permits KeysConfig.FileKeys,
        KeysConfig.MemoryKeys,
        KeysConfig.Pkcs11Keys,
        KeysConfig.VaultTransitKeys {

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

  /** A secret read from an environment variable or a file (exactly one). */
  record Secret(Optional<String> env, Optional<Path> file) {
    public Secret {
      Objects.requireNonNull(env, "env");
      Objects.requireNonNull(file, "file");
      if (env.isPresent() == file.isPresent()) {
        throw new IllegalArgumentException("set exactly one of the environment variable or file");
      }
    }
  }

  /**
   * Keys generated inside a PKCS#11 token ({@code type: pkcs11}), sensitive and non-extractable.
   *
   * @param library absolute path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so
   * @param slotListIndex the token's index in the slot list
   * @param pin the user PIN
   * @param labelPrefix prepended to key ids to form object labels
   */
  record Pkcs11Keys(Path library, int slotListIndex, Secret pin, String labelPrefix)
      implements KeysConfig {
    public Pkcs11Keys {
      Objects.requireNonNull(library, "library");
      Objects.requireNonNull(pin, "pin");
      Objects.requireNonNull(labelPrefix, "labelPrefix");
    }
  }

  /** How Trustbridge logs in to Vault. */
  sealed interface VaultLogin permits TokenLogin, AppRoleLogin, KubernetesLogin {}

  /** A fixed token. */
  record TokenLogin(Secret token) implements VaultLogin {}

  /** AppRole: role id and secret id, at {@code auth/<mount>}. */
  record AppRoleLogin(String roleId, Secret secretId, String mount) implements VaultLogin {}

  /** Kubernetes: the pod's service account token file, at {@code auth/<mount>}. */
  record KubernetesLogin(String role, Path jwtPath, String mount) implements VaultLogin {}

  /**
   * CA keys in Vault's Transit engine ({@code type: vault-transit}): they never leave Vault, and
   * Vault signs with the key version pinned in the CA certificate.
   *
   * @param address Vault's https address
   * @param caFile PEM CAs to trust for Vault's TLS certificate (system roots if empty)
   * @param mount the Transit mount
   * @param keyPrefix prepended to key ids to form Transit key names
   * @param login how to log in
   */
  record VaultTransitKeys(
      java.net.URI address, Optional<Path> caFile, String mount, String keyPrefix, VaultLogin login)
      implements KeysConfig {
    public VaultTransitKeys {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(caFile, "caFile");
      Objects.requireNonNull(mount, "mount");
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      Objects.requireNonNull(login, "login");
    }
  }
}
