package dev.trustbridge.ca.config;

import dev.trustbridge.spiffe.keys.KeyType;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Limits for the X509-SVIDs a trust domain issues (key {@code trust_domains[i].svid}).
 *
 * @param defaultTtl the lifetime given when a caller asks for none
 * @param maxTtl the longest lifetime given; at least {@code defaultTtl}
 * @param ttlOverMax what happens when a caller asks for more than {@code maxTtl}
 * @param allowedKeyTypes the key types a CSR may carry; not empty
 * @param verifyLeafSignatures whether each leaf's signature is verified before it leaves, although
 *     the key that made it signs in this process and was tested against its certificate
 */
public record SvidConfig(
    Duration defaultTtl,
    Duration maxTtl,
    TtlOverMax ttlOverMax,
    Set<KeyType> allowedKeyTypes,
    boolean verifyLeafSignatures) {
  static final Duration DEFAULT_DEFAULT_TTL = Duration.ofHours(1);
  static final Duration DEFAULT_MAX_TTL = Duration.ofHours(24);
  static final Set<KeyType> ALL_KEY_TYPES = Set.copyOf(EnumSet.allOf(KeyType.class));

  public SvidConfig {
    Durations.requirePositive(defaultTtl, "defaultTtl");
    Durations.requirePositive(maxTtl, "maxTtl");
    Objects.requireNonNull(ttlOverMax, "ttlOverMax");
    allowedKeyTypes = Set.copyOf(allowedKeyTypes);
    if (defaultTtl.compareTo(maxTtl) > 0) {
      throw new IllegalArgumentException("defaultTtl must not be longer than maxTtl");
    }
    if (allowedKeyTypes.isEmpty()) {
      throw new IllegalArgumentException("allowedKeyTypes must not be empty");
    }
  }

  /** What to do with a requested lifetime above {@code max_ttl}. */
  public enum TtlOverMax {
    /** Refuse the request with INVALID_ARGUMENT (as istiod does). */
    REJECT,
    /** Issue with {@code max_ttl} instead (as cert-manager's istio-csr does). */
    CLAMP
  }
}
