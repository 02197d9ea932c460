package dev.trustbridge.ca.federation;

import dev.trustbridge.federation.client.FederationClient;
import dev.trustbridge.federation.client.FederationClientConfig;
import dev.trustbridge.federation.client.FederationRelationship;
import dev.trustbridge.federation.client.RelationshipState;
import dev.trustbridge.federation.client.RelationshipStateListener;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This server's side of SPIFFE federation: the relationships with peer trust domains (persisted,
 * polled by the {@link FederationClient}), the peers' last good bundles (persisted and cached, so
 * serving never waits for a fetch, also after a restart), and bundles imported by hand. When other
 * servers share the datastore, {@link #reload()} takes up what they changed.
 */
public final class Federation implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Federation.class);
  private static final long REFRESH_TIMEOUT_SECONDS = 60;

  private final RelationshipStore store;
  private final Set<TrustDomain> hosted;
  private final Runnable onChange;
  private final Map<TrustDomain, SpiffeBundle> bundles = new ConcurrentHashMap<>();
  private final FederationClient client;

  public Federation(
      RelationshipStore store,
      Set<TrustDomain> hosted,
      FederationClientConfig config,
      Clock clock,
      Runnable onChange) {
    this.store = Objects.requireNonNull(store, "store");
    this.hosted = Set.copyOf(hosted);
    this.onChange = Objects.requireNonNull(onChange, "onChange");
    for (TrustDomain td : store.bundleTrustDomains()) {
      store.load(td).ifPresent(b -> bundles.put(td, b));
    }
    this.client = new FederationClient(config, new CachingStore(), new Listener(), clock);
    store.list().forEach(client::put);
  }

  /** Starts polling every relationship. */
  public void start() {
    client.start();
  }

  /** The last good bundle of a peer trust domain. */
  public Optional<SpiffeBundle> bundle(TrustDomain trustDomain) {
    return Optional.ofNullable(bundles.get(trustDomain));
  }

  /**
   * Adds a relationship and starts polling it.
   *
   * @throws TrustbridgeException INVALID_ARGUMENT for a hosted trust domain, ALREADY_EXISTS if
   *     there is one
   */
  public void create(FederationRelationship relationship) {
    requireForeign(relationship.trustDomain());
    store.create(relationship);
    client.put(relationship);
    LOG.info(
        "federation relationship created trust_domain={} url={}",
        relationship.trustDomain(),
        relationship.url());
  }

  /** Replaces a relationship (URL, profile, parameters); its stored bundle is kept. */
  public void update(FederationRelationship relationship) {
    requireForeign(relationship.trustDomain());
    store.update(relationship);
    client.put(relationship);
  }

  /** Ends a relationship: stops polling, deletes the peer's bundle, and tells watchers. */
  public boolean delete(TrustDomain trustDomain) {
    client.remove(trustDomain);
    boolean removed = store.remove(trustDomain);
    if (bundles.remove(trustDomain) != null) {
      onChange.run();
    }
    return removed;
  }

  public List<FederationRelationship> relationships() {
    return store.list();
  }

  public Optional<FederationRelationship> relationship(TrustDomain trustDomain) {
    return store.get(trustDomain);
  }

  public Optional<RelationshipState> state(TrustDomain trustDomain) {
    return client.state(trustDomain);
  }

  /** Polls a peer now and waits for the outcome. */
  public RelationshipState refresh(TrustDomain trustDomain) {
    if (client.relationship(trustDomain).isEmpty()) {
      throw new TrustbridgeException(
          ErrorCode.NOT_FOUND, "no federation relationship with " + trustDomain);
    }
    try {
      return client.refreshNow(trustDomain).get(REFRESH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw TrustbridgeException.unavailable("interrupted while refreshing", e);
    } catch (ExecutionException | TimeoutException e) {
      throw TrustbridgeException.unavailable("refresh of " + trustDomain + " failed", e);
    }
  }

  /**
   * Stores a peer's bundle given by hand (no network path to the peer). Where a relationship
   * exists, its next successful poll replaces it.
   */
  public void importBundle(SpiffeBundle bundle) {
    requireForeign(bundle.trustDomain());
    store.store(bundle);
    bundles.put(bundle.trustDomain(), bundle);
    LOG.info(
        "bundle imported trust_domain={} authorities={}",
        bundle.trustDomain(),
        bundle.x509Authorities().size());
    onChange.run();
  }

  /**
   * Takes up what other servers sharing the datastore changed: relationships created, changed or
   * removed there are polled, updated or stopped here, and peers' bundles stored there (fetched or
   * imported) replace the ones kept here. Watchers are told if a bundle changed. For a datastore
   * shared by several servers, the server calls this periodically; with a datastore of its own
   * every change goes through this class and there is nothing to take up.
   *
   * <p>A bundle this server stores while the reload runs is kept: the reload replaces only a bundle
   * that is still the one it had before it read the datastore.
   */
  public void reload() {
    Map<TrustDomain, FederationRelationship> stored = new HashMap<>();
    store.list().forEach(r -> stored.put(r.trustDomain(), r));
    for (FederationRelationship relationship : stored.values()) {
      if (!client.relationship(relationship.trustDomain()).equals(Optional.of(relationship))) {
        LOG.info(
            "federation relationship changed in the datastore trust_domain={} url={}",
            relationship.trustDomain(),
            relationship.url());
        client.put(relationship);
      }
    }
    for (TrustDomain trustDomain : client.trustDomains()) {
      if (!stored.containsKey(trustDomain)) {
        LOG.info("federation relationship removed in the datastore trust_domain={}", trustDomain);
        // Not remove(): the server that ended it deleted the bundle, and may have imported one
        // since. The bundle kept here goes below if it is no longer stored.
        client.stopPolling(trustDomain);
      }
    }
    boolean changed = false;
    Set<TrustDomain> withBundle = new HashSet<>(store.bundleTrustDomains());
    for (TrustDomain trustDomain : withBundle) {
      SpiffeBundle before = bundles.get(trustDomain);
      Optional<SpiffeBundle> loaded = store.load(trustDomain);
      if (loaded.isEmpty() || loaded.get().equals(before)) {
        continue;
      }
      changed |=
          before == null
              ? bundles.putIfAbsent(trustDomain, loaded.get()) == null
              : bundles.replace(trustDomain, before, loaded.get());
    }
    for (Map.Entry<TrustDomain, SpiffeBundle> kept : bundles.entrySet()) {
      if (!withBundle.contains(kept.getKey())) {
        changed |= bundles.remove(kept.getKey(), kept.getValue());
      }
    }
    if (changed) {
      onChange.run();
    }
  }

  private void requireForeign(TrustDomain trustDomain) {
    if (hosted.contains(trustDomain)) {
      throw TrustbridgeException.invalidArgument(
          "trust domain "
              + trustDomain
              + " is hosted here; federation is with other trust domains");
    }
  }

  @Override
  public void close() {
    client.close();
  }

  /** Writes through to the datastore, then updates the cache that serving reads. */
  private final class CachingStore
      implements dev.trustbridge.federation.client.FederatedBundleStore {
    @Override
    public Optional<SpiffeBundle> load(TrustDomain trustDomain) {
      return bundle(trustDomain);
    }

    @Override
    public void store(SpiffeBundle bundle) {
      store.store(bundle);
      bundles.put(bundle.trustDomain(), bundle);
    }

    @Override
    public void delete(TrustDomain trustDomain) {
      store.delete(trustDomain);
      bundles.remove(trustDomain);
    }
  }

  private final class Listener implements RelationshipStateListener {
    @Override
    public void stateChanged(RelationshipState state) {
      // The client logs each fetch; admins read the state through the API.
    }

    @Override
    public void bundleUpdated(SpiffeBundle bundle) {
      onChange.run();
    }

    @Override
    public void relationshipRemoved(TrustDomain trustDomain) {
      onChange.run();
    }
  }
}
