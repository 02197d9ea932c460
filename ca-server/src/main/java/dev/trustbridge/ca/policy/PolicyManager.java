package dev.trustbridge.ca.policy;

import dev.trustbridge.ca.federation.RelationshipStore;
import dev.trustbridge.federation.client.FederationRelationship;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.policy.Decision;
import dev.trustbridge.spiffe.policy.Policy;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's per-identity policy: the current version, read from the {@link PolicyStore} at start
 * (and by {@link #reload()} when other servers share the datastore) and cached so that serving
 * (decisions, grants, distribution) never reads the database; changes are validated against the
 * hosted trust domains and the known federated peers, stored as a new version, and announced to
 * {@code onChange} (the bundle distributor, whose watchers then receive the new compiled policy).
 *
 * <p>Known peers are read when a change is made. A peer that later loses its relationship and
 * bundle stays in the policy; it is harmless there (no bundle is delivered for it, and its callers
 * cannot complete a handshake without one) and the next change is refused until it is removed.
 */
public final class PolicyManager {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyManager.class);

  private final PolicyStore store;
  private final Set<TrustDomain> hosted;
  private final Supplier<Set<TrustDomain>> knownPeers;
  private final Clock clock;
  private final Runnable onChange;
  private volatile Policy current;

  /**
   * @param hosted the trust domains hosted here
   * @param knownPeers the trust domains with a federation relationship or an imported bundle
   * @param onChange called after every accepted change
   */
  public PolicyManager(
      PolicyStore store,
      Set<TrustDomain> hosted,
      Supplier<Set<TrustDomain>> knownPeers,
      Clock clock,
      Runnable onChange) {
    this.store = Objects.requireNonNull(store, "store");
    this.hosted = Set.copyOf(hosted);
    this.knownPeers = Objects.requireNonNull(knownPeers, "knownPeers");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.onChange = Objects.requireNonNull(onChange, "onChange");
    this.current = store.current().orElse(Policy.empty(0));
  }

  /** The known peers of a server: trust domains with a relationship or a stored bundle. */
  public static Supplier<Set<TrustDomain>> knownPeers(RelationshipStore relationships) {
    Objects.requireNonNull(relationships, "relationships");
    return () -> {
      SortedSet<TrustDomain> peers = new TreeSet<>(relationships.bundleTrustDomains());
      relationships.list().stream().map(FederationRelationship::trustDomain).forEach(peers::add);
      return peers;
    };
  }

  /** The current policy (version 0, empty, until one is set). */
  public Policy current() {
    return current;
  }

  /**
   * A stored version; the current one and version 0 (the empty policy before any change) are always
   * there.
   *
   * @throws TrustbridgeException {@code NOT_FOUND} for a version that was never stored
   */
  public Policy version(long version) {
    Policy now = current;
    if (version == now.version()) {
      return now;
    }
    if (version == 0) {
      return Policy.empty(0);
    }
    Optional<Policy> stored = version > 0 ? store.get(version) : Optional.empty();
    return stored.orElseThrow(
        () -> new TrustbridgeException(ErrorCode.NOT_FOUND, "no policy version " + version));
  }

  /**
   * Validates {@code candidate}, stores it as the next version and makes it current; the version
   * {@code candidate} carries is ignored.
   *
   * @throws dev.trustbridge.spiffe.policy.PolicyException if validation fails ({@code
   *     INVALID_ARGUMENT}, naming the first broken entry)
   * @throws TrustbridgeException {@code FAILED_PRECONDITION} if {@code expectedVersion} is present
   *     and is not the current version
   */
  public synchronized Policy set(Policy candidate, OptionalLong expectedVersion, String changedBy) {
    Objects.requireNonNull(candidate, "candidate");
    candidate.validate(hosted, knownPeers.get());
    Policy stored = store.append(candidate, expectedVersion, changedBy, clock.instant());
    current = stored;
    LOG.info(
        "policy set version={} grants={} exposures={} allow_rules={} by={}",
        stored.version(),
        stored.grants().size(),
        stored.exposures().size(),
        stored.allowRules().size(),
        changedBy);
    onChange.run();
    return stored;
  }

  /**
   * Makes the stored policy current if it is newer than the one kept here: another server sharing
   * the datastore changed it. Watchers are told, as after {@link #set}. For a datastore shared by
   * several servers, the server calls this periodically.
   *
   * @return true if the policy changed
   */
  public synchronized boolean reload() {
    Optional<Policy> stored = store.current();
    if (stored.isEmpty() || stored.get().version() <= current.version()) {
      return false;
    }
    current = stored.get();
    LOG.info("policy changed in the datastore version={}", current.version());
    onChange.run();
    return true;
  }

  /** {@link Policy#decide} on the current policy. */
  public Decision decide(SpiffeId local, SpiffeId peer) {
    return current.decide(local, peer);
  }

  /** The compiled policy for {@code local}, as distributed with its bundles. */
  public Policy forIdentity(SpiffeId local) {
    return current.forIdentity(local);
  }

  /** The peer trust domains the current policy grants {@code local}. */
  public Set<TrustDomain> grantedTrustDomains(SpiffeId local) {
    return current.grantedTrustDomains(local);
  }
}
