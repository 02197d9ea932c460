package dev.trustbridge.federation.client;

import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.time.Duration;
import java.util.Objects;

/**
 * Limits and timing of the {@link FederationClient}.
 *
 * @param polling when to poll
 * @param connectTimeout the longest wait for a TCP connection
 * @param readTimeout the longest wait, after connecting, for the whole response (TLS handshake,
 *     headers and body), so a peer trickling bytes cannot hold a poll open
 * @param maxBundleBytes the largest response body read; the transfer is aborted beyond it
 * @param maxRedirects the most redirects followed in one poll (0 disables redirects)
 */
public record FederationClientConfig(
    PollingPolicy polling,
    Duration connectTimeout,
    Duration readTimeout,
    int maxBundleBytes,
    int maxRedirects) {
  public static final String TIMEOUT_NOT_POSITIVE = "timeouts must be positive";
  public static final String MAX_BYTES_RANGE =
      "maxBundleBytes must be between 1 and " + SpiffeBundleCodec.MAX_DOCUMENT_BYTES;
  public static final String MAX_REDIRECTS_RANGE = "maxRedirects must be between 0 and 10";

  public FederationClientConfig {
    Objects.requireNonNull(polling, "polling");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(readTimeout, "readTimeout");
    if (connectTimeout.isNegative()
        || connectTimeout.isZero()
        || readTimeout.isNegative()
        || readTimeout.isZero()) {
      throw TrustbridgeException.invalidArgument(TIMEOUT_NOT_POSITIVE);
    }
    if (maxBundleBytes < 1 || maxBundleBytes > SpiffeBundleCodec.MAX_DOCUMENT_BYTES) {
      throw TrustbridgeException.invalidArgument(MAX_BYTES_RANGE);
    }
    if (maxRedirects < 0 || maxRedirects > 10) {
      throw TrustbridgeException.invalidArgument(MAX_REDIRECTS_RANGE);
    }
  }

  /** Default polling, 10 s to connect, 30 s to read, 1 MiB, 3 redirects. */
  public static FederationClientConfig defaults() {
    return new FederationClientConfig(
        PollingPolicy.defaults(),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        SpiffeBundleCodec.MAX_DOCUMENT_BYTES,
        3);
  }
}
