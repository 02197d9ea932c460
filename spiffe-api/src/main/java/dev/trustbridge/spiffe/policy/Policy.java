package dev.trustbridge.spiffe.policy;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The local, per-identity policy for federated identities: which local identities receive which
 * peers' bundles ({@link Grant}), which local identities are exposed to each peer ({@link
 * Exposure}), and which foreign identities may call which local ones ({@link AllowRule}).
 *
 * <p>Evaluation is pure and deterministic, so that the server, agents and libraries that hold the
 * same policy (or the {@linkplain #forIdentity compiled subset} for one identity) reach the same
 * decision. {@link #decide} works as follows:
 *
 * <ol>
 *   <li>local and peer in the same trust domain: {@code ALLOW}, reason {@link
 *       Decision#SAME_TRUST_DOMAIN}; calls inside a trust domain are not governed by this policy;
 *   <li>otherwise the peer is foreign. If no exposure of the peer's trust domain matches the local
 *       identity: {@code DENY}, {@link Decision#NOT_EXPOSED};
 *   <li>if some allow rule's {@code peer} matches the peer and its {@code local} matches the local
 *       identity: {@code ALLOW}, {@link Decision#ALLOWED_BY_RULE}, reporting the most specific such
 *       rule ({@link #RULE_PRECEDENCE});
 *   <li>otherwise {@code DENY}, {@link Decision#NO_RULE}: foreign identities are denied by default.
 * </ol>
 *
 * <p>A policy value holds only what can be checked without context (version not negative, rule
 * names valid and unique). Whether its trust domains are hosted here or known peers is checked by
 * {@link #validate}, which the server runs before accepting a policy. Lists keep their order, which
 * is the order of the document and of error locations, and never changes a decision.
 *
 * @param version the policy revision, not negative; carried unchanged into compiled subsets
 * @param grants bundle grants
 * @param exposures exposures of local identities to peers
 * @param allowRules allow rules, names unique
 */
public record Policy(
    long version, List<Grant> grants, List<Exposure> exposures, List<AllowRule> allowRules) {

  /**
   * Which of several matching allow rules is reported: the one with the most specific peer pattern
   * ({@link IdPattern#MOST_SPECIFIC_FIRST}: exact before prefix, longer prefix before shorter),
   * then the most specific local pattern, then the smallest name. Names are unique, so the order is
   * total and the reported rule never depends on list order.
   */
  public static final Comparator<AllowRule> RULE_PRECEDENCE =
      Comparator.comparing(AllowRule::peer, IdPattern.MOST_SPECIFIC_FIRST)
          .thenComparing(AllowRule::local, IdPattern.MOST_SPECIFIC_FIRST)
          .thenComparing(AllowRule::name);

  /**
   * @throws PolicyException if the version is negative or two allow rules share a name
   */
  public Policy {
    if (version < 0) {
      throw PolicyException.at("version", PolicyException.VERSION_NEGATIVE);
    }
    grants = List.copyOf(grants);
    exposures = List.copyOf(exposures);
    allowRules = List.copyOf(allowRules);
    Set<String> names = new HashSet<>();
    for (int i = 0; i < allowRules.size(); i++) {
      AllowRule rule = allowRules.get(i);
      if (!names.add(rule.name())) {
        throw PolicyException.at(ruleLocation(i, rule), PolicyException.RULE_NAME_DUPLICATE);
      }
    }
  }

  /** A builder for a policy, starting at version 0 with no entries. */
  public static Builder builder() {
    return new Builder();
  }

  /** The empty policy of the given version: every foreign identity is denied. */
  public static Policy empty(long version) {
    return new Policy(version, List.of(), List.of(), List.of());
  }

  /**
   * Checks this policy against the trust domains hosted here and the known federated peers, and
   * returns it. Reports the first broken rule in document order (grants, exposures, allow rules;
   * within an entry, in the order of its components): a local pattern must be in a hosted trust
   * domain; a peer pattern or peer trust domain must be a known peer and not hosted here.
   *
   * @throws PolicyException naming the offending entry, e.g. {@code grants[1]: peer trust domain
   *     c.example is not a known federated peer}
   */
  public Policy validate(Set<TrustDomain> hostedTrustDomains, Set<TrustDomain> peerTrustDomains) {
    Objects.requireNonNull(hostedTrustDomains, "hostedTrustDomains");
    Objects.requireNonNull(peerTrustDomains, "peerTrustDomains");
    for (TrustDomain td : new TreeSet<>(hostedTrustDomains)) {
      if (peerTrustDomains.contains(td)) {
        throw PolicyException.of(PolicyException.HOSTED_AND_PEER, td);
      }
    }
    Scope scope = new Scope(hostedTrustDomains, peerTrustDomains);
    for (int i = 0; i < grants.size(); i++) {
      Grant grant = grants.get(i);
      String at = "grants[" + i + "]";
      scope.checkLocal(at, grant.local());
      grant.peers().forEach(td -> scope.checkPeer(at, td));
    }
    for (int i = 0; i < exposures.size(); i++) {
      Exposure exposure = exposures.get(i);
      String at = "exposures[" + i + "]";
      scope.checkPeer(at, exposure.peer());
      scope.checkLocal(at, exposure.local());
    }
    for (int i = 0; i < allowRules.size(); i++) {
      AllowRule rule = allowRules.get(i);
      String at = ruleLocation(i, rule);
      scope.checkPeer(at, rule.peer().trustDomain());
      scope.checkLocal(at, rule.local());
    }
    return this;
  }

  /**
   * Decides whether {@code peer} may call {@code local}; see the class comment for the order of
   * evaluation. Never throws for valid IDs, whether or not they appear in the policy.
   */
  public Decision decide(SpiffeId local, SpiffeId peer) {
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(peer, "peer");
    if (local.trustDomain().equals(peer.trustDomain())) {
      return Decision.sameTrustDomain();
    }
    if (!isExposed(local, peer.trustDomain())) {
      return Decision.deny(Decision.NOT_EXPOSED);
    }
    AllowRule best = null;
    for (AllowRule rule : allowRules) {
      if (rule.peer().matches(peer)
          && rule.local().matches(local)
          && (best == null || RULE_PRECEDENCE.compare(rule, best) < 0)) {
        best = rule;
      }
    }
    return best == null ? Decision.deny(Decision.NO_RULE) : Decision.allowedBy(best);
  }

  /** True if some exposure of {@code peer} matches {@code local}. */
  public boolean isExposed(SpiffeId local, TrustDomain peer) {
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(peer, "peer");
    for (Exposure exposure : exposures) {
      if (exposure.peer().equals(peer) && exposure.local().matches(local)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The peer trust domains whose bundles {@code local} receives: the union of the grants whose
   * local pattern matches it, sorted. Its own trust domain's bundle is not included; it always
   * receives that one.
   */
  public SortedSet<TrustDomain> grantedTrustDomains(SpiffeId local) {
    Objects.requireNonNull(local, "local");
    SortedSet<TrustDomain> granted = new TreeSet<>();
    for (Grant grant : grants) {
      if (grant.local().matches(local)) {
        granted.addAll(grant.peers());
      }
    }
    return Collections.unmodifiableSortedSet(granted);
  }

  /**
   * The compiled policy for one local identity, as distributed to its agent: the same version, the
   * grants and exposures whose local pattern matches {@code local}, and the allow rules whose local
   * pattern matches it and whose peer trust domain it is exposed to; entries keep their relative
   * order. For {@code local}, and only for it, the result answers {@link #decide}, {@link
   * #isExposed} and {@link #grantedTrustDomains} exactly as this policy does; it reveals nothing
   * about other identities.
   */
  public Policy forIdentity(SpiffeId local) {
    Objects.requireNonNull(local, "local");
    List<Grant> keptGrants = new ArrayList<>();
    for (Grant grant : grants) {
      if (grant.local().matches(local)) {
        keptGrants.add(grant);
      }
    }
    List<Exposure> keptExposures = new ArrayList<>();
    Set<TrustDomain> exposedTo = new HashSet<>();
    for (Exposure exposure : exposures) {
      if (exposure.local().matches(local)) {
        keptExposures.add(exposure);
        exposedTo.add(exposure.peer());
      }
    }
    List<AllowRule> keptRules = new ArrayList<>();
    for (AllowRule rule : allowRules) {
      if (rule.local().matches(local) && exposedTo.contains(rule.peer().trustDomain())) {
        keptRules.add(rule);
      }
    }
    return new Policy(version, keptGrants, keptExposures, keptRules);
  }

  static String ruleLocation(int index, AllowRule rule) {
    return "allow_rules[" + index + "] \"" + rule.name() + "\"";
  }

  /** The trust domains a policy is validated against. */
  private record Scope(Set<TrustDomain> hosted, Set<TrustDomain> peers) {
    void checkLocal(String at, IdPattern local) {
      if (!hosted.contains(local.trustDomain())) {
        throw PolicyException.at(at, PolicyException.LOCAL_NOT_HOSTED, local);
      }
    }

    void checkPeer(String at, TrustDomain peer) {
      if (hosted.contains(peer)) {
        throw PolicyException.at(at, PolicyException.PEER_HOSTED, peer);
      }
      if (!peers.contains(peer)) {
        throw PolicyException.at(at, PolicyException.PEER_UNKNOWN, peer);
      }
    }
  }

  /** Builds a {@link Policy}; {@link #build} applies the constructors' checks. */
  public static final class Builder {
    private long version;
    private final List<Grant> grants = new ArrayList<>();
    private final List<Exposure> exposures = new ArrayList<>();
    private final List<AllowRule> allowRules = new ArrayList<>();

    private Builder() {}

    /** Sets the version (default 0). */
    public Builder version(long version) {
      this.version = version;
      return this;
    }

    /** Adds a grant. */
    public Builder grant(Grant grant) {
      grants.add(Objects.requireNonNull(grant, "grant"));
      return this;
    }

    /** Adds a grant of {@code peers} to the local identities matching {@code local}. */
    public Builder grant(String local, TrustDomain... peers) {
      return grant(Grant.of(IdPattern.parse(local), peers));
    }

    /** Adds an exposure. */
    public Builder expose(Exposure exposure) {
      exposures.add(Objects.requireNonNull(exposure, "exposure"));
      return this;
    }

    /** Exposes the local identities matching {@code local} to {@code peer}. */
    public Builder expose(TrustDomain peer, String local) {
      return expose(new Exposure(peer, IdPattern.parse(local)));
    }

    /** Adds an allow rule. */
    public Builder allow(AllowRule rule) {
      allowRules.add(Objects.requireNonNull(rule, "rule"));
      return this;
    }

    /** Adds an allow rule from written patterns, e.g. {@code spiffe://b.example/ns/web/*}. */
    public Builder allow(String name, String peer, String local) {
      return allow(new AllowRule(name, IdPattern.parse(peer), IdPattern.parse(local)));
    }

    /**
     * Builds the policy.
     *
     * @throws PolicyException as {@link Policy#Policy} does
     */
    public Policy build() {
      return new Policy(version, grants, exposures, allowRules);
    }
  }
}
