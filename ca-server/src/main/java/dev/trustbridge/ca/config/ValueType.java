package dev.trustbridge.ca.config;

import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.KeyType;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How one kind of scalar is read from its YAML text. {@code parse} throws {@link
 * IllegalArgumentException} with the message to show after the key's path; {@code description}
 * completes "must be ..." when the YAML value is not a string at all.
 */
record ValueType<T>(String description, Function<String, T> parser) {
  static final String DURATION_SHAPE = "a duration like 90s, 15m, 24h or 7d";

  private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})([smhd])");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  static final ValueType<String> STRING =
      new ValueType<>(
          "a string",
          text -> {
            if (text.isBlank()) {
              throw new IllegalArgumentException("must not be empty");
            }
            return text;
          });

  static final ValueType<Duration> DURATION_TYPE =
      new ValueType<>(DURATION_SHAPE, ValueType::duration);

  static final ValueType<HostPort> HOST_PORT =
      new ValueType<>("host:port, e.g. 127.0.0.1:8443", HostPort::parse);

  static final ValueType<TrustDomain> TRUST_DOMAIN =
      new ValueType<>(
          "a trust domain name",
          text -> {
            try {
              return TrustDomain.parse(text);
            } catch (InvalidSpiffeIdException e) {
              throw new IllegalArgumentException(
                  "is not a valid trust domain name: " + e.getMessage(), e);
            }
          });

  static final ValueType<SpiffeId> SPIFFE_ID =
      new ValueType<>(
          "a SPIFFE ID",
          text -> {
            try {
              return SpiffeId.parse(text);
            } catch (InvalidSpiffeIdException e) {
              throw new IllegalArgumentException("is not a valid SPIFFE ID: " + e.getMessage(), e);
            }
          });

  static final ValueType<KeyType> KEY_TYPE =
      new ValueType<>(
          "one of " + names(KeyType.values()),
          text -> {
            for (KeyType type : KeyType.values()) {
              if (configName(type).equals(text)) {
                return type;
              }
            }
            throw new IllegalArgumentException("must be one of " + names(KeyType.values()));
          });

  static final ValueType<JwsAlgorithm> JWS_ALGORITHM =
      new ValueType<>(
          "one of " + Arrays.toString(JwsAlgorithm.values()),
          text -> {
            for (JwsAlgorithm algorithm : JwsAlgorithm.values()) {
              if (algorithm.name().equals(text)) {
                return algorithm;
              }
            }
            throw new IllegalArgumentException(
                "must be one of "
                    + Arrays.stream(JwsAlgorithm.values())
                        .map(Enum::name)
                        .collect(Collectors.joining(", "))
                    + " (none and HS* are never accepted: a shared secret or no signature"
                    + " cannot prove who issued a token)");
          });

  static final ValueType<URI> HTTPS_URL =
      new ValueType<>(
          "an https URL",
          text -> {
            try {
              URI uri = new URI(text);
              if (!"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("must be an https:// URL with a host");
              }
              return uri;
            } catch (URISyntaxException e) {
              throw new IllegalArgumentException("must be an https:// URL with a host", e);
            }
          });

  static final ValueType<String> ENV_VAR =
      new ValueType<>(
          "an environment variable name",
          text -> {
            if (!ENV_NAME.matcher(text).matches()) {
              throw new IllegalArgumentException(
                  "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
            }
            return text;
          });

  static final ValueType<SpiffeIdTemplate> SPIFFE_ID_TEMPLATE =
      new ValueType<>("a SPIFFE ID path template", SpiffeIdTemplate::parse);

  /** Reads the text with the parser. */
  T parse(String text) {
    return parser.apply(text);
  }

  /** A file system path, resolved against {@code base} when relative. */
  static ValueType<Path> path(Path base) {
    return new ValueType<>(
        "a path",
        text -> {
          if (text.isEmpty()) {
            throw new IllegalArgumentException("must not be empty");
          }
          try {
            return base.resolve(Path.of(text)).normalize();
          } catch (InvalidPathException e) {
            throw new IllegalArgumentException("is not a valid path", e);
          }
        });
  }

  /** One of an enum's constants, written in lower case. */
  static <E extends Enum<E>> ValueType<E> oneOf(Class<E> type) {
    E[] constants = type.getEnumConstants();
    String expected = "one of " + names(constants);
    return new ValueType<>(
        expected,
        text -> {
          for (E constant : constants) {
            if (configName(constant).equals(text)) {
              return constant;
            }
          }
          throw new IllegalArgumentException("must be " + expected);
        });
  }

  /** How an enum constant is written in the configuration: {@code EC_P256} is {@code ec-p256}. */
  static String configName(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static String names(Enum<?>[] constants) {
    return Arrays.stream(constants).map(ValueType::configName).collect(Collectors.joining(", "));
  }

  private static Duration duration(String text) {
    Matcher m = DURATION.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("must be " + DURATION_SHAPE);
    }
    long amount = Long.parseLong(m.group(1));
    if (amount == 0) {
      throw new IllegalArgumentException("must be positive");
    }
    return switch (m.group(2)) {
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      default -> Duration.ofDays(amount);
    };
  }
}
