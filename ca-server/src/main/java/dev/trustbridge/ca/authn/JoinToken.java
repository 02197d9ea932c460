package dev.trustbridge.ca.authn;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A one-time join token as stored: only the SHA-256 of the secret is kept, so a copy of the
 * datastore does not let anyone join.
 *
 * <p>Times are kept at millisecond precision (the precision the datastore keeps).
 *
 * @param tokenHash lowercase hex SHA-256 of the secret (see {@link #hashSecret})
 * @param spiffeId the agent ID the token grants
 * @param expiresAt the first instant at which the token is no longer valid
 * @param createdAt when the token was created
 */
public record JoinToken(String tokenHash, SpiffeId spiffeId, Instant expiresAt, Instant createdAt) {
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  /** Checks the invariants. */
  public JoinToken {
    Objects.requireNonNull(tokenHash, "tokenHash");
    Objects.requireNonNull(spiffeId, "spiffeId");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(createdAt, "createdAt");
    if (!SHA256_HEX.matcher(tokenHash).matches()) {
      throw TrustbridgeException.invalidArgument("join token hash must be 64 lowercase hex digits");
    }
    expiresAt = expiresAt.truncatedTo(ChronoUnit.MILLIS);
    createdAt = createdAt.truncatedTo(ChronoUnit.MILLIS);
    if (!expiresAt.isAfter(createdAt)) {
      throw TrustbridgeException.invalidArgument("join token must expire after it is created");
    }
  }

  /** The value stored for a token secret: lowercase hex SHA-256 of its UTF-8 bytes. */
  public static String hashSecret(String secret) {
    Objects.requireNonNull(secret, "secret");
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha256.digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  /** True if the token can still be used at {@code now}. */
  public boolean isValidAt(Instant now) {
    return now.isBefore(expiresAt);
  }
}
