package dev.trustbridge.ca.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How callers authenticate (key {@code authn}). mTLS with an SVID of a hosted trust domain needs no
 * configuration.
 *
 * @param joinTokens join token lifetimes
 * @param jwtIssuers trusted JWT issuers; names and cluster ids unique
 * @param istio the Istio CA API
 */
public record AuthnConfig(
    JoinTokenConfig joinTokens, List<JwtIssuerConfig> jwtIssuers, IstioConfig istio) {
  public AuthnConfig {
    Objects.requireNonNull(joinTokens, "joinTokens");
    jwtIssuers = List.copyOf(jwtIssuers);
    Objects.requireNonNull(istio, "istio");
  }

  /** The JWT issuer selected by an Istio {@code clusterid} value. */
  public Optional<JwtIssuerConfig> jwtIssuerForCluster(String clusterId) {
    return jwtIssuers.stream().filter(i -> i.clusterId().equals(clusterId)).findFirst();
  }
}
