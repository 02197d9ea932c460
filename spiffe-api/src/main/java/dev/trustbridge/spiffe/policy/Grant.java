package dev.trustbridge.spiffe.policy;

import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Local identities matching {@code local} receive the trust bundles of the {@code peers} trust
 * domains (SPIRE's {@code federates_with}, settable by prefix so that a namespace is granted at
 * once). A grant says nothing about who may call whom; that is {@link Exposure} and {@link
 * AllowRule}.
 *
 * @param local the local identities, in a hosted trust domain (checked by {@link Policy#validate})
 * @param peers at least one peer trust domain; held sorted and unmodifiable
 */
public record Grant(IdPattern local, Set<TrustDomain> peers) {
  /**
   * @throws PolicyException if {@code peers} is empty
   */
  public Grant {
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(peers, "peers");
    peers.forEach(p -> Objects.requireNonNull(p, "peer"));
    if (peers.isEmpty()) {
      throw PolicyException.of(PolicyException.GRANT_NO_PEERS);
    }
    peers = Collections.unmodifiableSortedSet(new TreeSet<>(peers));
  }

  /** A grant of the given peer trust domains. */
  public static Grant of(IdPattern local, TrustDomain... peers) {
    return new Grant(local, Set.of(peers));
  }
}
