package dev.trustbridge.ca.config;

import java.util.Objects;
import java.util.Optional;

/**
 * The Prometheus metrics listener (key {@code server.metrics}).
 *
 * @param listen where to serve {@code /metrics}; empty when metrics are off
 */
public record MetricsConfig(Optional<HostPort> listen) {
  static final HostPort DEFAULT_LISTEN = new HostPort("127.0.0.1", 9464);

  public MetricsConfig {
    Objects.requireNonNull(listen, "listen");
  }

  /** True unless {@code listen: off}. */
  public boolean enabled() {
    return listen.isPresent();
  }
}
