package dev.trustbridge.spiffe.policy;

import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.Comparator;
import java.util.Objects;

/**
 * Which SPIFFE IDs a policy entry applies to: one {@link Exact} ID, or every ID under a {@link
 * Prefix} on path-segment boundaries.
 *
 * <p>Written form ({@link #parse}, {@link #toString}): an exact pattern is a SPIFFE ID ({@code
 * spiffe://a.example/ns/pay/sa/api}); a prefix pattern is a SPIFFE ID followed by {@code /*}
 * ({@code spiffe://a.example/ns/pay/*}, or {@code spiffe://a.example/*} for a whole trust domain).
 * A prefix matches its root ID itself and every ID below it: {@code spiffe://a.example/ns/pay/*}
 * matches {@code .../ns/pay} and {@code .../ns/pay/sa/api} but never {@code .../ns/payments}. A
 * {@code *} anywhere else ({@code spiffe://a.example/ns/pay*}) is refused, as is an exact trust
 * domain ID, which no workload SVID carries.
 */
public sealed interface IdPattern permits IdPattern.Exact, IdPattern.Prefix {

  /**
   * Orders patterns that match the same ID from most to least specific: exact before prefix, then
   * longer prefixes (which, matching the same ID, are nested) before shorter ones.
   */
  Comparator<IdPattern> MOST_SPECIFIC_FIRST =
      Comparator.comparing((IdPattern p) -> p instanceof Prefix)
          .thenComparing(p -> -p.id().path().length());

  /**
   * Parses the written form.
   *
   * @throws PolicyException naming the broken rule
   */
  static IdPattern parse(String pattern) {
    Objects.requireNonNull(pattern, "pattern");
    boolean prefix = pattern.endsWith("/*");
    String id = prefix ? pattern.substring(0, pattern.length() - 2) : pattern;
    if (id.indexOf('*') >= 0) {
      throw PolicyException.of(PolicyException.PATTERN_WILDCARD_PLACEMENT);
    }
    SpiffeId parsed;
    try {
      parsed = SpiffeId.parse(id);
    } catch (InvalidSpiffeIdException e) {
      throw PolicyException.of(PolicyException.PATTERN_NOT_SPIFFE_ID, e.getMessage());
    }
    return prefix ? new Prefix(parsed) : new Exact(parsed);
  }

  /** The exact ID, or the root of the prefix. */
  SpiffeId id();

  /** True if this pattern matches {@code candidate}. */
  boolean matches(SpiffeId candidate);

  /** The trust domain of every ID this pattern matches. */
  default TrustDomain trustDomain() {
    return id().trustDomain();
  }

  /** Exactly one SPIFFE ID, which is not a trust domain ID. */
  record Exact(SpiffeId id) implements IdPattern {
    /**
     * @throws PolicyException if {@code id} is a trust domain ID
     */
    public Exact {
      Objects.requireNonNull(id, "id");
      if (id.isTrustDomainId()) {
        throw PolicyException.of(PolicyException.PATTERN_EXACT_TRUST_DOMAIN_ID);
      }
    }

    @Override
    public boolean matches(SpiffeId candidate) {
      return id.equals(candidate);
    }

    @Override
    public String toString() {
      return id.toString();
    }
  }

  /**
   * The root ID and every ID below it on path-segment boundaries; a trust domain ID as root covers
   * the whole trust domain.
   */
  record Prefix(SpiffeId id) implements IdPattern {
    public Prefix {
      Objects.requireNonNull(id, "id");
    }

    @Override
    public boolean matches(SpiffeId candidate) {
      return candidate.hasPrefix(id);
    }

    /** True if this prefix covers a whole trust domain. */
    public boolean isTrustDomainWide() {
      return id.isTrustDomainId();
    }

    @Override
    public String toString() {
      return id + "/*";
    }
  }
}
