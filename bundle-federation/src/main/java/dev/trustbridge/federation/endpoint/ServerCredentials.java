package dev.trustbridge.federation.endpoint;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509KeyManager;

/** Loads, checks and converts TLS server credentials. */
final class ServerCredentials {
  static final String UNREADABLE = "certificate or key file cannot be read";
  static final String NO_KEY_ENTRY = "PEM files do not hold a private key and certificate chain";
  static final String KEY_MISMATCH = "private key does not match the leaf certificate";
  static final String NOT_VALID_NOW = "leaf certificate is expired or not yet valid";

  private ServerCredentials() {}

  /** Reads a PEM chain and key (blocking file I/O) and checks them. */
  static ServerCredential loadPem(Vertx vertx, Path chainFile, Path keyFile, Clock clock) {
    PemKeyCertOptions pem;
    try {
      pem =
          new PemKeyCertOptions()
              .setCertValue(Buffer.buffer(Files.readAllBytes(chainFile)))
              .setKeyValue(Buffer.buffer(Files.readAllBytes(keyFile)));
    } catch (IOException e) {
      throw new IllegalStateException(UNREADABLE, e);
    }
    ServerCredential credential;
    try {
      credential = firstKeyEntry(pem.getKeyManagerFactory(vertx));
    } catch (IllegalStateException e) {
      throw e;
    } catch (Exception e) {
      // Vert.x reports unparseable PEM with assorted runtime and checked exceptions.
      throw new IllegalStateException(NO_KEY_ENTRY, e);
    }
    check(credential, clock);
    return credential;
  }

  private static ServerCredential firstKeyEntry(KeyManagerFactory factory) {
    for (KeyManager manager : factory.getKeyManagers()) {
      if (!(manager instanceof X509KeyManager x509)) {
        continue;
      }
      for (String keyType : List.of("EC", "RSA", "EdDSA", "Ed25519")) {
        String[] aliases = x509.getServerAliases(keyType, null);
        if (aliases == null) {
          continue;
        }
        for (String alias : aliases) {
          PrivateKey key = x509.getPrivateKey(alias);
          X509Certificate[] chain = x509.getCertificateChain(alias);
          if (key != null && chain != null && chain.length > 0) {
            return new ServerCredential(List.of(chain), key);
          }
        }
      }
    }
    throw new IllegalStateException(NO_KEY_ENTRY);
  }

  /**
   * Checks that the key signs what the leaf's public key verifies and that the leaf is valid now. A
   * one-off signature with the JDK's default providers: this runs only when a credential changes.
   */
  static void check(ServerCredential credential, Clock clock) {
    X509Certificate leaf = credential.leaf();
    try {
      leaf.checkValidity(Date.from(clock.instant()));
    } catch (CertificateExpiredException | CertificateNotYetValidException e) {
      throw new IllegalStateException(NOT_VALID_NOW, e);
    }
    String algorithm =
        switch (credential.privateKey().getAlgorithm()) {
          case "EC", "ECDSA" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> throw new IllegalStateException(KEY_MISMATCH);
        };
    byte[] challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(credential.privateKey());
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(leaf.getPublicKey());
      verifier.update(challenge);
      if (!verifier.verify(signature)) {
        throw new IllegalStateException(KEY_MISMATCH);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(KEY_MISMATCH, e);
    }
  }

  /** The credential as Vert.x key material, through an in-memory key store. */
  static KeyCertOptions toKeyCertOptions(ServerCredential credential) {
    try {
      // The store never leaves memory; the password only satisfies the PKCS#12 API.
      char[] password = "in-memory".toCharArray();
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(
          "server",
          credential.privateKey(),
          password,
          credential.chain().toArray(new X509Certificate[0]));
      KeyManagerFactory factory =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, password);
      return KeyCertOptions.wrap(factory);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build an in-memory key store", e);
    }
  }
}
