package dev.trustbridge.ca.config;

import dev.trustbridge.spiffe.id.TrustDomain;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One trust domain this server is the CA of (an element of {@code trust_domains}).
 *
 * @param name the trust domain
 * @param ca its CAs
 * @param upstream where its trust comes from; empty for self-signed roots
 * @param svid limits for the SVIDs it issues; {@code svid.maxTtl} is below half of {@code
 *     ca.intermediateTtl}, so that an intermediate outlives every leaf it signs across its rotation
 *     window
 */
public record TrustDomainConfig(
    TrustDomain name,
    CaConfig ca,
    SvidConfig svid,
    Duration bundleRefreshHint,
    Optional<BundleEndpointSettings> bundleEndpoint,
    Optional<UpstreamConfig> upstream) {
  static final Duration DEFAULT_REFRESH_HINT = Duration.ofMinutes(5);

  /** Self-signed (no upstream). */
  public TrustDomainConfig(
      TrustDomain name,
      CaConfig ca,
      SvidConfig svid,
      Duration bundleRefreshHint,
      Optional<BundleEndpointSettings> bundleEndpoint) {
    this(name, ca, svid, bundleRefreshHint, bundleEndpoint, Optional.empty());
  }

  /** Without a bundle endpoint and with the default refresh hint (5 minutes). */
  public TrustDomainConfig(TrustDomain name, CaConfig ca, SvidConfig svid) {
    this(name, ca, svid, DEFAULT_REFRESH_HINT, Optional.empty(), Optional.empty());
  }

  public TrustDomainConfig {
    Durations.requirePositive(bundleRefreshHint, "bundleRefreshHint");
    Objects.requireNonNull(bundleEndpoint, "bundleEndpoint");
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(ca, "ca");
    Objects.requireNonNull(svid, "svid");
    if (!leavesFitIntermediate(ca, svid)) {
      throw new IllegalArgumentException(
          "svid.maxTtl must fit between an intermediate's activation and its expiry");
    }
  }

  static boolean leavesFitIntermediate(CaConfig ca, SvidConfig svid) {
    return svid.maxTtl().compareTo(ca.afterActivation(ca.intermediateTtl())) <= 0;
  }
}
