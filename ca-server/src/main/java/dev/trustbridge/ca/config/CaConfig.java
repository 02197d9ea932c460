package dev.trustbridge.ca.config;

import dev.trustbridge.spiffe.keys.KeyType;
import java.time.Duration;
import java.util.Objects;

/**
 * A trust domain's self-managed CAs (key {@code trust_domains[i].ca}).
 *
 * @param keyType the key type of root and intermediate keys
 * @param rootTtl the lifetime of a root certificate
 * @param intermediateTtl the lifetime of an intermediate certificate; shorter than {@code rootTtl}
 * @param organization the subject O of CA certificates
 */
public record CaConfig(
    KeyType keyType, Duration rootTtl, Duration intermediateTtl, String organization) {
  static final KeyType DEFAULT_KEY_TYPE = KeyType.EC_P256;
  static final Duration DEFAULT_ROOT_TTL = Duration.ofDays(365);
  static final Duration DEFAULT_INTERMEDIATE_TTL = Duration.ofDays(30);
  static final String DEFAULT_ORGANIZATION = "Trustbridge";

  public CaConfig {
    Objects.requireNonNull(keyType, "keyType");
    Durations.requirePositive(rootTtl, "rootTtl");
    Durations.requirePositive(intermediateTtl, "intermediateTtl");
    Objects.requireNonNull(organization, "organization");
    if (intermediateTtl.compareTo(rootTtl) >= 0) {
      throw new IllegalArgumentException("intermediateTtl must be shorter than rootTtl");
    }
  }
}
