package dev.trustbridge.ca.config;

import java.time.Duration;

/**
 * Lifetimes of one-time join tokens (key {@code authn.join_tokens}).
 *
 * @param defaultTtl the lifetime of a token created without one
 * @param maxTtl the longest lifetime a token may be created with; at least {@code defaultTtl}
 */
public record JoinTokenConfig(Duration defaultTtl, Duration maxTtl) {
  static final Duration DEFAULT_DEFAULT_TTL = Duration.ofMinutes(10);
  static final Duration DEFAULT_MAX_TTL = Duration.ofHours(24);

  public JoinTokenConfig {
    Durations.requirePositive(defaultTtl, "defaultTtl");
    Durations.requirePositive(maxTtl, "maxTtl");
    if (defaultTtl.compareTo(maxTtl) > 0) {
      throw new IllegalArgumentException("defaultTtl must not be longer than maxTtl");
    }
  }
}
