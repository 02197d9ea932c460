package dev.trustbridge.ca.server;

import dev.trustbridge.ca.config.KeysConfig;
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
import java.util.Base64;
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
