package dev.trustbridge.ca.config;

import java.time.Duration;
import java.util.Objects;

/** Checks shared by the records' constructors. */
final class Durations {
  private Durations() {}

  static void requirePositive(Duration duration, String name) {
    Objects.requireNonNull(duration, name);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(name + " must be positive");
    }
  }

  /** {@code 86400s} as {@code 1d}, {@code 5400s} as {@code 90m}: the largest whole unit. */
  static String format(Duration duration) {
    long seconds = duration.getSeconds();
    if (seconds % 86400 == 0) {
      return seconds / 86400 + "d";
    }
    if (seconds % 3600 == 0) {
      return seconds / 3600 + "h";
    }
    if (seconds % 60 == 0) {
      return seconds / 60 + "m";
    }
    return seconds + "s";
  }
}
