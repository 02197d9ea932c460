package dev.trustbridge.federation.client;

import dev.trustbridge.spiffe.bundle.InvalidBundleException;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.lang.System.Logger.Level;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;

/**
 * The federation client (SPIFFE Federation sections 4.2, 5 and 6): one poller per relationship
 * fetches the peer's bundle document, validates it and replaces the stored bundle only with a valid
 * one.
 *
 * <p>A poll: fetch over TLS as the profile demands ({@link FederationRelationship.HttpsWeb}: PKIX
 * and RFC 6125 host name check; {@link FederationRelationship.HttpsSpiffe}: X509-SVID of exactly
 * the endpoint ID against the latest bundle of its trust domain, bootstrap bundle until one is
 * stored), parse with {@link SpiffeBundleCodec#parse} for the configured trust domain, refuse a
 * {@code spiffe_sequence} lower than the stored one, then store it if it differs. An effectively
 * empty bundle is stored like any other: it revokes every key of the trust domain. On any failure
 * the stored bundle is left untouched and the error recorded in the {@link RelationshipState}.
 * Every fetch is logged (trust domain, URL, outcome, sequence) at INFO or WARNING; bodies never.
 *
 * <p>Scheduling: {@link #start()} polls each relationship at once and then after {@link
 * PollingPolicy#nextDelay}; failures back off exponentially up to the maximum interval. {@link
 * #pollOnce} polls on the caller's thread without touching the schedule (tests call it directly);
 * {@link #refreshNow} polls at once on the client's threads and reschedules. Polls of one
 * relationship never overlap. No call runs on a Vert.x event loop: the client owns its threads and
 * {@link #pollOnce} blocks.
 */
public final class FederationClient implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(FederationClient.class.getName());

  public static final String UNKNOWN_RELATIONSHIP = "no federation relationship for trust domain";

  private final FederationClientConfig config;
  private final FederatedBundleStore store;
  private final RelationshipStateListener listener;
  private final Clock clock;
  private final DoubleSupplier random;
  private final Map<TrustDomain, Poller> pollers = new ConcurrentHashMap<>();
  private final ExecutorService httpExecutor;
  private final BundleFetcher fetcher;
  private volatile ScheduledExecutorService scheduler;

  /**
   * @param config timeouts, limits and polling policy
   * @param store where the last good bundle of each trust domain is kept
   * @param listener told about every state change (use {@link RelationshipStateListener#NONE})
   * @param clock the time for states, schedules and certificate validity
   */
  public FederationClient(
      FederationClientConfig config,
      FederatedBundleStore store,
      RelationshipStateListener listener,
      Clock clock) {
    this(config, store, listener, clock, () -> ThreadLocalRandom.current().nextDouble());
  }

  FederationClient(
      FederationClientConfig config,
      FederatedBundleStore store,
      RelationshipStateListener listener,
      Clock clock,
      DoubleSupplier random) {
    this.config = Objects.requireNonNull(config, "config");
    this.store = Objects.requireNonNull(store, "store");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    this.httpExecutor = Executors.newCachedThreadPool(daemonThreads("federation-http"));
    this.fetcher = new BundleFetcher(config, httpExecutor);
  }

  /** Starts scheduled polling: every relationship is polled at once, then on its schedule. */
  public synchronized void start() {
    if (scheduler != null) {
      return;
    }
    ScheduledThreadPoolExecutor s =
        new ScheduledThreadPoolExecutor(2, daemonThreads("federation-poll"));
    s.setRemoveOnCancelPolicy(true);
    scheduler = s;
    pollers.values().forEach(p -> schedule(p, Duration.ZERO));
  }

  /** Stops polling; stored bundles stay. */
  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      scheduler = null;
    }
    httpExecutor.shutdownNow();
  }

  /**
   * Adds a relationship, or replaces the one of the same trust domain (new URL or profile). The
   * stored bundle is kept. When started, the relationship is polled at once.
   */
  public void put(FederationRelationship relationship) {
    Objects.requireNonNull(relationship, "relationship");
    Poller poller = new Poller(relationship);
    Poller old = pollers.put(relationship.trustDomain(), poller);
    if (old != null) {
      old.stop();
    }
    RelationshipState state = poller.state;
    listener.stateChanged(state);
    ScheduledExecutorService s = scheduler;
    if (s != null) {
      schedule(poller, Duration.ZERO);
    }
  }

  /**
   * Terminates a relationship (section 6.3): stops polling and deletes the stored bundle, then
   * tells the listener so that validators drop it.
   *
   * @return false if there was no such relationship
   */
  public boolean remove(TrustDomain trustDomain) {
    Poller poller = pollers.remove(Objects.requireNonNull(trustDomain, "trustDomain"));
    if (poller == null) {
      return false;
    }
    poller.stop();
    synchronized (poller) {
      store.delete(trustDomain);
    }
    LOG.log(Level.INFO, "federation relationship with {0} removed; bundle deleted", trustDomain);
    listener.relationshipRemoved(trustDomain);
    return true;
  }

  /**
   * Stops polling a relationship and forgets it, leaving the stored bundle as it is: for a store
   * shared with other clients, when another one ended the relationship. That one deleted the bundle
   * as {@link #remove} does, and may have stored one by hand since, which must stay. A poll under
   * way finishes first, and stores nothing once this returns.
   *
   * @return false if there was no such relationship
   */
  public boolean stopPolling(TrustDomain trustDomain) {
    Poller poller = pollers.remove(Objects.requireNonNull(trustDomain, "trustDomain"));
    if (poller == null) {
      return false;
    }
    poller.stop();
    synchronized (poller) {
      // Waits for a poll in progress: it checks stopped before it stores.
      LOG.log(Level.INFO, "federation relationship with {0} no longer polled", trustDomain);
    }
    return true;
  }

  /** The trust domains with a relationship. */
  public Set<TrustDomain> trustDomains() {
    return new TreeSet<>(pollers.keySet());
  }

  /** The relationship of a trust domain. */
  public Optional<FederationRelationship> relationship(TrustDomain trustDomain) {
    return Optional.ofNullable(pollers.get(trustDomain)).map(p -> p.relationship);
  }

  /** The state of a trust domain's relationship. */
  public Optional<RelationshipState> state(TrustDomain trustDomain) {
    return Optional.ofNullable(pollers.get(trustDomain)).map(p -> p.state);
  }

  /** The states of all relationships, by trust domain. */
  public Map<TrustDomain, RelationshipState> states() {
    Map<TrustDomain, RelationshipState> m = new TreeMap<>();
    pollers.forEach((td, p) -> m.put(td, p.state));
    return m;
  }

  /**
   * Polls one relationship now, on the calling thread (blocking up to the timeouts), without
   * changing the schedule.
   *
   * @throws TrustbridgeException {@code NOT_FOUND} if there is no such relationship
   */
  public RelationshipState pollOnce(TrustDomain trustDomain) {
    return poller(trustDomain).poll();
  }

  /**
   * Polls one relationship now on the client's threads (for admins) and, when started, schedules
   * the next poll from its result.
   *
   * @throws TrustbridgeException {@code NOT_FOUND} if there is no such relationship
   */
  public CompletableFuture<RelationshipState> refreshNow(TrustDomain trustDomain) {
    Poller poller = poller(trustDomain);
    ScheduledExecutorService s = scheduler;
    if (s == null) {
      return CompletableFuture.supplyAsync(poller::poll, httpExecutor);
    }
    return CompletableFuture.supplyAsync(
        () -> {
          poller.cancelScheduled();
          RelationshipState state = poller.poll();
          schedule(poller, poller.nextDelay);
          return state;
        },
        s);
  }

  private Poller poller(TrustDomain trustDomain) {
    Poller p = pollers.get(Objects.requireNonNull(trustDomain, "trustDomain"));
    if (p == null) {
      throw new TrustbridgeException(ErrorCode.NOT_FOUND, UNKNOWN_RELATIONSHIP + " " + trustDomain);
    }
    return p;
  }

  private void schedule(Poller poller, Duration delay) {
    ScheduledExecutorService s = scheduler;
    if (s == null || poller.stopped) {
      return;
    }
    synchronized (poller) {
      poller.cancelScheduled();
      poller.next =
          s.schedule(
              () -> {
                if (!poller.stopped) {
                  poller.poll();
                  schedule(poller, poller.nextDelay);
                }
              },
              delay.toMillis(),
              TimeUnit.MILLISECONDS);
    }
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** One relationship's polling state. Polls are serialized on the instance. */
  private final class Poller {
    final FederationRelationship relationship;
    volatile RelationshipState state;
    volatile boolean stopped;
    volatile Duration nextDelay;
    ScheduledFuture<?> next; // guarded by this
    int failures; // guarded by this

    Poller(FederationRelationship relationship) {
      this.relationship = relationship;
      Optional<SpiffeBundle> stored = store.load(relationship.trustDomain());
      RelationshipState initial =
          RelationshipState.initial(relationship.trustDomain(), relationship.url());
      this.state = withBundle(initial, stored);
      this.nextDelay = Duration.ZERO;
    }

    void stop() {
      stopped = true;
      cancelScheduled();
    }

    synchronized void cancelScheduled() {
      if (next != null) {
        next.cancel(false);
        next = null;
      }
    }

    synchronized RelationshipState poll() {
      TrustDomain td = relationship.trustDomain();
      Instant attempt = clock.instant();
      Optional<SpiffeBundle> stored = store.load(td);
      RelationshipState s = state;
      String outcome;
      Optional<SpiffeBundle> inUse = stored;
      try {
        if (stopped) {
          return state;
        }
        BundleFetcher.Fetched fetched =
            fetcher.fetch(
                relationship.url(), EndpointTls.context(relationship.profile(), store, clock));
        SpiffeBundle bundle = parse(td, fetched.body());
        checkSequence(bundle, stored);
        if (stored.isPresent() && stored.get().equals(bundle)) {
          outcome = "unchanged";
        } else {
          if (stopped) {
            return state;
          }
          storeBundle(bundle);
          outcome =
              bundle.isEffectivelyEmpty() ? "updated (effectively empty: revoked)" : "updated";
          inUse = Optional.of(bundle);
        }
        failures = 0;
        s =
            new RelationshipState(
                td,
                relationship.url(),
                Optional.of(attempt),
                Optional.of(attempt),
                s.lastError(),
                s.lastErrorAt(),
                0,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty());
        if (!fetched.finalUrl().equals(relationship.url())) {
          outcome += " via redirect to " + fetched.finalUrl();
        }
        nextDelay = delay(inUse);
        s = withNextPoll(withBundle(s, inUse), attempt.plus(nextDelay));
        LOG.log(
            Level.INFO,
            "federation fetch trust_domain={0} url={1} outcome={2} sequence={3} next_poll_in={4}",
            td,
            relationship.url(),
            outcome,
            sequenceText(inUse),
            nextDelay);
        if (outcome.startsWith("updated")) {
          state = s;
          listener.bundleUpdated(inUse.get());
        }
      } catch (RuntimeException e) {
        failures++;
        String message = e instanceof TrustbridgeException ? e.getMessage() : internal(e);
        s =
            new RelationshipState(
                td,
                relationship.url(),
                Optional.of(attempt),
                s.lastSuccess(),
                Optional.of(message),
                Optional.of(attempt),
                failures,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty());
        nextDelay = delay(inUse);
        s = withNextPoll(withBundle(s, inUse), attempt.plus(nextDelay));
        LOG.log(
            Level.WARNING,
            "federation fetch trust_domain={0} url={1} outcome=failed error=\"{2}\""
                + " consecutive_failures={3} keeping sequence={4} next_poll_in={5}",
            td,
            relationship.url(),
            message,
            String.valueOf(failures),
            sequenceText(inUse),
            nextDelay);
      }
      state = s;
      listener.stateChanged(s);
      return s;
    }

    private Duration delay(Optional<SpiffeBundle> inUse) {
      Optional<Duration> hint = inUse.flatMap(SpiffeBundle::refreshHint);
      return config.polling().nextDelay(hint, failures, random.getAsDouble());
    }

    private void storeBundle(SpiffeBundle bundle) {
      try {
        store.store(bundle);
      } catch (RuntimeException e) {
        throw new FetchException(
            ErrorCode.UNAVAILABLE,
            FetchException.detail(FetchException.STORE_FAILED, e.getMessage()),
            e);
      }
    }
  }

  private static SpiffeBundle parse(TrustDomain td, byte[] body) {
    try {
      return SpiffeBundleCodec.parse(td, body);
    } catch (InvalidBundleException e) {
      throw new FetchException(
          ErrorCode.INVALID_ARGUMENT,
          FetchException.detail(FetchException.BUNDLE_REJECTED, e.getMessage()),
          e);
    }
  }

  /**
   * A lower sequence than the stored bundle's is refused (section 4.2: sequence numbers order
   * bundles). Without a sequence on either side the fetched bundle is the newest.
   */
  private static void checkSequence(SpiffeBundle fetched, Optional<SpiffeBundle> stored) {
    Optional<BigInteger> old = stored.flatMap(SpiffeBundle::sequence);
    Optional<BigInteger> now = fetched.sequence();
    if (old.isPresent() && now.isPresent() && now.get().compareTo(old.get()) < 0) {
      throw new FetchException(
          ErrorCode.FAILED_PRECONDITION,
          FetchException.SEQUENCE_DECREASED + " (" + now.get() + " < " + old.get() + ")");
    }
  }

  private static String internal(RuntimeException e) {
    return "internal error: " + e.getClass().getSimpleName();
  }

  private static String sequenceText(Optional<SpiffeBundle> bundle) {
    return bundle.flatMap(SpiffeBundle::sequence).map(BigInteger::toString).orElse("none");
  }

  private static RelationshipState withNextPoll(RelationshipState s, Instant next) {
    return new RelationshipState(
        s.trustDomain(),
        s.url(),
        s.lastAttempt(),
        s.lastSuccess(),
        s.lastError(),
        s.lastErrorAt(),
        s.consecutiveFailures(),
        s.sequence(),
        Optional.of(next),
        s.earliestExpiry(),
        s.latestExpiry());
  }

  /** The sequence and authority expiries of the bundle in use. */
  private static RelationshipState withBundle(RelationshipState s, Optional<SpiffeBundle> bundle) {
    Optional<Instant> earliest =
        bundle.flatMap(
            b ->
                b.x509Authorities().stream()
                    .map(X509Certificate::getNotAfter)
                    .map(java.util.Date::toInstant)
                    .min(Comparator.naturalOrder()));
    Optional<Instant> latest =
        bundle.flatMap(
            b ->
                b.x509Authorities().stream()
                    .map(X509Certificate::getNotAfter)
                    .map(java.util.Date::toInstant)
                    .max(Comparator.naturalOrder()));
    return new RelationshipState(
        s.trustDomain(),
        s.url(),
        s.lastAttempt(),
        s.lastSuccess(),
        s.lastError(),
        s.lastErrorAt(),
        s.consecutiveFailures(),
        bundle.flatMap(SpiffeBundle::sequence),
        s.nextPoll(),
        earliest,
        latest);
  }
}
