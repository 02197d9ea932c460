package dev.trustbridge.ca.authn;

import java.time.Instant;
import java.util.Optional;

/**
 * Where one-time join tokens are kept, by the hash of their secret.
 *
 * <p>Implementations are thread safe, and {@link #consume} is atomic across every process that
 * shares the store. Every method throws {@link dev.trustbridge.spiffe.error.TrustbridgeException}
 * with code {@code UNAVAILABLE} if the backing store cannot be reached.
 */
public interface JoinTokenStore {
  /**
   * Stores a new token.
   *
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException {@code ALREADY_EXISTS} if a token
   *     with the same hash exists
   */
  void create(JoinToken token);

  /**
   * Deletes and returns the token with this hash if it exists and has not expired at {@code now}
   * (it is valid while {@code now < expiresAt}). Of any number of concurrent callers for one token,
   * exactly one receives it. An expired token is left for {@link #deleteExpired}.
   */
  Optional<JoinToken> consume(String tokenHash, Instant now);

  /** Deletes every token expired at {@code now} and returns how many there were. */
  int deleteExpired(Instant now);
}
