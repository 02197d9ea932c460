package dev.trustbridge.federation.endpoint;

import dev.trustbridge.spiffe.id.TrustDomain;
import java.time.Duration;
import java.util.Objects;

/**
 * Configuration of one bundle endpoint: the trust domain whose bundle it serves, where it listens,
 * how it authenticates, and how often an {@code https_web} certificate pair is checked for changes.
 *
 * @param trustDomain the trust domain served; a bundle of any other trust domain is refused
 * @param host the address to bind, e.g. {@code 0.0.0.0} or {@code 127.0.0.1}
 * @param port the TCP port, 0 for an ephemeral port (see {@link BundleEndpointServer#port()})
 * @param profile {@code https_web} or {@code https_spiffe}
 * @param fileCheckInterval how often {@code https_web} files are checked for changes
 */
public record BundleEndpointConfig(
    TrustDomain trustDomain,
    String host,
    int port,
    BundleEndpointProfile profile,
    Duration fileCheckInterval) {
  /** The default interval between checks of {@code https_web} certificate files. */
  public static final Duration DEFAULT_FILE_CHECK_INTERVAL = Duration.ofSeconds(5);

  public static final String PORT_OUT_OF_RANGE = "port must be between 0 and 65535";
  public static final String HOST_EMPTY = "host must not be empty";
  public static final String INTERVAL_TOO_SHORT = "fileCheckInterval must be at least 10 ms";

  public BundleEndpointConfig {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(profile, "profile");
    Objects.requireNonNull(fileCheckInterval, "fileCheckInterval");
    if (host.isBlank()) {
      throw new IllegalArgumentException(HOST_EMPTY);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(PORT_OUT_OF_RANGE);
    }
    if (fileCheckInterval.toMillis() < 10) {
      throw new IllegalArgumentException(INTERVAL_TOO_SHORT);
    }
  }

  /** A configuration with the default file check interval. */
  public BundleEndpointConfig(
      TrustDomain trustDomain, String host, int port, BundleEndpointProfile profile) {
    this(trustDomain, host, port, profile, DEFAULT_FILE_CHECK_INTERVAL);
  }
}
