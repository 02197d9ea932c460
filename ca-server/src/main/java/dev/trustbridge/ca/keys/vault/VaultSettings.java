package dev.trustbridge.ca.keys.vault;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where Vault is and how to reach it: its address, the CA file that its TLS certificate chains to,
 * how to log in, and the timeouts of one request.
 *
 * <p>The address must be {@code https} unless {@code allowPlainHttp} is set, which only tests (and
 * Vault's dev mode) need: over plain HTTP the Vault token travels in clear. Without a CA file the
 * JDK's default trust store is used.
 *
 * @param address Vault's base address, e.g. {@code https://vault.example.org:8200}, without a path
 * @param caFile PEM file with the certificate(s) that Vault's TLS certificate chains to
 * @param allowPlainHttp accept an {@code http} address (tests and Vault dev mode only)
 * @param auth how to log in
 * @param connectTimeout the time to set up a connection
 * @param requestTimeout the time for one request, from sending to the whole answer
 */
public record VaultSettings(
    URI address,
    Optional<Path> caFile,
    boolean allowPlainHttp,
    VaultAuth auth,
    Duration connectTimeout,
    Duration requestTimeout) {

  /** Default connection timeout. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** Default request timeout. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

  public VaultSettings {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(caFile, "caFile");
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    String scheme = address.getScheme();
    if (scheme == null || address.getHost() == null) {
      throw new IllegalArgumentException("Vault address '" + address + "' has no scheme or host");
    }
    if (scheme.equals("http")) {
      if (!allowPlainHttp) {
        throw new IllegalArgumentException(
            "Vault address '"
                + address
                + "' is plain http: the Vault token would travel in clear; use https");
      }
      if (caFile.isPresent()) {
        throw new IllegalArgumentException("a Vault CA file needs an https address");
      }
    } else if (!scheme.equals("https")) {
      throw new IllegalArgumentException("Vault address '" + address + "' is not https");
    }
    if ((address.getRawPath() != null
            && !address.getRawPath().isEmpty()
            && !address.getRawPath().equals("/"))
        || address.getRawQuery() != null
        || address.getRawFragment() != null
        || address.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          "Vault address '" + address + "' must be scheme://host[:port] only");
    }
    if (connectTimeout.isNegative() || connectTimeout.isZero()) {
      throw new IllegalArgumentException("connectTimeout must be positive");
    }
    if (requestTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("requestTimeout must be at least 1 second");
    }
  }

  /** HTTPS to {@code address}, trusting the certificates in {@code caFile}, default timeouts. */
  public static VaultSettings https(URI address, Path caFile, VaultAuth auth) {
    return new VaultSettings(
        address,
        Optional.of(caFile),
        false,
        auth,
        DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_REQUEST_TIMEOUT);
  }

  /** HTTPS to {@code address}, trusting the JDK's default trust store, default timeouts. */
  public static VaultSettings httpsWithSystemTrust(URI address, VaultAuth auth) {
    return new VaultSettings(
        address, Optional.empty(), false, auth, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT);
  }

  /** Plain HTTP: for tests and Vault's dev mode only. */
  public static VaultSettings plainHttpForTests(URI address, VaultAuth auth) {
    return new VaultSettings(
        address, Optional.empty(), true, auth, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT);
  }

  /** These settings with other timeouts. */
  public VaultSettings withTimeouts(Duration connect, Duration request) {
    return new VaultSettings(address, caFile, allowPlainHttp, auth, connect, request);
  }

  /** The address as the driver wants it: no trailing slash. */
  String baseAddress() {
    String text = address.toString();
    return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
  }
}
