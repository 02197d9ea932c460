package dev.trustbridge.ca.config;

import dev.trustbridge.spiffe.id.SpiffeId;
import java.util.Set;

/**
 * The Istio CA API (key {@code authn.istio}).
 *
 * @param enabled whether {@code istio.v1.auth.IstioCertificateService} is served
 * @param nodeAccounts SPIFFE IDs that may ask for another identity of their own trust domain with
 *     {@code ImpersonatedIdentity} (ztunnel node agents)
 */
public record IstioConfig(boolean enabled, Set<SpiffeId> nodeAccounts) {
  public IstioConfig {
    nodeAccounts = Set.copyOf(nodeAccounts);
  }
}
