package dev.trustbridge.ca.config;

import java.util.Objects;

/**
 * Logging (key {@code server.log}).
 *
 * @param format how each line is written
 * @param level the least severe level written
 */
public record LogConfig(Format format, Level level) {
  public LogConfig {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(level, "level");
  }

  /** Line format: {@code key=value} pairs, or one JSON object per line. */
  public enum Format {
    KEYVALUE,
    JSON
  }

  /** Log levels, least severe first. */
  public enum Level {
    TRACE,
    DEBUG,
    INFO,
    WARN,
    ERROR
  }
}
