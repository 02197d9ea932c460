package dev.trustbridge.ca.authn;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;

/**
 * One-time join tokens: 256 random bits shown once to the admin who creates them, stored only as a
 * SHA-256 hash, redeemable once before they expire. Lookup by hash means the comparison of the
 * secret happens inside the datastore's index on a value an attacker cannot choose, so no timing
 * leak reveals a prefix of a valid token.
 */
public final class JoinTokens {
  /** The one message for unknown, used and expired tokens alike. */
  public static final String INVALID = "join token is invalid, expired or already used";

  private static final int TOKEN_BYTES = 32;

  private final JoinTokenStore store;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  public JoinTokens(JoinTokenStore store, Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** A freshly created token: the secret (shown once) and when it expires. */
  public record Created(String token, Instant expiresAt) {}

  /** Creates a token that grants {@code spiffeId} once within {@code ttl}. */
  public Created create(SpiffeId spiffeId, Duration ttl) {
    Objects.requireNonNull(spiffeId, "spiffeId");
    if (ttl.isNegative() || ttl.isZero()) {
      throw TrustbridgeException.invalidArgument("join token TTL must be positive");
    }
    byte[] secret = new byte[TOKEN_BYTES];
    random.nextBytes(secret);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    Instant now = clock.instant();
    Instant expiresAt = now.plus(ttl);
    store.create(new JoinToken(JoinToken.hashSecret(token), spiffeId, expiresAt, now));
    return new Created(token, expiresAt);
  }

  /**
   * Redeems a token: exactly one caller of many concurrent ones gets the agent identity.
   *
   * @throws TrustbridgeException UNAUTHENTICATED if the token is unknown, used or expired
   */
  public Caller.JoinTokenAgent redeem(String token) {
    Objects.requireNonNull(token, "token");
    return store
        .consume(JoinToken.hashSecret(token), clock.instant())
        .map(t -> new Caller.JoinTokenAgent(t.spiffeId()))
        .orElseThrow(() -> new TrustbridgeException(ErrorCode.UNAUTHENTICATED, INVALID));
  }
}
