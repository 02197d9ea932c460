package dev.trustbridge.federation.client;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * When the next poll of a relationship happens (SPIFFE Federation sections 4.1 and 6.2): at the
 * peer's {@code spiffe_refresh_hint} clamped to [{@code min}, {@code max}], or at {@code
 * defaultInterval} (clamped too) when the bundle in use has no hint. After {@code n} consecutive
 * failures the interval is doubled {@code n - 1} times, capped at {@code max}: the first retry
 * comes at the next regular interval, never immediately. Finally the delay is spread by ±{@code
 * jitter} (a fraction) so that many clients do not poll in step.
 *
 * @param min the shortest interval, however small the hint
 * @param max the longest interval, and the cap of the backoff
 * @param defaultInterval the interval without a hint (the spec suggests about 5 minutes)
 * @param jitter the relative spread, from 0 to 0.5
 */
public record PollingPolicy(Duration min, Duration max, Duration defaultInterval, double jitter) {
  public static final String MIN_NOT_POSITIVE = "minimum polling interval must be positive";
  public static final String MAX_BELOW_MIN =
      "maximum polling interval must not be below the minimum";
  public static final String JITTER_RANGE = "jitter must be between 0 and 0.5";

  public PollingPolicy {
    Objects.requireNonNull(min, "min");
    Objects.requireNonNull(max, "max");
    Objects.requireNonNull(defaultInterval, "defaultInterval");
    if (min.isNegative() || min.isZero()) {
      throw TrustbridgeException.invalidArgument(MIN_NOT_POSITIVE);
    }
    if (max.compareTo(min) < 0) {
      throw TrustbridgeException.invalidArgument(MAX_BELOW_MIN);
    }
    if (!(jitter >= 0 && jitter <= 0.5)) {
      throw TrustbridgeException.invalidArgument(JITTER_RANGE);
    }
  }

  /** 30 seconds to 1 hour, 5 minutes without a hint, ±10%. */
  public static PollingPolicy defaults() {
    return new PollingPolicy(
        Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofMinutes(5), 0.10);
  }

  /** The regular interval: the hint (or the default) clamped to [min, max]. */
  public Duration interval(Optional<Duration> refreshHint) {
    Duration d = refreshHint.orElse(defaultInterval);
    if (d.compareTo(min) < 0) {
      return min;
    }
    return d.compareTo(max) > 0 ? max : d;
  }

  /** The interval before jitter after {@code consecutiveFailures} failed polls. */
  public Duration backoff(Optional<Duration> refreshHint, int consecutiveFailures) {
    Duration d = interval(refreshHint);
    for (int i = 1; i < consecutiveFailures && d.compareTo(max) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(max) > 0 ? max : d;
  }

  /**
   * The delay until the next poll.
   *
   * @param random a uniform sample from [0, 1): 0 gives {@code -jitter}, 0.5 none, near 1 {@code
   *     +jitter}
   */
  public Duration nextDelay(
      Optional<Duration> refreshHint, int consecutiveFailures, double random) {
    Duration base = backoff(refreshHint, consecutiveFailures);
    double factor = 1 + jitter * (2 * random - 1);
    return Duration.ofMillis(Math.round(base.toMillis() * factor));
  }
}
