package dev.trustbridge.ca.authority;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What an operator has said about one authority: tainted (replace it now, sign nothing more with
 * it) and revoked (drop it from the bundle now).
 */
public record AuthorityMark(
    String authorityId, Optional<Instant> taintedAt, Optional<Instant> revokedAt) {
  public AuthorityMark {
    Objects.requireNonNull(authorityId, "authorityId");
    Objects.requireNonNull(taintedAt, "taintedAt");
    Objects.requireNonNull(revokedAt, "revokedAt");
  }

  public boolean tainted() {
    return taintedAt.isPresent();
  }

  public boolean revoked() {
    return revokedAt.isPresent();
  }
}
