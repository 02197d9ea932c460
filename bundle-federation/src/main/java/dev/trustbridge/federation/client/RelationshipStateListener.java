package dev.trustbridge.federation.client;

import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.id.TrustDomain;

/**
 * Notified by the {@link FederationClient} after every poll and on every bundle change, so that the
 * server application can persist state, show it to admins and push new bundles to validators.
 * Called on polling threads (never a Vert.x event loop); implementations must not block for long.
 */
public interface RelationshipStateListener {
  /** A listener that ignores everything. */
  RelationshipStateListener NONE = state -> {};

  /** The state after a poll (successful or not), or after a relationship was added. */
  void stateChanged(RelationshipState state);

  /** A new bundle was stored for its trust domain (also an effectively empty one: revocation). */
  default void bundleUpdated(SpiffeBundle bundle) {}

  /** The relationship was removed and its stored bundle deleted. */
  default void relationshipRemoved(TrustDomain trustDomain) {}
}
