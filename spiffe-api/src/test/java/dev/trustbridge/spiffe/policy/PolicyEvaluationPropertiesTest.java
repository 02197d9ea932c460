package dev.trustbridge.spiffe.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.id.SpiffeId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * "Evaluation is identical on server and agent": for random policies and random IDs, the full
 * policy, the compiled subset for the local identity, and that subset after a JSON round trip
 * decide alike; and the decision agrees with a direct reading of the rules.
 */
class PolicyEvaluationPropertiesTest {

  @Provide
  Arbitrary<Policy> policies() {
    return PolicyGenerators.policies();
  }

  @Provide
  Arbitrary<SpiffeId> ids() {
    return PolicyGenerators.ids();
  }

  @Provide
  Arbitrary<PolicyGenerators.Scenario> scenarios() {
    return PolicyGenerators.scenarios();
  }

  @Property(tries = 2000)
  void decide_onServer_equalsDecideOnCompiledAndOnDistributedPolicy(
      @ForAll("scenarios") PolicyGenerators.Scenario s) {
    Policy policy = s.policy();
    SpiffeId local = s.local();
    SpiffeId peer = s.peer();
    Decision onServer = policy.decide(local, peer);
    Policy compiled = policy.forIdentity(local);
    Policy distributed = PolicyCodec.parse(PolicyCodec.write(compiled));

    assertEquals(onServer, compiled.decide(local, peer));
    assertEquals(onServer, distributed.decide(local, peer));
    assertEquals(policy.grantedTrustDomains(local), distributed.grantedTrustDomains(local));
    assertEquals(
        policy.isExposed(local, peer.trustDomain()),
        distributed.isExposed(local, peer.trustDomain()));
    assertEquals(compiled, distributed);

    Statistics.label("reason").collect(onServer.reason());
    Statistics.label("reason")
        .coverage(
            c -> {
              c.check(Decision.ALLOWED_BY_RULE).percentage(p -> p >= 3);
              c.check(Decision.NO_RULE).percentage(p -> p >= 3);
              c.check(Decision.NOT_EXPOSED).percentage(p -> p >= 3);
              c.check(Decision.SAME_TRUST_DOMAIN).percentage(p -> p >= 3);
            });
  }

  @Property(tries = 1000)
  void decide_agreesWithADirectReadingOfTheRules(@ForAll("scenarios") PolicyGenerators.Scenario s) {
    Policy policy = s.policy();
    SpiffeId local = s.local();
    SpiffeId peer = s.peer();
    Decision d = policy.decide(local, peer);
    if (local.trustDomain().equals(peer.trustDomain())) {
      assertEquals(Decision.SAME_TRUST_DOMAIN, d.reason());
      return;
    }
    boolean exposed =
        policy.exposures().stream()
            .anyMatch(e -> e.peer().equals(peer.trustDomain()) && e.local().matches(local));
    Optional<AllowRule> best =
        policy.allowRules().stream()
            .filter(r -> r.peer().matches(peer) && r.local().matches(local))
            .min(Policy.RULE_PRECEDENCE);
    if (!exposed) {
      assertEquals(Decision.NOT_EXPOSED, d.reason());
    } else if (best.isEmpty()) {
      assertEquals(Decision.NO_RULE, d.reason());
    } else {
      assertEquals(Decision.allowedBy(best.get()), d);
    }
  }

  @Property(tries = 500)
  void decide_doesNotDependOnEntryOrder(
      @ForAll("scenarios") PolicyGenerators.Scenario s, @ForAll long seed) {
    Policy policy = s.policy();
    SpiffeId local = s.local();
    SpiffeId peer = s.peer();
    Random random = new Random(seed);
    List<Grant> grants = new ArrayList<>(policy.grants());
    List<Exposure> exposures = new ArrayList<>(policy.exposures());
    List<AllowRule> rules = new ArrayList<>(policy.allowRules());
    Collections.shuffle(grants, random);
    Collections.shuffle(exposures, random);
    Collections.shuffle(rules, random);
    Policy shuffled = new Policy(policy.version(), grants, exposures, rules);
    assertEquals(policy.decide(local, peer), shuffled.decide(local, peer));
    assertEquals(policy.grantedTrustDomains(local), shuffled.grantedTrustDomains(local));
  }

  @Property(tries = 500)
  void codec_roundTripOfAnyPolicy_isEqual(@ForAll("policies") Policy policy) {
    assertEquals(policy, PolicyCodec.parse(PolicyCodec.write(policy)));
  }

  @Property(tries = 500)
  void forIdentity_isIdempotentAndOnlyHoldsEntriesMatchingTheIdentity(
      @ForAll("scenarios") PolicyGenerators.Scenario s) {
    Policy policy = s.policy();
    SpiffeId local = s.local();
    Policy compiled = policy.forIdentity(local);
    assertEquals(compiled, compiled.forIdentity(local));
    assertEquals(policy.version(), compiled.version());
    assertTrue(compiled.grants().stream().allMatch(g -> g.local().matches(local)));
    assertTrue(compiled.exposures().stream().allMatch(e -> e.local().matches(local)));
    assertTrue(compiled.allowRules().stream().allMatch(r -> r.local().matches(local)));
  }
}
