package dev.trustbridge.ca.config;

import java.time.Duration;

/**
 * How peers are polled ({@code federation}): the peer's refresh hint clamped to [{@code
 * min_poll_interval}, {@code max_poll_interval}], {@code default_poll_interval} without a hint.
 */
public record FederationConfig(
    Duration minPollInterval, Duration maxPollInterval, Duration defaultPollInterval) {
  static final FederationConfig DEFAULTS =
      new FederationConfig(Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofMinutes(5));

  public FederationConfig {
    Durations.requirePositive(minPollInterval, "minPollInterval");
    Durations.requirePositive(maxPollInterval, "maxPollInterval");
    Durations.requirePositive(defaultPollInterval, "defaultPollInterval");
    if (minPollInterval.compareTo(maxPollInterval) > 0) {
      throw new IllegalArgumentException("minPollInterval must not exceed maxPollInterval");
    }
  }
}
