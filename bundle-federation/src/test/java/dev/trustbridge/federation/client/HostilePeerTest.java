package dev.trustbridge.federation.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.federation.testing.TestPki;
import dev.trustbridge.spiffe.bundle.InvalidBundleException;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.svid.IssuingCa;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Broken and hostile peers: each poll must fail, leave the stored bundle untouched and record the
 * error. Short timeouts keep the suite fast.
 */
class HostilePeerTest {
  static final TrustDomain PEER = TrustDomain.parse("peer.org");
  static final SpiffeId ENDPOINT_ID = SpiffeId.parse("spiffe://peer.org/bundle-endpoint");
  static final Clock CLOCK = Clock.systemUTC();
  static final FederationClientConfig FAST =
      new FederationClientConfig(
          PollingPolicy.defaults(), Duration.ofMillis(1000), Duration.ofMillis(500), 1 << 20, 3);

  static IssuingCa peerCa;
  static SpiffeBundle good; // sequence 5, already stored before every poll
  static TestPki.WebCa webCa;
  static HostileServer web;
  static HostileServer spiffe;
  static HostileServer spiffeWrongId;
  static HostileServer expired;
  static HostileServer selfSigned;
  static HostileServer wrongHost;

  @BeforeAll
  static void startServers() throws Exception {
    Instant now = Instant.now();
    peerCa = TestPki.spiffeCa(PEER, CLOCK);
    good = TestPki.bundle(PEER, 5, peerCa);
    webCa = TestPki.webCa("Hostile Test CA", now);
    String goodDoc = new String(SpiffeBundleCodec.write(good), StandardCharsets.UTF_8);
    web =
        new HostileServer(
                TestPki.webServer(webCa, now.minusSeconds(60), now.plusSeconds(3600), "127.0.0.1"))
            .json("/good", goodDoc)
            .status("/500", 500)
            .hang("/hang")
            .trickle("/trickle")
            .huge("/huge", true)
            .huge("/huge-chunked", false)
            .json("/invalid-json", "{\"keys\": [")
            .json("/duplicate", "{\"keys\": [], \"keys\": []}")
            .json("/lower-sequence", "{\"keys\": [], \"spiffe_sequence\": 3}")
            .json("/empty", "{\"keys\": [], \"spiffe_sequence\": 6}")
            .json("/not-a-bundle", "[]")
            .redirect("/to-http", 302, "http://127.0.0.1:1/good")
            .redirect("/loop-a", 307, "/loop-b")
            .redirect("/loop-b", 307, "/loop-a")
            .redirect("/to-good", 302, "/good")
            .redirect("/to-userinfo", 302, "https://user@127.0.0.1/good");
    spiffe = new HostileServer(TestPki.svid(peerCa, ENDPOINT_ID, CLOCK)).json("/good", goodDoc);
    spiffeWrongId =
        new HostileServer(
                TestPki.svid(peerCa, SpiffeId.parse("spiffe://peer.org/not-the-endpoint"), CLOCK))
            .json("/good", goodDoc);
    expired =
        new HostileServer(
                TestPki.webServer(
                    webCa, now.minusSeconds(7200), now.minusSeconds(3600), "127.0.0.1"))
            .json("/good", goodDoc);
    selfSigned =
        new HostileServer(TestPki.selfSignedServer(now, "127.0.0.1")).json("/good", goodDoc);
    wrongHost =
        new HostileServer(
                TestPki.webServer(
                    webCa, now.minusSeconds(60), now.plusSeconds(3600), "wrong.example"))
            .json("/good", goodDoc);
  }

  @AfterAll
  static void stopServers() {
    for (HostileServer s : List.of(web, spiffe, spiffeWrongId, expired, selfSigned, wrongHost)) {
      s.close();
    }
  }

  /** Polls once with {@link #good} already stored; returns the state and the store. */
  record Outcome(RelationshipState state, InMemoryFederatedBundleStore store) {
    void assertFailedKeepingGood(String messagePrefix) {
      assertEquals(good, store.load(PEER).orElseThrow(), "stored bundle untouched");
      assertEquals(1, state.consecutiveFailures());
      assertTrue(state.lastSuccess().isEmpty());
      String error = state.lastError().orElseThrow();
      assertTrue(error.startsWith(messagePrefix), error);
      assertEquals(BigInteger.valueOf(5), state.sequence().orElseThrow());
    }
  }

  static Outcome poll(URI url, FederationRelationship.Profile profile) {
    InMemoryFederatedBundleStore store = new InMemoryFederatedBundleStore();
    store.store(good);
    try (FederationClient client =
        new FederationClient(FAST, store, RelationshipStateListener.NONE, CLOCK)) {
      client.put(new FederationRelationship(PEER, url, profile));
      return new Outcome(client.pollOnce(PEER), store);
    }
  }

  static Outcome pollWeb(HostileServer server, String path) {
    return poll(
        server.url(path), new FederationRelationship.HttpsWeb(List.of(webCa.certificate())));
  }

  static Outcome pollSpiffe(HostileServer server, String path) {
    return poll(
        server.url(path),
        new FederationRelationship.HttpsSpiffe(ENDPOINT_ID, TestPki.bundle(PEER, 1, peerCa)));
  }

  @Test
  void sanity_goodPeer_succeeds() {
    Outcome o = pollWeb(web, "/good");
    assertTrue(o.state().healthy(), o.state().toString());
  }

  @Test
  void connectionRefused_keepsBundle() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    poll(
            URI.create("https://127.0.0.1:" + port + "/"),
            new FederationRelationship.HttpsWeb(List.of(webCa.certificate())))
        .assertFailedKeepingGood(FetchException.CONNECT_FAILED);
  }

  @Test
  void http500_keepsBundle() {
    pollWeb(web, "/500").assertFailedKeepingGood(FetchException.HTTP_STATUS + " 500");
  }

  @Test
  void serverNeverAnswers_timesOut() {
    long start = System.nanoTime();
    pollWeb(web, "/hang").assertFailedKeepingGood(FetchException.TIMEOUT);
    assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 3000);
  }

  @Test
  void tricklingBody_beyondReadTimeout_isAborted() {
    long start = System.nanoTime();
    pollWeb(web, "/trickle").assertFailedKeepingGood(FetchException.TIMEOUT);
    assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 3000);
  }

  @Test
  void body20MegabytesWithContentLength_isAborted() {
    pollWeb(web, "/huge").assertFailedKeepingGood(FetchException.TOO_LARGE);
  }

  @Test
  void body20MegabytesChunked_isAbortedAtTheLimit() {
    pollWeb(web, "/huge-chunked").assertFailedKeepingGood(FetchException.TOO_LARGE);
  }

  @Test
  void invalidJson_isRejected() {
    pollWeb(web, "/invalid-json")
        .assertFailedKeepingGood(
            FetchException.BUNDLE_REJECTED + ": " + InvalidBundleException.MALFORMED_JSON);
  }

  @Test
  void duplicateMembers_areRejected() {
    pollWeb(web, "/duplicate")
        .assertFailedKeepingGood(
            FetchException.BUNDLE_REJECTED + ": " + InvalidBundleException.DUPLICATE_MEMBER);
  }

  @Test
  void notAnObject_isRejected() {
    pollWeb(web, "/not-a-bundle")
        .assertFailedKeepingGood(
            FetchException.BUNDLE_REJECTED + ": " + InvalidBundleException.BUNDLE_NOT_OBJECT);
  }

  @Test
  void lowerSequence_isRefusedAndReported() {
    Outcome o = pollWeb(web, "/lower-sequence");
    o.assertFailedKeepingGood(FetchException.SEQUENCE_DECREASED);
    assertTrue(o.state().lastError().orElseThrow().contains("3 < 5"));
  }

  @Test
  void effectivelyEmptyBundle_isApplied() {
    Outcome o = pollWeb(web, "/empty");
    SpiffeBundle stored = o.store().load(PEER).orElseThrow();
    assertTrue(stored.isEffectivelyEmpty());
    assertEquals(BigInteger.valueOf(6), stored.sequence().orElseThrow());
    assertTrue(o.state().healthy());
    assertEquals(BigInteger.valueOf(6), o.state().sequence().orElseThrow());
    assertTrue(o.state().earliestExpiry().isEmpty());
  }

  @Test
  void redirectToHttp_isRefused() {
    pollWeb(web, "/to-http").assertFailedKeepingGood(FetchException.REDIRECT_INVALID);
    assertTrue(
        pollWeb(web, "/to-http")
            .state()
            .lastError()
            .orElseThrow()
            .contains(FederationRelationship.URL_NOT_HTTPS));
  }

  @Test
  void redirectToUrlWithUserinfo_isRefused() {
    Outcome o = pollWeb(web, "/to-userinfo");
    o.assertFailedKeepingGood(FetchException.REDIRECT_INVALID);
    assertTrue(o.state().lastError().orElseThrow().contains(FederationRelationship.URL_USERINFO));
  }

  @Test
  void redirectLoop_stopsAfterThreeRedirects() {
    int before = web.hits("/loop-a") + web.hits("/loop-b");
    pollWeb(web, "/loop-a").assertFailedKeepingGood(FetchException.TOO_MANY_REDIRECTS);
    assertEquals(4, web.hits("/loop-a") + web.hits("/loop-b") - before);
  }

  @Test
  void redirectToValidUrl_isFollowedButNeverStored() {
    InMemoryFederatedBundleStore store = new InMemoryFederatedBundleStore();
    try (FederationClient client =
        new FederationClient(FAST, store, RelationshipStateListener.NONE, CLOCK)) {
      URI configured = web.url("/to-good");
      client.put(
          new FederationRelationship(
              PEER, configured, new FederationRelationship.HttpsWeb(List.of(webCa.certificate()))));
      int before = web.hits("/to-good");
      assertTrue(client.pollOnce(PEER).healthy());
      assertTrue(client.pollOnce(PEER).healthy());
      assertEquals(before + 2, web.hits("/to-good"), "every poll starts at the configured URL");
      assertEquals(configured, client.relationship(PEER).orElseThrow().url());
      assertEquals(good, store.load(PEER).orElseThrow());
    }
  }

  @Test
  void httpsWeb_expiredCertificate_isRefused() {
    pollWeb(expired, "/good").assertFailedKeepingGood(FetchException.TLS_FAILED);
  }

  @Test
  void httpsWeb_selfSignedCertificate_isRefused() {
    pollWeb(selfSigned, "/good").assertFailedKeepingGood(FetchException.TLS_FAILED);
  }

  @Test
  void httpsWeb_certificateForAnotherHost_isRefused() {
    Outcome o = pollWeb(wrongHost, "/good");
    o.assertFailedKeepingGood(FetchException.TLS_FAILED);
  }

  @Test
  void httpsWeb_systemRoots_doNotTrustTheTestCa() {
    poll(web.url("/good"), FederationRelationship.HttpsWeb.systemRoots())
        .assertFailedKeepingGood(FetchException.TLS_FAILED);
  }

  @Test
  void httpsSpiffe_svidForAnotherId_isRefused() {
    Outcome o = pollSpiffe(spiffeWrongId, "/good");
    o.assertFailedKeepingGood(FetchException.TLS_FAILED);
    assertTrue(
        o.state().lastError().orElseThrow().contains(SpiffeEndpointTrustManager.WRONG_ID),
        o.state().lastError().orElseThrow());
  }

  @Test
  void httpsSpiffe_webCertificate_isRefused() {
    pollSpiffe(web, "/good").assertFailedKeepingGood(FetchException.TLS_FAILED);
  }

  @Test
  void httpsSpiffe_goodSvid_succeeds() {
    assertTrue(pollSpiffe(spiffe, "/good").state().healthy());
  }
}
