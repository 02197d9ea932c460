package dev.trustbridge.spiffe.bundle;

import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Bundles keyed by trust domain, at most one per trust domain (SPIFFE_Trust_Domain_and_Bundle.md
 * section 3, SPIFFE_Federation.md section 4.2). Bundles of different trust domains are never
 * merged: a validator looks up the bundle of the SVID's own trust domain and uses nothing else.
 * Immutable; iteration is in trust domain order.
 */
public final class BundleSet {
  private static final BundleSet EMPTY = new BundleSet(new TreeMap<>());

  private final SortedMap<TrustDomain, SpiffeBundle> bundles;

  private BundleSet(SortedMap<TrustDomain, SpiffeBundle> bundles) {
    this.bundles = Collections.unmodifiableSortedMap(bundles);
  }

  /** The set with no bundles. */
  public static BundleSet empty() {
    return EMPTY;
  }

  /**
   * A set of the given bundles.
   *
   * @throws InvalidBundleException {@link InvalidBundleException#DUPLICATE_TRUST_DOMAIN} if two
   *     bundles belong to the same trust domain
   */
  public static BundleSet of(Collection<SpiffeBundle> bundles) {
    TreeMap<TrustDomain, SpiffeBundle> m = new TreeMap<>();
    for (SpiffeBundle b : new ArrayList<>(Objects.requireNonNull(bundles, "bundles"))) {
      Objects.requireNonNull(b, "bundle");
      if (m.putIfAbsent(b.trustDomain(), b) != null) {
        throw new InvalidBundleException(InvalidBundleException.DUPLICATE_TRUST_DOMAIN);
      }
    }
    return new BundleSet(m);
  }

  /** A set of the given bundles; see {@link #of(Collection)}. */
  public static BundleSet of(SpiffeBundle... bundles) {
    return of(List.of(bundles));
  }

  /** The bundle of a trust domain, if this set has one. */
  public Optional<SpiffeBundle> get(TrustDomain trustDomain) {
    return Optional.ofNullable(bundles.get(Objects.requireNonNull(trustDomain, "trustDomain")));
  }

  /** Whether this set has a bundle for the trust domain. */
  public boolean contains(TrustDomain trustDomain) {
    return bundles.containsKey(Objects.requireNonNull(trustDomain, "trustDomain"));
  }

  /** This set with {@code bundle} replacing any bundle of its trust domain (never merged). */
  public BundleSet with(SpiffeBundle bundle) {
    Objects.requireNonNull(bundle, "bundle");
    TreeMap<TrustDomain, SpiffeBundle> m = new TreeMap<>(bundles);
    m.put(bundle.trustDomain(), bundle);
    return new BundleSet(m);
  }

  /** This set without the bundle of the trust domain. */
  public BundleSet without(TrustDomain trustDomain) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    TreeMap<TrustDomain, SpiffeBundle> m = new TreeMap<>(bundles);
    m.remove(trustDomain);
    return new BundleSet(m);
  }

  /** The bundles by trust domain, sorted by trust domain name. Unmodifiable. */
  public SortedMap<TrustDomain, SpiffeBundle> asMap() {
    return bundles;
  }

  /** The number of trust domains. */
  public int size() {
    return bundles.size();
  }

  /** Whether the set has no bundles. */
  public boolean isEmpty() {
    return bundles.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BundleSet other && bundles.equals(other.bundles);
  }

  @Override
  public int hashCode() {
    return bundles.hashCode();
  }

  @Override
  public String toString() {
    return "BundleSet" + bundles.values();
  }

  Map<TrustDomain, SpiffeBundle> map() {
    return bundles;
  }
}
