package dev.trustbridge.ca.policy;

import dev.trustbridge.spiffe.policy.Policy;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The stored per-identity policy: one document per version, the highest being current, older ones
 * kept as history. Versions start at 1 and each change adds one; "no policy stored" is version 0,
 * the empty policy.
 *
 * <p>Implementations are thread safe. Every method throws {@link
 * dev.trustbridge.spiffe.error.TrustbridgeException} with code {@code UNAVAILABLE} if the backing
 * store cannot be reached.
 */
public interface PolicyStore {
  /** The current policy, or empty if none was ever stored. */
  Optional<Policy> current();

  /** A stored version, or empty if there is no such version. */
  Optional<Policy> get(long version);

  /**
   * Stores {@code policy} as the next version (the current version plus one) in one transaction,
   * and returns it with that version; the version {@code policy} carries is ignored.
   *
   * @param expectedVersion if present, the change is refused unless the current version (0 when
   *     none is stored) is this one
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException {@code FAILED_PRECONDITION} if the
   *     current version is not the expected one
   */
  Policy append(Policy policy, OptionalLong expectedVersion, String changedBy, Instant changedAt);
}
