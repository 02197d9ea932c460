package dev.trustbridge.ca.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.policy.Mesh.Agent;
import dev.trustbridge.ca.policy.Mesh.Node;
import dev.trustbridge.ca.policy.Mesh.Workload;
import dev.trustbridge.proto.ca.v1.AuthorizeRequest;
import dev.trustbridge.proto.ca.v1.AuthorizeResponse;
import dev.trustbridge.proto.ca.v1.BundlesResponse;
import dev.trustbridge.proto.ca.v1.TrustBundle;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.policy.AllowRule;
import dev.trustbridge.spiffe.policy.Decision;
import dev.trustbridge.spiffe.policy.Exposure;
import dev.trustbridge.spiffe.policy.Grant;
import dev.trustbridge.spiffe.policy.IdPattern;
import dev.trustbridge.spiffe.policy.Policy;
import dev.trustbridge.spiffe.policy.PolicyCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's {@code Authorize} and the agents' evaluation of the compiled policy they received
 * with their bundles give the same answer, for seeded random policies set on a real server and
 * random peer IDs drawn around the policies' patterns.
 */
class PolicyEvaluationServerAgentTest {
  private static final long SEED = 20240611L;
  private static final int POLICIES = 25;
  private static final int PEERS_PER_LOCAL = 20;

  private static final List<TrustDomain> HOSTED =
      List.of(TrustDomain.parse("a.example"), TrustDomain.parse("a2.example"));
  private static final List<TrustDomain> PEERS =
      List.of(TrustDomain.parse("b.example"), TrustDomain.parse("c.example"));
  private static final List<String> SEGMENTS =
      List.of("ns", "pay", "payments", "web", "sa", "api", "worker");
  private static final List<SpiffeId> LOCALS =
      List.of(
          SpiffeId.parse("spiffe://a.example/ns/pay/sa/api"),
          SpiffeId.parse("spiffe://a.example/ns/pay/sa/worker"),
          SpiffeId.parse("spiffe://a.example/ns/payments/sa/api"),
          SpiffeId.parse("spiffe://a.example/ns/web"),
          SpiffeId.parse("spiffe://a2.example/ns/pay/sa/api"));

  @TempDir Path dir;
  private Node server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void evaluationIsIdenticalOnServerAndAgent_forAGeneratedSetOfRandomPoliciesAndIds()
      throws Exception {
    server = new Node(dir.resolve("a"), "a.example", "a2.example");
    // Known peers without running their servers: a bundle imported under each name is enough.
    byte[] someBundle = server.bundleDocument();
    PEERS.forEach(td -> server.importBundle(td.name(), someBundle));
    Map<SpiffeId, Workload> workloads = new HashMap<>();
    Map<SpiffeId, Agent> agents = new HashMap<>();
    for (SpiffeId local : LOCALS) {
      Workload workload = server.workload(local);
      workloads.put(local, workload);
      agents.put(local, workload.watch());
    }

    Random random = new Random(SEED);
    Map<String, Integer> outcomes = new HashMap<>();
    int decisions = 0;
    for (int p = 0; p < POLICIES; p++) {
      Policy generated = randomPolicy(random);
      long version = server.setPolicy(generated).getVersion();
      Policy policy =
          new Policy(version, generated.grants(), generated.exposures(), generated.allowRules());
      for (SpiffeId local : LOCALS) {
        Agent agent = agents.get(local);
        agent.awaitPolicyVersion(version, 2000);
        Policy watched = agent.policy.get();
        BundlesResponse fetched = workloads.get(local).fetch();
        Policy compiled = PolicyCodec.parse(fetched.getPolicy().toByteArray());
        String where = "seed " + SEED + ", policy " + p + ", local " + local;
        assertEquals(policy.forIdentity(local), compiled, where);
        assertEquals(compiled, watched, where);
        assertEquals(expectedBundles(policy, local), trustDomains(fetched.getBundlesList()), where);
        assertEquals(expectedBundles(policy, local), trustDomains(agent.bundles.get()), where);
        for (int i = 0; i < PEERS_PER_LOCAL; i++) {
          SpiffeId peer = randomPeer(random, policy);
          AuthorizeResponse answer =
              workloads
                  .get(local)
                  .ca()
                  .authorize(
                      AuthorizeRequest.newBuilder()
                          .setLocalId(local.toString())
                          .setPeerId(peer.toString())
                          .build());
          Decision onAgent = compiled.decide(local, peer);
          String what = where + ", peer " + peer;
          assertEquals(
              onAgent.isAllowed(),
              answer.getVerdict() == AuthorizeResponse.Verdict.VERDICT_ALLOW,
              what);
          assertEquals(onAgent.reason(), answer.getReason(), what);
          assertEquals(
              onAgent.matched().map(AllowRule::name).orElse(""), answer.getMatchedRule(), what);
          assertEquals(version, answer.getPolicyVersion(), what);
          assertEquals(policy.decide(local, peer), onAgent, what);
          assertEquals(onAgent, watched.decide(local, peer), what);
          outcomes.merge(onAgent.reason(), 1, Integer::sum);
          decisions++;
        }
      }
    }
    // Every outcome is exercised, so agreement is not agreement on one answer only.
    for (String reason :
        List.of(
            Decision.SAME_TRUST_DOMAIN,
            Decision.ALLOWED_BY_RULE,
            Decision.NOT_EXPOSED,
            Decision.NO_RULE)) {
      int count = outcomes.getOrDefault(reason, 0);
      assertTrue(count * 100 >= decisions * 3, reason + ": " + count + " of " + decisions);
    }
  }

  private static Set<String> expectedBundles(Policy policy, SpiffeId local) {
    Set<String> tds = new TreeSet<>();
    tds.add(local.trustDomain().name());
    policy.grantedTrustDomains(local).forEach(td -> tds.add(td.name()));
    return tds;
  }

  private static Set<String> trustDomains(List<TrustBundle> bundles) {
    return bundles.stream()
        .map(TrustBundle::getTrustDomain)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  // ---- generators ---------------------------------------------------------------------------

  private static <T> T pick(Random random, List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  private static String randomPath(Random random, int maxSegments) {
    int n = random.nextInt(maxSegments + 1);
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < n; i++) {
      path.append('/').append(pick(random, SEGMENTS));
    }
    return path.toString();
  }

  /** A local pattern: mostly a leading part of a pool ID's path, so that it matches some. */
  private static IdPattern localPattern(Random random) {
    String path;
    TrustDomain td;
    if (random.nextInt(4) > 0) {
      SpiffeId base = pick(random, LOCALS);
      td = base.trustDomain();
      String[] segments = base.path().substring(1).split("/");
      int keep = random.nextInt(segments.length + 1);
      path = keep == 0 ? "" : "/" + String.join("/", List.of(segments).subList(0, keep));
    } else {
      td = pick(random, HOSTED);
      path = randomPath(random, 3);
    }
    return pattern(random, td, path);
  }

  private static IdPattern peerPattern(Random random) {
    return pattern(random, pick(random, PEERS), randomPath(random, 3));
  }

  private static IdPattern pattern(Random random, TrustDomain td, String path) {
    SpiffeId id = SpiffeId.parse("spiffe://" + td.name() + path);
    return path.isEmpty() || random.nextBoolean()
        ? new IdPattern.Prefix(id)
        : new IdPattern.Exact(id);
  }

  private static Policy randomPolicy(Random random) {
    List<Grant> grants = new ArrayList<>();
    for (int i = random.nextInt(4); i > 0; i--) {
      Set<TrustDomain> peers = new TreeSet<>();
      peers.add(pick(random, PEERS));
      if (random.nextBoolean()) {
        peers.add(pick(random, PEERS));
      }
      grants.add(new Grant(localPattern(random), peers));
    }
    List<Exposure> exposures = new ArrayList<>();
    for (int i = random.nextInt(5); i > 0; i--) {
      exposures.add(new Exposure(pick(random, PEERS), localPattern(random)));
    }
    List<AllowRule> rules = new ArrayList<>();
    for (int i = random.nextInt(7); i > 0; i--) {
      AllowRule rule = new AllowRule("rule-" + i, peerPattern(random), localPattern(random));
      rules.add(rule);
      if (random.nextInt(3) > 0) {
        // Often exposed, or rules would almost never get a say.
        exposures.add(new Exposure(rule.peer().trustDomain(), rule.local()));
      }
    }
    return new Policy(0, grants, exposures, rules);
  }

  /** A peer ID: often at or just below a rule's peer pattern, sometimes beside it, or local. */
  private static SpiffeId randomPeer(Random random, Policy policy) {
    int kind = random.nextInt(10);
    if (kind < 5 && !policy.allowRules().isEmpty()) {
      SpiffeId root = pick(random, policy.allowRules()).peer().id();
      String path = root.path();
      if (path.isEmpty() || random.nextBoolean()) {
        path = path + randomPath(random, 2);
      } else if (random.nextBoolean()) {
        path = path + "ments"; // beside the prefix: /pay -> /payments
      }
      return SpiffeId.parse(
          "spiffe://" + root.trustDomain().name() + (path.isEmpty() ? "/x" : path));
    }
    TrustDomain td = kind < 8 ? pick(random, PEERS) : pick(random, HOSTED);
    String path = randomPath(random, 4);
    return SpiffeId.parse("spiffe://" + td.name() + (path.isEmpty() ? "/x" : path));
  }
}
