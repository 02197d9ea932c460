package dev.trustbridge.ca.distribution;

import dev.trustbridge.ca.authority.TrustDomainAuthority;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Decides which bundles an identity receives (its own trust domain's, then the federated ones it is
 * granted) and tells watchers when any of them changes. Grants come from two sources, merged: the
 * identity's registration entries ({@code federates_with}) and the per-identity policy (grants by
 * ID or prefix). Bundles stay labelled with their trust domain; they are never merged.
 */
public final class BundleDistributor {
  /** Where the bundles of federated trust domains come from (none until federation exists). */
  @FunctionalInterface
  public interface FederatedBundles {
    Optional<SpiffeBundle> get(TrustDomain trustDomain);
  }

  /** Stops a watch. */
  public interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  private final Map<TrustDomain, TrustDomainAuthority> hosted;
  private final FederatedBundles federated;
  private final Function<SpiffeId, Set<TrustDomain>> grants;
  private final Function<SpiffeId, Set<TrustDomain>> policyGrants;
  private final List<Runnable> watchers = new CopyOnWriteArrayList<>();

  /** A distributor whose grants come from registration entries only. */
  public BundleDistributor(
      Map<TrustDomain, TrustDomainAuthority> hosted,
      FederatedBundles federated,
      Function<SpiffeId, Set<TrustDomain>> grants) {
    this(hosted, federated, grants, id -> Set.of());
  }

  /**
   * @param grants the trust domains an identity's registration entries federate with
   * @param policyGrants the trust domains the per-identity policy grants an identity
   */
  public BundleDistributor(
      Map<TrustDomain, TrustDomainAuthority> hosted,
      FederatedBundles federated,
      Function<SpiffeId, Set<TrustDomain>> grants,
      Function<SpiffeId, Set<TrustDomain>> policyGrants) {
    this.hosted = Map.copyOf(hosted);
    this.federated = Objects.requireNonNull(federated, "federated");
    this.grants = Objects.requireNonNull(grants, "grants");
    this.policyGrants = Objects.requireNonNull(policyGrants, "policyGrants");
    this.hosted.values().forEach(a -> a.onBundleChange(b -> changed()));
  }

  /** The bundle of a hosted trust domain. */
  public SpiffeBundle hostedBundle(TrustDomain trustDomain) {
    TrustDomainAuthority authority = hosted.get(trustDomain);
    if (authority == null) {
      throw new TrustbridgeException(
          ErrorCode.NOT_FOUND, "trust domain " + trustDomain + " is not hosted here");
    }
    return authority.bundle();
  }

  /** The hosted trust domains. */
  public Collection<TrustDomain> hostedTrustDomains() {
    return hosted.keySet();
  }

  /** The bundles {@code id} receives: its own trust domain's first, then granted ones. */
  public List<SpiffeBundle> bundlesFor(SpiffeId id) {
    return bundlesFor(id, grants.apply(id));
  }

  /**
   * As {@link #bundlesFor(SpiffeId)}, with the entries' grants already known; the policy's grants
   * are added.
   */
  public List<SpiffeBundle> bundlesFor(SpiffeId id, Set<TrustDomain> granted) {
    List<SpiffeBundle> bundles = new ArrayList<>();
    bundles.add(hostedBundle(id.trustDomain()));
    Set<TrustDomain> all = new TreeSet<>(granted);
    all.addAll(policyGrants.apply(id));
    all.stream()
        .filter(td -> !td.equals(id.trustDomain()))
        .forEach(
            td -> {
              TrustDomainAuthority local = hosted.get(td);
              Optional<SpiffeBundle> bundle =
                  local != null ? Optional.of(local.bundle()) : federated.get(td);
              bundle.ifPresent(bundles::add);
            });
    return bundles;
  }

  /** Calls {@code onChange} whenever any bundle, grant or the policy may have changed. */
  public Subscription watch(Runnable onChange) {
    Objects.requireNonNull(onChange, "onChange");
    watchers.add(onChange);
    return () -> watchers.remove(onChange);
  }

  /** Tells watchers that bundles, grants or the policy changed. */
  public void changed() {
    watchers.forEach(Runnable::run);
  }
}
