package dev.trustbridge.ca.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import dev.trustbridge.ca.config.LogConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the configured log level and format. The default format (logback.xml) is key=value;
 * {@code json} switches the console appender to one JSON object per line.
 */
public final class Logging {
  private Logging() {}

  public static void configure(LogConfig config) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(config.level().name(), Level.INFO));
    if (config.format() == LogConfig.Format.JSON
        && root.getAppender("console") instanceof ConsoleAppender<ILoggingEvent> console) {
      console.stop();
      JsonEncoder encoder = new JsonEncoder();
      encoder.setContext(context);
      encoder.start();
      console.setEncoder(encoder);
      console.start();
    }
  }
}
