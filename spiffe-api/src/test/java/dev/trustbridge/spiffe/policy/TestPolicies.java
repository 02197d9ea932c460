package dev.trustbridge.spiffe.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.Set;
import org.junit.jupiter.api.function.Executable;

/** Trust domains, IDs and assertions shared by the policy tests. */
final class TestPolicies {
  /** Hosted here. */
  static final TrustDomain A = TrustDomain.parse("a.example");

  /** Also hosted here. */
  static final TrustDomain A2 = TrustDomain.parse("a2.example");

  /** Federated peers. */
  static final TrustDomain B = TrustDomain.parse("b.example");

  static final TrustDomain C = TrustDomain.parse("c.example");

  /** Neither hosted nor a known peer. */
  static final TrustDomain UNKNOWN = TrustDomain.parse("z.example");

  static final Set<TrustDomain> HOSTED = Set.of(A, A2);
  static final Set<TrustDomain> PEERS = Set.of(B, C);

  private TestPolicies() {}

  static SpiffeId id(String id) {
    return SpiffeId.parse(id);
  }

  static IdPattern pattern(String pattern) {
    return IdPattern.parse(pattern);
  }

  /** Asserts that {@code call} throws a PolicyException with exactly {@code message}. */
  static PolicyException assertRefused(String message, Executable call) {
    PolicyException e = assertThrows(PolicyException.class, call);
    assertEquals(message, e.getMessage());
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    return e;
  }
}
