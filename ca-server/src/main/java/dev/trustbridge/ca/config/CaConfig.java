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
    KeyType keyType,
    Duration rootTtl,
    Duration intermediateTtl,
    String organization,
    int prepareAtPercent,
    int activateAtPercent) {
  static final KeyType DEFAULT_KEY_TYPE = KeyType.EC_P256;
  static final Duration DEFAULT_ROOT_TTL = Duration.ofDays(365);
  static final Duration DEFAULT_INTERMEDIATE_TTL = Duration.ofDays(30);
  static final String DEFAULT_ORGANIZATION = "Trustbridge";
  static final int DEFAULT_PREPARE_AT = 50;
  static final int DEFAULT_ACTIVATE_AT = 83;

  /** With the default rotation points (prepare at 50%, activate at 83% of a CA's lifetime). */
  public CaConfig(
      KeyType keyType, Duration rootTtl, Duration intermediateTtl, String organization) {
    this(keyType, rootTtl, intermediateTtl, organization, DEFAULT_PREPARE_AT, DEFAULT_ACTIVATE_AT);
  }

  /** How long a CA of {@code ttl} is active: from activation to expiry. */
  public Duration afterActivation(Duration ttl) {
    return ttl.multipliedBy(100 - activateAtPercent).dividedBy(100);
  }

  public CaConfig {
    Objects.requireNonNull(keyType, "keyType");
    Durations.requirePositive(rootTtl, "rootTtl");
    Durations.requirePositive(intermediateTtl, "intermediateTtl");
    Objects.requireNonNull(organization, "organization");
    if (prepareAtPercent < 1 || activateAtPercent > 99 || prepareAtPercent >= activateAtPercent) {
      throw new IllegalArgumentException("rotation points must be 1 <= prepare < activate <= 99");
    }
    if (intermediateTtl.compareTo(afterActivation(rootTtl)) > 0) {
      throw new IllegalArgumentException(
          "intermediateTtl must fit between a root's activation and its expiry");
    }
  }
}
