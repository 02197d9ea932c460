package dev.trustbridge.federation.client;

import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** A {@link FederatedBundleStore} in memory; lost on restart. Thread safe. */
public final class InMemoryFederatedBundleStore implements FederatedBundleStore {
  private final ConcurrentMap<TrustDomain, SpiffeBundle> bundles = new ConcurrentHashMap<>();

  @Override
  public Optional<SpiffeBundle> load(TrustDomain trustDomain) {
    return Optional.ofNullable(bundles.get(Objects.requireNonNull(trustDomain, "trustDomain")));
  }

  @Override
  public void store(SpiffeBundle bundle) {
    bundles.put(Objects.requireNonNull(bundle, "bundle").trustDomain(), bundle);
  }

  @Override
  public void delete(TrustDomain trustDomain) {
    bundles.remove(Objects.requireNonNull(trustDomain, "trustDomain"));
  }
}
