package dev.trustbridge.spiffe.policy;

import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.Objects;

/**
 * Local identities matching {@code local} are exposed to the {@code peer} trust domain: identities
 * of that peer may call them if an {@link AllowRule} also allows it. A local identity that is not
 * exposed to a peer cannot be called by it, whatever the allow rules say.
 *
 * @param peer a federated peer trust domain (checked by {@link Policy#validate})
 * @param local the exposed local identities, in a hosted trust domain
 */
public record Exposure(TrustDomain peer, IdPattern local) {
  public Exposure {
    Objects.requireNonNull(peer, "peer");
    Objects.requireNonNull(local, "local");
  }
}
