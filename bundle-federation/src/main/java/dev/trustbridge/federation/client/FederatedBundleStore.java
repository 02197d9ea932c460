package dev.trustbridge.federation.client;

import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.Optional;

/**
 * Where the {@link FederationClient} keeps the last good bundle of each federated trust domain
 * (SPIFFE Federation sections 4.2 and 6). The server application implements it on its datastore and
 * distributes stored bundles to validators; {@link InMemoryFederatedBundleStore} serves tests and
 * single-process use.
 *
 * <p>Bundles are kept per trust domain and never merged: {@link #store} replaces the whole bundle
 * of {@link SpiffeBundle#trustDomain()}, so revoked keys disappear. Implementations must be thread
 * safe; the client calls them from its polling threads, never from a Vert.x event loop.
 */
public interface FederatedBundleStore {
  /** The last stored bundle of {@code trustDomain}, or empty if none. */
  Optional<SpiffeBundle> load(TrustDomain trustDomain);

  /**
   * Replaces the bundle of {@code bundle.trustDomain()} atomically: readers see either the old or
   * the new bundle, never a mix. If this throws, the old bundle must still be in place.
   */
  void store(SpiffeBundle bundle);

  /** Deletes the bundle of {@code trustDomain} (relationship terminated, section 6.3). */
  void delete(TrustDomain trustDomain);
}
