package dev.trustbridge.ca.config;

import java.util.Objects;

/**
 * The gRPC listener (key {@code server.grpc}).
 *
 * @param listen where to listen
 * @param maxCsrBytes the largest CSR accepted, in bytes
 */
public record GrpcConfig(HostPort listen, int maxCsrBytes) {
  static final HostPort DEFAULT_LISTEN = new HostPort("127.0.0.1", 8443);
  static final int DEFAULT_MAX_CSR_BYTES = 65536;

  /** gRPC's default maximum inbound message size; a CSR must fit in one message. */
  static final int MAX_CSR_BYTES_LIMIT = 4 * 1024 * 1024;

  public GrpcConfig {
    Objects.requireNonNull(listen, "listen");
    if (maxCsrBytes < 1 || maxCsrBytes > MAX_CSR_BYTES_LIMIT) {
      throw new IllegalArgumentException("maxCsrBytes out of range: " + maxCsrBytes);
    }
  }
}
