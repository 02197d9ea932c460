package dev.trustbridge.spiffe.policy;

import java.util.Objects;
import java.util.Optional;

/**
 * The answer of {@link Policy#decide}: allow or deny, the allow rule that allowed the call (only
 * for an allow by rule), and a reason that is one of the constants below.
 *
 * @param verdict allow or deny
 * @param matched the most specific allow rule that allowed the call; empty for every other outcome
 * @param reason one of {@link #SAME_TRUST_DOMAIN}, {@link #ALLOWED_BY_RULE}, {@link #NOT_EXPOSED},
 *     {@link #NO_RULE}
 */
public record Decision(Verdict verdict, Optional<AllowRule> matched, String reason) {
  /** Both identities are in the same trust domain, which this policy does not govern. */
  public static final String SAME_TRUST_DOMAIN = "same trust domain";

  /** An allow rule matched; {@link #matched} holds the most specific one. */
  public static final String ALLOWED_BY_RULE = "allowed by rule";

  /** The local identity is not exposed to the peer's trust domain. */
  public static final String NOT_EXPOSED = "local identity is not exposed to the peer trust domain";

  /** The local identity is exposed, but no allow rule matches (deny by default). */
  public static final String NO_RULE = "no allow rule matches";

  /** Allow or deny. */
  public enum Verdict {
    ALLOW,
    DENY
  }

  /**
   * @throws IllegalArgumentException if the parts do not fit together (a rule on a deny, a rule
   *     without {@link #ALLOWED_BY_RULE}, or an unknown reason)
   */
  public Decision {
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(matched, "matched");
    Objects.requireNonNull(reason, "reason");
    boolean consistent =
        switch (reason) {
          case SAME_TRUST_DOMAIN -> verdict == Verdict.ALLOW && matched.isEmpty();
          case ALLOWED_BY_RULE -> verdict == Verdict.ALLOW && matched.isPresent();
          case NOT_EXPOSED, NO_RULE -> verdict == Verdict.DENY && matched.isEmpty();
          default -> false;
        };
    if (!consistent) {
      throw new IllegalArgumentException("inconsistent decision: " + verdict + ", " + reason);
    }
  }

  static Decision sameTrustDomain() {
    return new Decision(Verdict.ALLOW, Optional.empty(), SAME_TRUST_DOMAIN);
  }

  static Decision allowedBy(AllowRule rule) {
    return new Decision(Verdict.ALLOW, Optional.of(rule), ALLOWED_BY_RULE);
  }

  static Decision deny(String reason) {
    return new Decision(Verdict.DENY, Optional.empty(), reason);
  }

  /** True for {@link Verdict#ALLOW}. */
  public boolean isAllowed() {
    return verdict == Verdict.ALLOW;
  }
}
