package dev.trustbridge.federation.endpoint;

import java.util.function.Consumer;

/**
 * The server's own X509-SVID and private key for the {@code https_spiffe} profile. The server
 * application implements this over its SVID rotation, and notifies on every renewal so that the
 * renewed SVID is served to new connections without a restart.
 */
public interface ServerSvidSource {
  /** The SVID chain (leaf first) and key to serve now. */
  ServerCredential current();

  /** Registers a listener called with every renewed credential, on any thread. */
  Subscription onChange(Consumer<ServerCredential> listener);
}
