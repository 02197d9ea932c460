package dev.trustbridge.spiffe.policy;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Random IDs, patterns and policies over a deliberately small universe (three trust domains, a few
 * segment names, short paths), with IDs drawn mostly from around the policy's own patterns, so that
 * every outcome of {@link Policy#decide} is reached often.
 */
final class PolicyGenerators {
  static final List<TrustDomain> TRUST_DOMAINS =
      List.of(TestPolicies.A, TestPolicies.B, TestPolicies.C);
  static final List<String> SEGMENTS = List.of("ns", "pay", "payments", "sa", "api", "web");

  /** A policy and two IDs to ask it about. */
  record Scenario(Policy policy, SpiffeId local, SpiffeId peer) {}

  private PolicyGenerators() {}

  static Arbitrary<TrustDomain> trustDomains() {
    return Arbitraries.of(TRUST_DOMAINS);
  }

  private static Arbitrary<String[]> segments(int min, int max) {
    return Arbitraries.of(SEGMENTS)
        .list()
        .ofMinSize(min)
        .ofMaxSize(max)
        .map(l -> l.toArray(String[]::new));
  }

  /** Workload-like IDs: one to four segments. */
  static Arbitrary<SpiffeId> ids() {
    return Combinators.combine(trustDomains(), segments(1, 4)).as(SpiffeId::fromSegments);
  }

  /** Exact patterns of one to three segments, prefixes of zero (whole trust domain) to two. */
  static Arbitrary<IdPattern> patterns() {
    Arbitrary<IdPattern> exact =
        Combinators.combine(trustDomains(), segments(1, 3))
            .as((td, path) -> new IdPattern.Exact(SpiffeId.fromSegments(td, path)));
    Arbitrary<IdPattern> prefix =
        Combinators.combine(trustDomains(), segments(0, 2))
            .as((td, path) -> new IdPattern.Prefix(SpiffeId.fromSegments(td, path)));
    return Arbitraries.oneOf(exact, prefix);
  }

  static Arbitrary<Grant> grants() {
    return Combinators.combine(patterns(), trustDomains().set().ofMinSize(1).ofMaxSize(3))
        .as(Grant::new);
  }

  static Arbitrary<Exposure> exposures() {
    return Combinators.combine(trustDomains(), patterns()).as(Exposure::new);
  }

  /**
   * Policies that are not necessarily valid against any trust domain lists: evaluation must be
   * identical for any policy value, valid or not.
   */
  static Arbitrary<Policy> policies() {
    Arbitrary<List<IdPattern[]>> rulePatterns =
        Combinators.combine(patterns(), patterns())
            .as((peer, local) -> new IdPattern[] {peer, local})
            .list()
            .ofMaxSize(8);
    Arbitrary<List<String>> names =
        Arbitraries.strings().withChars("abz.-_").ofMinLength(1).ofMaxLength(3).list().ofSize(8);
    // Per rule: whether to also expose the rule's local pattern to the rule's peer trust domain,
    // so that rules are in effect often enough to exercise allows and precedence.
    Arbitrary<List<Boolean>> exposeRule = Arbitraries.of(true, false).list().ofSize(8);
    return Combinators.combine(
            Arbitraries.longs().between(0, Long.MAX_VALUE),
            grants().list().ofMaxSize(4),
            exposures().list().ofMaxSize(4),
            rulePatterns,
            names,
            exposeRule)
        .as(
            (version, grants, randomExposures, patterns, nameList, expose) -> {
              List<AllowRule> rules = new ArrayList<>();
              List<Exposure> exposures = new ArrayList<>(randomExposures);
              Set<String> used = new HashSet<>();
              for (int i = 0; i < patterns.size(); i++) {
                String name = nameList.get(i);
                while (!used.add(name)) {
                  name = name + i;
                }
                IdPattern peer = patterns.get(i)[0];
                IdPattern local = patterns.get(i)[1];
                rules.add(new AllowRule(name, peer, local));
                if (expose.get(i)) {
                  exposures.add(new Exposure(peer.trustDomain(), local));
                }
              }
              return new Policy(version, grants, exposures, rules);
            });
  }

  /**
   * Workload IDs that are, most of the time, a pattern root of {@code policy} extended by zero to
   * two segments, so that they hit the policy's entries, exactly or just beside them.
   */
  static Arbitrary<SpiffeId> idsNear(Policy policy) {
    List<IdPattern> patterns = new ArrayList<>();
    policy.grants().forEach(g -> patterns.add(g.local()));
    policy.exposures().forEach(e -> patterns.add(e.local()));
    policy.allowRules().forEach(r -> patterns.add(r.local()));
    policy.allowRules().forEach(r -> patterns.add(r.peer()));
    if (patterns.isEmpty()) {
      return ids();
    }
    Arbitrary<SpiffeId> near =
        Arbitraries.of(patterns).flatMap(p -> under(new IdPattern.Prefix(p.id())));
    return Arbitraries.frequencyOf(Tuple.of(4, near), Tuple.of(1, ids()));
  }

  /** Workload IDs matched by {@code pattern}. */
  static Arbitrary<SpiffeId> under(IdPattern pattern) {
    if (pattern instanceof IdPattern.Exact) {
      return Arbitraries.just(pattern.id());
    }
    SpiffeId root = pattern.id();
    return segments(root.isTrustDomainId() ? 1 : 0, 2)
        .map(
            more ->
                SpiffeId.of(
                    root.trustDomain(),
                    root.path() + (more.length == 0 ? "" : "/" + String.join("/", more))));
  }

  /** A policy, and IDs either drawn independently near it or both under one of its rules. */
  static Arbitrary<Scenario> scenarios() {
    return policies()
        .flatMap(
            p -> {
              Arbitrary<Scenario> independent =
                  Combinators.combine(idsNear(p), idsNear(p))
                      .as((local, peer) -> new Scenario(p, local, peer));
              if (p.allowRules().isEmpty()) {
                return independent;
              }
              Arbitrary<Scenario> underOneRule =
                  Arbitraries.of(p.allowRules())
                      .flatMap(
                          r ->
                              Combinators.combine(under(r.local()), under(r.peer()))
                                  .as((local, peer) -> new Scenario(p, local, peer)));
              return Arbitraries.frequencyOf(Tuple.of(1, independent), Tuple.of(1, underOneRule));
            });
  }
}
