package dev.trustbridge.spiffe.keys;

import java.util.List;
import java.util.Optional;

/**
 * Creates and holds CA signing keys. Implementations keep private material where it cannot be
 * copied from (memory of this process, an encrypted file, an HSM, Vault) and hand out {@link
 * CaKey}s that sign but never reveal it. All implementations pass one shared contract test.
 *
 * <p>Key ids follow {@link KeyIds}: 1 to 128 characters from {@code [A-Za-z0-9._-]}, not starting
 * with a dot. Every method refuses other ids with {@code INVALID_ARGUMENT}.
 *
 * <p>Implementations are thread safe. Neither they nor their keys reveal private key material in
 * any method, {@code toString()} or exception message.
 */
public interface KeyManager {
  /**
   * Creates a new key under {@code keyId}.
   *
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException with code {@code ALREADY_EXISTS} if a
   *     key with that id exists, or {@code UNAVAILABLE} if the backend cannot be reached
   */
  CaKey generate(String keyId, KeyType type);

  /** The key with this id, or empty if there is none. */
  Optional<CaKey> find(String keyId);

  /** The ids of all keys held, sorted. */
  List<String> keyIds();

  /**
   * Destroys the key with this id. Does nothing if there is none. A {@link CaKey} handed out
   * earlier for this id refuses to sign afterwards.
   *
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException with code {@code UNAVAILABLE} if the
   *     backend cannot be reached
   */
  void delete(String keyId);
}
