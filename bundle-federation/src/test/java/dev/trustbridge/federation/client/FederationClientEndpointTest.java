package dev.trustbridge.federation.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.federation.endpoint.BundleEndpointConfig;
import dev.trustbridge.federation.endpoint.BundleEndpointProfile;
import dev.trustbridge.federation.endpoint.BundleEndpointServer;
import dev.trustbridge.federation.endpoint.ServerCredential;
import dev.trustbridge.federation.testing.MutableSources;
import dev.trustbridge.federation.testing.TestPki;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.svid.IssuingCa;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against our own {@link BundleEndpointServer}, both profiles, over real TLS. */
class FederationClientEndpointTest {
  static final TrustDomain PEER = TrustDomain.parse("peer.org");
  static final SpiffeId ENDPOINT_ID = SpiffeId.parse("spiffe://peer.org/bundle-endpoint");
  static final Clock CLOCK = Clock.systemUTC();
  static final FederationClientConfig FAST =
      new FederationClientConfig(
          PollingPolicy.defaults(), Duration.ofMillis(2000), Duration.ofMillis(2000), 1 << 20, 3);

  Vertx vertx;
  IssuingCa ca1;
  MutableSources.Bundles bundles;
  MutableSources.Svids svids;
  InMemoryFederatedBundleStore store;
  RecordingListener listener;
  FederationClient client;

  static final class RecordingListener implements RelationshipStateListener {
    final List<RelationshipState> states = new CopyOnWriteArrayList<>();
    final List<SpiffeBundle> bundles = new CopyOnWriteArrayList<>();
    final List<TrustDomain> removed = new CopyOnWriteArrayList<>();

    @Override
    public void stateChanged(RelationshipState state) {
      states.add(state);
    }

    @Override
    public void bundleUpdated(SpiffeBundle bundle) {
      bundles.add(bundle);
    }

    @Override
    public void relationshipRemoved(TrustDomain trustDomain) {
      removed.add(trustDomain);
    }
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    ca1 = TestPki.spiffeCa(PEER, CLOCK);
    bundles = new MutableSources.Bundles(TestPki.bundle(PEER, 1, ca1));
    svids = new MutableSources.Svids(TestPki.svid(ca1, ENDPOINT_ID, CLOCK));
    store = new InMemoryFederatedBundleStore();
    listener = new RecordingListener();
    client = new FederationClient(FAST, store, listener, CLOCK);
  }

  @AfterEach
  void tearDown() throws Exception {
    client.close();
    await(vertx.close());
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  BundleEndpointServer startSpiffeEndpoint() throws Exception {
    return await(
        BundleEndpointServer.start(
            vertx,
            new BundleEndpointConfig(
                PEER, "127.0.0.1", 0, new BundleEndpointProfile.HttpsSpiffe(svids)),
            bundles,
            CLOCK));
  }

  static URI url(BundleEndpointServer server) {
    return URI.create("https://127.0.0.1:" + server.port() + "/");
  }

  void putSpiffe(BundleEndpointServer server, SpiffeId endpointId, IssuingCa bootstrapCa) {
    client.put(
        new FederationRelationship(
            PEER,
            url(server),
            new FederationRelationship.HttpsSpiffe(
                endpointId, TestPki.bundle(PEER, 0, bootstrapCa))));
  }

  @Test
  void httpsWeb_success_storesBundleAndState(@TempDir Path dir) throws Exception {
    Instant now = Instant.now();
    TestPki.WebCa webCa = TestPki.webCa("Endpoint Web CA", now);
    ServerCredential pair =
        TestPki.webServer(webCa, now.minusSeconds(60), now.plusSeconds(3600), "127.0.0.1");
    Path chain = dir.resolve("chain.pem");
    Path key = dir.resolve("key.pem");
    TestPki.writePair(pair, chain, key);
    BundleEndpointServer server =
        await(
            BundleEndpointServer.start(
                vertx,
                new BundleEndpointConfig(
                    PEER, "127.0.0.1", 0, new BundleEndpointProfile.HttpsWeb(chain, key)),
                bundles,
                CLOCK));
    client.put(
        new FederationRelationship(
            PEER, url(server), new FederationRelationship.HttpsWeb(List.of(webCa.certificate()))));

    RelationshipState state = client.pollOnce(PEER);

    assertEquals(bundles.current(), store.load(PEER).orElseThrow());
    assertTrue(state.healthy());
    assertEquals(BigInteger.ONE, state.sequence().orElseThrow());
    assertEquals(state.lastAttempt(), state.lastSuccess());
    assertEquals(ca1.certificate().getNotAfter().toInstant(), state.earliestExpiry().orElseThrow());
    assertEquals(ca1.certificate().getNotAfter().toInstant(), state.latestExpiry().orElseThrow());
    assertTrue(state.nextPoll().orElseThrow().isAfter(state.lastAttempt().orElseThrow()));
    assertEquals(List.of(bundles.current()), listener.bundles);
    assertEquals(state, client.state(PEER).orElseThrow());
  }

  @Test
  void httpsSpiffe_success_storesBundleAndState() throws Exception {
    BundleEndpointServer server = startSpiffeEndpoint();
    putSpiffe(server, ENDPOINT_ID, ca1);

    RelationshipState state = client.pollOnce(PEER);

    assertTrue(state.healthy(), state.toString());
    assertEquals(bundles.current(), store.load(PEER).orElseThrow());
    // Unchanged on the second poll: no new store notification.
    assertTrue(client.pollOnce(PEER).healthy());
    assertEquals(1, listener.bundles.size());
  }

  @Test
  void httpsSpiffe_wrongEndpointId_isRefused() throws Exception {
    BundleEndpointServer server = startSpiffeEndpoint();
    putSpiffe(server, SpiffeId.parse("spiffe://peer.org/some-other-endpoint"), ca1);

    RelationshipState state = client.pollOnce(PEER);

    assertFalse(state.healthy());
    assertTrue(state.lastError().orElseThrow().contains(SpiffeEndpointTrustManager.WRONG_ID));
    assertTrue(store.load(PEER).isEmpty());
  }

  @Test
  void httpsSpiffe_afterRotation_latestBundleAuthenticatesAndRemovedCaIsRefused() throws Exception {
    BundleEndpointServer server = startSpiffeEndpoint();
    putSpiffe(server, ENDPOINT_ID, ca1); // bootstrap: {CA1}
    assertTrue(client.pollOnce(PEER).healthy());

    // The peer publishes CA2 before using it, then re-issues its endpoint SVID with CA2 and drops
    // CA1 from its bundle.
    IssuingCa ca2 = TestPki.spiffeCa(PEER, CLOCK);
    bundles.set(TestPki.bundle(PEER, 2, ca1, ca2));
    assertTrue(client.pollOnce(PEER).healthy());
    svids.set(TestPki.svid(ca2, ENDPOINT_ID, CLOCK));
    bundles.set(TestPki.bundle(PEER, 3, ca2));
    awaitServedSequence(server, 3);
    RelationshipState rotated = pollUntil(s -> s.sequence().orElseThrow().intValue() == 3);
    assertTrue(rotated.healthy(), rotated.toString());
    assertEquals(TestPki.bundle(PEER, 3, ca2), store.load(PEER).orElseThrow());

    // The endpoint now presents an SVID from CA1: in the bootstrap bundle, but not in the latest.
    svids.set(TestPki.svid(ca1, ENDPOINT_ID, CLOCK));
    RelationshipState refused = pollUntil(s -> !s.healthy());
    assertTrue(
        refused.lastError().orElseThrow().startsWith(FetchException.TLS_FAILED),
        refused.toString());
    assertEquals(TestPki.bundle(PEER, 3, ca2), store.load(PEER).orElseThrow());
  }

  @Test
  void effectivelyEmptyBundle_fromEndpoint_isAppliedAsRevocation() throws Exception {
    BundleEndpointServer server = startSpiffeEndpoint();
    putSpiffe(server, ENDPOINT_ID, ca1);
    assertTrue(client.pollOnce(PEER).healthy());
    bundles.set(SpiffeBundle.empty(PEER).withSequence(BigInteger.TWO));
    awaitServedSequence(server, 2);

    RelationshipState state = client.pollOnce(PEER);

    assertTrue(state.healthy());
    assertTrue(store.load(PEER).orElseThrow().isEffectivelyEmpty());
    // With every key revoked, the endpoint itself can no longer be authenticated.
    assertFalse(client.pollOnce(PEER).healthy());
    assertTrue(store.load(PEER).orElseThrow().isEffectivelyEmpty());
  }

  @Test
  void lowerSequence_fromEndpoint_isRefusedAndStoredKept() throws Exception {
    bundles.set(TestPki.bundle(PEER, 7, ca1));
    BundleEndpointServer server = startSpiffeEndpoint();
    putSpiffe(server, ENDPOINT_ID, ca1);
    assertTrue(client.pollOnce(PEER).healthy());
    bundles.set(TestPki.bundle(PEER, 4, ca1, TestPki.spiffeCa(PEER, CLOCK)));

    RelationshipState state = client.pollOnce(PEER);

    assertTrue(state.lastError().orElseThrow().startsWith(FetchException.SEQUENCE_DECREASED));
    assertEquals(TestPki.bundle(PEER, 7, ca1), store.load(PEER).orElseThrow());
    assertEquals(BigInteger.valueOf(7), state.sequence().orElseThrow());
  }

  @Test
  void remove_stopsPollingAndDeletesStoredBundle() throws Exception {
    BundleEndpointServer server = startSpiffeEndpoint();
    putSpiffe(server, ENDPOINT_ID, ca1);
    client.pollOnce(PEER);
    assertTrue(store.load(PEER).isPresent());

    assertTrue(client.remove(PEER));

    assertTrue(store.load(PEER).isEmpty());
    assertTrue(client.state(PEER).isEmpty());
    assertEquals(List.of(PEER), listener.removed);
    assertFalse(client.remove(PEER));
  }

  @Test
  void stopPolling_forgetsTheRelationshipButKeepsTheStoredBundle() throws Exception {
    BundleEndpointServer server = startSpiffeEndpoint();
    putSpiffe(server, ENDPOINT_ID, ca1);
    client.pollOnce(PEER);
    SpiffeBundle stored = store.load(PEER).orElseThrow();

    assertTrue(client.stopPolling(PEER));

    assertEquals(stored, store.load(PEER).orElseThrow());
    assertTrue(client.state(PEER).isEmpty());
    assertTrue(client.relationship(PEER).isEmpty());
    assertEquals(List.of(), listener.removed);
    assertFalse(client.stopPolling(PEER));
  }

  @Test
  void scheduler_pollsOnItsOwnAndRefreshNowPollsAtOnce() throws Exception {
    BundleEndpointServer server = startSpiffeEndpoint();
    PollingPolicy quick =
        new PollingPolicy(
            Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofMillis(200), 0.1);
    try (FederationClient scheduled =
        new FederationClient(
            new FederationClientConfig(
                quick, Duration.ofSeconds(2), Duration.ofSeconds(2), 1 << 20, 3),
            store,
            listener,
            CLOCK)) {
      scheduled.put(
          new FederationRelationship(
              PEER,
              url(server),
              new FederationRelationship.HttpsSpiffe(ENDPOINT_ID, TestPki.bundle(PEER, 0, ca1))));
      scheduled.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (store.load(PEER).isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(bundles.current(), store.load(PEER).orElseThrow());
      bundles.set(TestPki.bundle(PEER, 2, ca1));
      RelationshipState refreshed = scheduled.refreshNow(PEER).get(10, TimeUnit.SECONDS);
      assertEquals(BigInteger.TWO, refreshed.sequence().orElseThrow());
      assertTrue(scheduled.remove(PEER));
      int polls = listener.states.size();
      Thread.sleep(600);
      assertEquals(polls, listener.states.size(), "no poll after removal");
    }
  }

  /** The endpoint swaps TLS credentials asynchronously; poll until the condition holds. */
  RelationshipState pollUntil(java.util.function.Predicate<RelationshipState> condition)
      throws InterruptedException {
    RelationshipState s = null;
    for (int i = 0; i < 50; i++) {
      s = client.pollOnce(PEER);
      if (condition.test(s)) {
        return s;
      }
      Thread.sleep(50);
    }
    return s;
  }

  static void awaitServedSequence(BundleEndpointServer server, long sequence) {
    assertEquals(BigInteger.valueOf(sequence), server.servedBundle().sequence().orElseThrow());
  }
}
