package dev.trustbridge.ca.keys.pkcs11;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.KeyType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AuthProvider;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.ProviderException;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.security.auth.login.LoginException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One logged-in PKCS#11 token, shared by every {@link Pkcs11KeyManager} of this process that opens
 * the same library and slot.
 *
 * <p>Sharing is forced by PKCS#11 itself: the login state belongs to the application, not to a
 * session, so a second SunPKCS11 instance on a token that is already logged in skips {@code
 * C_Login} (and would accept any PIN), and a logout by one instance logs out all others. Hence one
 * provider, one {@code KeyStore} and one login per token, counted by users; the last {@link
 * #release()} logs out. A later open of the same token must present the same PIN.
 *
 * <p>The PKCS#11 {@code KeyStore} caches the token's entries when it is loaded, so entries another
 * process adds later are not seen: one process owns a token's label space.
 */
final class Pkcs11Token {
  private static final Logger LOG = LoggerFactory.getLogger(Pkcs11Token.class);

  /** Open tokens by library and slot; guarded by itself. */
  private static final Map<Address, Pkcs11Token> OPEN = new HashMap<>();

  record Address(Path library, int slotListIndex) {
    @Override
    public String toString() {
      return "slotListIndex " + slotListIndex + " of " + library;
    }
  }

  private final Address address;
  private final Provider provider;
  private final char[] loginPin; // the PIN that logged in; wiped on last release
  private int users; // guarded by OPEN

  // Guarded by this: the KeyStore, the labels being generated and the keys loaded so far.
  private final KeyStore keyStore;
  private final Set<String> pending = new HashSet<>();
  private final Map<String, StoredKey> loaded = new HashMap<>();

  private Pkcs11Token(Address address, Provider provider, KeyStore keyStore, char[] loginPin) {
    this.address = address;
    this.provider = provider;
    this.keyStore = keyStore;
    this.loginPin = loginPin;
  }

  /** The token these settings name, logged in; call {@link #release()} once per acquire. */
  static Pkcs11Token acquire(Pkcs11Settings settings) {
    Address address = new Address(realPath(settings.library()), settings.slotListIndex());
    synchronized (OPEN) {
      Pkcs11Token token = OPEN.get(address);
      if (token == null) {
        token = open(address, settings);
        OPEN.put(address, token);
      } else {
        char[] pin = settings.pin();
        try {
          if (!sameSecret(token.loginPin, pin)) {
            throw TokenErrors.loginRefused(address.toString(), null);
          }
        } finally {
          Arrays.fill(pin, '\0');
        }
      }
      token.users++;
      return token;
    }
  }

  /** One spelling per library file, so that two spellings cannot open two logins. */
  private static Path realPath(Path library) {
    try {
      if (Files.isRegularFile(library)) {
        return library.toRealPath();
      }
    } catch (IOException e) {
      // reported below
    }
    throw new TrustbridgeException(
        ErrorCode.FAILED_PRECONDITION,
        "PKCS#11 library " + library + " does not exist or is not a readable file");
  }

  private static Pkcs11Token open(Address address, Pkcs11Settings settings) {
    Provider provider;
    try {
      provider = Security.getProvider("SunPKCS11").configure(config(address));
    } catch (ProviderException | IllegalArgumentException e) {
      throw TokenErrors.unavailable("opening PKCS#11 token at " + address, e);
    }
    char[] pin = settings.pin();
    try {
      KeyStore keyStore = KeyStore.getInstance("PKCS11", provider);
      keyStore.load(null, pin);
      LOG.info(
          "PKCS#11 token at {} opened with provider {} ({} entries)",
          address,
          provider.getName(),
          keyStore.size());
      return new Pkcs11Token(address, provider, keyStore, pin);
    } catch (IOException | GeneralSecurityException | ProviderException e) {
      Arrays.fill(pin, '\0');
      if (TokenErrors.isLoginRefused(e)) {
        throw TokenErrors.loginRefused(address.toString(), e);
      }
      throw TokenErrors.unavailable("logging in to PKCS#11 token at " + address, e);
    }
  }

  /** Compares two PINs in time that does not depend on where they differ. */
  private static boolean sameSecret(char[] a, char[] b) {
    int difference = a.length ^ b.length;
    for (int i = 0; i < Math.min(a.length, b.length); i++) {
      difference |= a[i] ^ b[i];
    }
    return difference == 0;
  }

  /**
   * SunPKCS11 configuration. Private keys are generated on the token ({@code CKA_TOKEN}), never
   * readable ({@code CKA_SENSITIVE}) and never exportable, even wrapped ({@code CKA_EXTRACTABLE}
   * false). Public keys stay session objects: the placeholder certificate carries the public key,
   * and the PKCS#11 {@code KeyStore} never deletes public key objects, so token public keys would
   * pile up as orphans.
   */
  static String config(Address address) {
    return "--name=Trustbridge-slot"
        + address.slotListIndex()
        + "\nlibrary = \""
        + address.library()
        + "\"\nslotListIndex = "
        + address.slotListIndex()
        + "\nattributes(generate, CKO_PRIVATE_KEY, *) = {\n"
        + "  CKA_TOKEN = true\n"
        + "  CKA_PRIVATE = true\n"
        + "  CKA_SENSITIVE = true\n"
        + "  CKA_EXTRACTABLE = false\n"
        + "}\n"
        + "attributes(generate, CKO_PUBLIC_KEY, *) = {\n"
        + "  CKA_TOKEN = false\n"
        + "}\n";
  }

  /** Drops one user; the last one logs out of the token. */
  void release() {
    synchronized (OPEN) {
      if (--users > 0) {
        return;
      }
      OPEN.remove(address);
      Arrays.fill(loginPin, '\0');
    }
    synchronized (this) {
      loaded.values().forEach(StoredKey::markDeleted);
      loaded.clear();
    }
    if (provider instanceof AuthProvider auth) {
      try {
        auth.logout();
      } catch (LoginException e) {
        LOG.warn("logout from PKCS#11 token at {} failed: {}", address, e.toString());
      }
    }
    LOG.info("PKCS#11 token at {} closed", address);
  }

  Provider provider() {
    return provider;
  }

  Address address() {
    return address;
  }

  /**
   * Reserves a label for a key about to be generated, so that a concurrent generate of the same
   * label fails at once instead of after a slow key generation.
   *
   * @return false if the label is taken or reserved
   */
  synchronized boolean reserve(String label) {
    try {
      if (pending.contains(label) || keyStore.containsAlias(label)) {
        return false;
      }
    } catch (KeyStoreException | ProviderException e) {
      throw TokenErrors.unavailable("looking up PKCS#11 label '" + label + "'", e);
    }
    pending.add(label);
    return true;
  }

  synchronized void unreserve(String label) {
    pending.remove(label);
  }

  /** Stores a generated key under its reserved label, with its placeholder certificate. */
  synchronized StoredKey store(
      String label, KeyType type, PrivateKey privateKey, X509Certificate placeholder) {
    try {
      keyStore.setKeyEntry(label, privateKey, null, new Certificate[] {placeholder});
    } catch (KeyStoreException | ProviderException e) {
      throw TokenErrors.unavailable("storing key under PKCS#11 label '" + label + "'", e);
    }
    StoredKey key = new StoredKey(label, type, placeholder.getPublicKey(), privateKey);
    loaded.put(label, key);
    return key;
  }

  /** The key under this label, loaded from the token on first use; empty if there is none. */
  synchronized Optional<StoredKey> find(String label) {
    StoredKey key = loaded.get(label);
    if (key != null) {
      return Optional.of(key);
    }
    try {
      if (!keyStore.isKeyEntry(label)) {
        return Optional.empty();
      }
      Key privateKey = keyStore.getKey(label, null);
      Certificate certificate = keyStore.getCertificate(label);
      if (!(privateKey instanceof PrivateKey) || !(certificate instanceof X509Certificate)) {
        // Listed when the KeyStore was loaded, but the token no longer returns it.
        throw TrustbridgeException.unavailable(
            "reading PKCS#11 label '" + label + "' failed: the token no longer returns the entry",
            null);
      }
      KeyType type =
          KeyType.of(certificate.getPublicKey())
              .orElseThrow(
                  () ->
                      new TrustbridgeException(
                          ErrorCode.FAILED_PRECONDITION,
                          "PKCS#11 label '" + label + "' holds a key of an unsupported type"));
      key = new StoredKey(label, type, certificate.getPublicKey(), (PrivateKey) privateKey);
    } catch (GeneralSecurityException | ProviderException e) {
      throw TokenErrors.unavailable("reading PKCS#11 label '" + label + "'", e);
    }
    loaded.put(label, key);
    return Optional.of(key);
  }

  /** All key entry labels on the token, in no particular order. */
  synchronized List<String> labels() {
    try {
      List<String> labels = new ArrayList<>();
      for (String alias : Collections.list(keyStore.aliases())) {
        if (keyStore.isKeyEntry(alias)) {
          labels.add(alias);
        }
      }
      return labels;
    } catch (KeyStoreException | ProviderException e) {
      throw TokenErrors.unavailable("listing PKCS#11 key entries", e);
    }
  }

  /** Destroys the private key and certificate under this label; does nothing if there is none. */
  synchronized void delete(String label) {
    StoredKey key = loaded.remove(label);
    if (key != null) {
      key.markDeleted();
    }
    try {
      if (keyStore.containsAlias(label)) {
        keyStore.deleteEntry(label);
      }
    } catch (KeyStoreException | ProviderException e) {
      throw TokenErrors.unavailable("deleting PKCS#11 label '" + label + "'", e);
    }
  }
}
