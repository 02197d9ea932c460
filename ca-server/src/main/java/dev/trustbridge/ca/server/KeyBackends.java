package dev.trustbridge.ca.server;

import dev.trustbridge.ca.config.KeysConfig;
import dev.trustbridge.ca.keys.pkcs11.Pkcs11KeyManager;
import dev.trustbridge.ca.keys.pkcs11.Pkcs11Settings;
import dev.trustbridge.ca.keys.vault.VaultAuth;
import dev.trustbridge.ca.keys.vault.VaultSession;
import dev.trustbridge.ca.keys.vault.VaultSettings;
import dev.trustbridge.ca.keys.vault.VaultTransitKeyManager;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.EncryptedFileKeyManager;
import dev.trustbridge.spiffe.keys.InMemoryKeyManager;
import dev.trustbridge.spiffe.keys.KeyManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the configured key backend. */
final class KeyBackends {
  private static final Logger LOG = LoggerFactory.getLogger(KeyBackends.class);

  private KeyBackends() {}

  static KeyManager open(KeysConfig config, CryptoProviders providers) {
    if (config instanceof KeysConfig.MemoryKeys) {
      LOG.warn("keys.type=memory: CA keys are lost when the server stops (tests only)");
      return new InMemoryKeyManager(providers);
    }
    if (config instanceof KeysConfig.Pkcs11Keys hsm) {
      char[] pin = secret(hsm.pin());
      try {
        return Pkcs11KeyManager.open(
            new Pkcs11Settings(hsm.library(), hsm.slotListIndex(), pin, hsm.labelPrefix()));
      } finally {
        Arrays.fill(pin, '\0');
      }
    }
    if (config instanceof KeysConfig.VaultTransitKeys vault) {
      VaultAuth auth = vaultAuth(vault.login());
      VaultSettings settings =
          vault
              .caFile()
              .map(ca -> VaultSettings.https(vault.address(), ca, auth))
              .orElseGet(() -> VaultSettings.httpsWithSystemTrust(vault.address(), auth));
      return VaultTransitKeyManager.create(
          VaultSession.open(settings, Clock.systemUTC()),
          new VaultTransitKeyManager.Settings(vault.mount(), vault.keyPrefix()),
          providers);
    }
    KeysConfig.FileKeys files = (KeysConfig.FileKeys) config;
    char[] passphrase;
    if (files.passphraseEnv().isPresent()) {
      passphrase = EncryptedFileKeyManager.passphraseFromEnv(files.passphraseEnv().get());
    } else if (files.passphraseFile().isPresent()) {
      passphrase = EncryptedFileKeyManager.passphraseFromFile(files.passphraseFile().get());
    } else {
      passphrase = generatedPassphrase(files);
    }
    TrustbridgeServer.createPrivateDirectory(files.dir());
    return EncryptedFileKeyManager.builder(files.dir(), passphrase).providers(providers).open();
  }

  private static VaultAuth vaultAuth(KeysConfig.VaultLogin login) {
    if (login instanceof KeysConfig.TokenLogin token) {
      return new VaultAuth.Token(new String(secret(token.token())));
    }
    if (login instanceof KeysConfig.AppRoleLogin approle) {
      return new VaultAuth.AppRole(
          approle.roleId(), new String(secret(approle.secretId())), approle.mount());
    }
    KeysConfig.KubernetesLogin kubernetes = (KeysConfig.KubernetesLogin) login;
    return new VaultAuth.Kubernetes(kubernetes.role(), kubernetes.jwtPath(), kubernetes.mount());
  }

  /**
   * Where intermediate keys live. With file or memory keys, beside the roots. With a root in an HSM
   * or Vault, in encrypted files under {@code <data_dir>/keys-local} that this replica holds, so
   * issuance never needs the remote backend (SPIRE's practice too). Their passphrase is generated
   * next to them: intermediates are short-lived and protected by the data directory's permissions.
   */
  static KeyManager intermediates(
      KeysConfig config, Path dataDir, KeyManager roots, CryptoProviders providers) {
    if (config instanceof KeysConfig.FileKeys || config instanceof KeysConfig.MemoryKeys) {
      return roots;
    }
    return open(
        new KeysConfig.FileKeys(dataDir.resolve("keys-local"), Optional.empty(), Optional.empty()),
        providers);
  }

  /** Reads a secret from its environment variable or its owner-only file. */
  private static char[] secret(KeysConfig.Secret secret) {
    return secret.env().isPresent()
        ? EncryptedFileKeyManager.passphraseFromEnv(secret.env().get())
        : EncryptedFileKeyManager.passphraseFromFile(secret.file().orElseThrow());
  }

  /**
   * The development default: a random passphrase kept in a 0600 file next to the keys, created on
   * first start. Anyone who can read the data directory can read the keys.
   */
  private static char[] generatedPassphrase(KeysConfig.FileKeys files) {
    Path file = files.generatedPassphraseFile();
    if (!Files.exists(file)) {
      TrustbridgeServer.createPrivateDirectory(file.getParent());
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      try {
        LocalIdentities.writePrivate(
            file,
            Base64.getEncoder()
                .withoutPadding()
                .encodeToString(secret)
                .getBytes(StandardCharsets.US_ASCII));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + file, e);
      }
      LOG.warn(
          "created a key passphrase file at {}: development only, set keys.passphrase_env or"
              + " keys.passphrase_file in production",
          file);
    }
    return EncryptedFileKeyManager.passphraseFromFile(file);
  }
}
