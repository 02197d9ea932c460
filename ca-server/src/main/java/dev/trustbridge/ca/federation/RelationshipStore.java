package dev.trustbridge.ca.federation;

import dev.trustbridge.federation.client.FederatedBundleStore;
import dev.trustbridge.federation.client.FederationRelationship;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.List;
import java.util.Optional;

/**
 * Where federation relationships and the peers' last good bundles are kept, so that a restart
 * neither loses them nor has to fetch them again before serving.
 */
public interface RelationshipStore extends FederatedBundleStore {
  /**
   * Adds a relationship.
   *
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException ALREADY_EXISTS for a trust domain
   *     that has one
   */
  void create(FederationRelationship relationship);

  /**
   * Replaces a relationship.
   *
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException NOT_FOUND if there is none
   */
  void update(FederationRelationship relationship);

  /** Removes a relationship and its stored bundle; false if there was none. */
  boolean remove(TrustDomain trustDomain);

  Optional<FederationRelationship> get(TrustDomain trustDomain);

  /** All relationships, by trust domain. */
  List<FederationRelationship> list();

  /** The trust domains with a stored bundle (relationship or manual import). */
  List<TrustDomain> bundleTrustDomains();
}
