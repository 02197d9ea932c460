package dev.trustbridge.spiffe.keys;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A {@link KeyManager} that keeps keys in this process's memory only: they are lost on restart. For
 * tests and for short-lived intermediates that are re-created at start. Thread safe.
 */
public final class InMemoryKeyManager implements KeyManager {
  private final CryptoProviders providers;
  private final ConcurrentSkipListMap<String, SoftwareCaKey> keys = new ConcurrentSkipListMap<>();

  /** A manager that generates and signs with the given providers. */
  public InMemoryKeyManager(CryptoProviders providers) {
    this.providers = Objects.requireNonNull(providers, "providers");
  }

  /** A manager using {@link CryptoProviders#detect()}. */
  public InMemoryKeyManager() {
    this(CryptoProviders.detect());
  }

  @Override
  public CaKey generate(String keyId, KeyType type) {
    KeyIds.requireValid(keyId);
    Objects.requireNonNull(type, "type");
    if (keys.containsKey(keyId)) {
      throw alreadyExists(keyId);
    }
    KeyPair pair = providers.keyPairGenerator(type).generateKeyPair();
    SoftwareCaKey key =
        new SoftwareCaKey(keyId, type, pair.getPublic(), pair.getPrivate(), providers);
    // Two callers may race for one id; only one wins, the other's key is dropped.
    if (keys.putIfAbsent(keyId, key) != null) {
      key.destroy();
      throw alreadyExists(keyId);
    }
    return key;
  }

  @Override
  public Optional<CaKey> find(String keyId) {
    KeyIds.requireValid(keyId);
    return Optional.ofNullable(keys.get(keyId));
  }

  @Override
  public List<String> keyIds() {
    return new ArrayList<>(keys.keySet()); // the map keeps ids sorted
  }

  @Override
  public void delete(String keyId) {
    KeyIds.requireValid(keyId);
    SoftwareCaKey removed = keys.remove(keyId);
    if (removed != null) {
      removed.destroy();
    }
  }

  @Override
  public String toString() {
    return "InMemoryKeyManager[keys=" + keys.size() + ", providers=" + providers.describe() + "]";
  }

  private static TrustbridgeException alreadyExists(String keyId) {
    return new TrustbridgeException(ErrorCode.ALREADY_EXISTS, "key '" + keyId + "' exists already");
  }
}
