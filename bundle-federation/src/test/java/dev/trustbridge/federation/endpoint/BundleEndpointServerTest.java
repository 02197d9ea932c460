package dev.trustbridge.federation.endpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.federation.testing.MutableSources;
import dev.trustbridge.federation.testing.TestHttps;
import dev.trustbridge.federation.testing.TestPki;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.svid.IssuingCa;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The endpoint over real HTTPS on 127.0.0.1, {@code https_spiffe} profile. */
class BundleEndpointServerTest {
  static final TrustDomain TD = TrustDomain.parse("example.org");
  static final SpiffeId SERVER_ID = SpiffeId.parse("spiffe://example.org/bundle-endpoint");
  static final Clock CLOCK = Clock.systemUTC();

  static Vertx vertx;
  static IssuingCa ca;
  static MutableSources.Bundles bundles;
  static MutableSources.Svids svids;
  static BundleEndpointServer server;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    ca = TestPki.spiffeCa(TD, CLOCK);
    bundles = new MutableSources.Bundles(TestPki.bundle(TD, 1, ca));
    svids = new MutableSources.Svids(TestPki.svid(ca, SERVER_ID, CLOCK));
    server =
        await(
            BundleEndpointServer.start(
                vertx,
                new BundleEndpointConfig(
                    TD, "127.0.0.1", 0, new BundleEndpointProfile.HttpsSpiffe(svids)),
                bundles,
                CLOCK));
  }

  @AfterAll
  static void stop() throws Exception {
    await(server.close());
    await(vertx.close());
  }

  static <T> T await(io.vertx.core.Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void get_root_returnsExactDocumentAsJsonWithNoStore() {
    TestHttps.Response r = TestHttps.get(server.port());
    assertEquals(200, r.status());
    assertEquals("application/json", r.headers().get("content-type"));
    assertEquals("no-store", r.headers().get("cache-control"));
    assertArrayEquals(SpiffeBundleCodec.write(bundles.current()), r.body());
    assertEquals(bundles.current(), SpiffeBundleCodec.parse(TD, r.body()));
  }

  @Test
  void get_rootWithQuery_isServed() {
    assertEquals(200, TestHttps.request(server.port(), "GET", "/?x=1").status());
  }

  @ParameterizedTest
  @ValueSource(strings = {"POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})
  void otherMethod_onRoot_is405WithAllowGet(String method) {
    TestHttps.Response r = TestHttps.request(server.port(), method, "/");
    assertEquals(405, r.status());
    assertEquals("GET", r.headers().get("allow"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/other", "/bundle", "//", "/index.html"})
  void otherPath_is404(String path) {
    assertEquals(404, TestHttps.request(server.port(), "GET", path).status());
  }

  @Test
  void tls11_isRefusedWithProtocolVersionAlert() throws IOException {
    int[] answer = TestHttps.helloTls11(server.port());
    // A server accepting TLS 1.1 would answer with a handshake record (22); ours sends a fatal
    // protocol_version (70) alert (21).
    assertArrayEquals(new int[] {21, 70}, answer);
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  void tls12And13_areAccepted(String protocol) {
    TestHttps.Response r = TestHttps.request(server.port(), "GET", "/", List.of(protocol), null);
    assertEquals(200, r.status());
    assertEquals(protocol, r.protocol());
    assertTrue(BundleEndpointServer.CIPHER_SUITES.contains(r.cipherSuite()), r.cipherSuite());
  }

  @Test
  void tls12_cbcSuiteOutsideMozillaIntermediate_isRefused() {
    assertThrows(
        IOException.class,
        () ->
            TestHttps.handshake(
                server.port(),
                List.of("TLSv1.2"),
                List.of("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256")));
  }

  @Test
  void noClientCertificateIsRequested() {
    for (String protocol : List.of("TLSv1.2", "TLSv1.3")) {
      TestHttps.Response r = TestHttps.request(server.port(), "GET", "/", List.of(protocol), null);
      assertFalse(r.clientCertificateRequested(), protocol);
    }
  }

  @Test
  void bundleChange_newBytesServedWithHigherSequence() {
    SpiffeBundle before = SpiffeBundleCodec.parse(TD, TestHttps.get(server.port()).body());
    IssuingCa next = TestPki.spiffeCa(TD, CLOCK);
    BigInteger seq = before.sequence().orElseThrow().add(BigInteger.ONE);
    SpiffeBundle changed =
        before.toBuilder().addX509Authority(next.certificate()).sequence(seq).build();
    bundles.set(changed);
    TestHttps.Response r = TestHttps.get(server.port());
    assertArrayEquals(SpiffeBundleCodec.write(changed), r.body());
    assertEquals(seq, SpiffeBundleCodec.parse(TD, r.body()).sequence().orElseThrow());
    assertEquals(changed, server.servedBundle());
  }

  @Test
  void bundleOfOtherTrustDomain_isIgnored() {
    SpiffeBundle served = server.servedBundle();
    TrustDomain other = TrustDomain.parse("other.org");
    bundles.set(TestPki.bundle(other, 99, TestPki.spiffeCa(other, CLOCK)));
    assertEquals(served, server.servedBundle());
    assertArrayEquals(SpiffeBundleCodec.write(served), TestHttps.get(server.port()).body());
  }

  @Test
  void svidRenewed_newCertificateServedWithoutRestart() throws Exception {
    ServerCredential renewed = TestPki.svid(ca, SERVER_ID, CLOCK);
    assertNotEquals(renewed.leaf(), TestHttps.get(server.port()).serverLeaf());
    svids.set(renewed);
    assertEquals(renewed.leaf(), awaitLeaf(server.port(), renewed, Duration.ofSeconds(5)));
  }

  @Test
  void svidRenewedWithMismatchedKey_isRefusedAndOldKept() throws Exception {
    ServerCredential current = svids.current();
    ServerCredential good = TestPki.svid(ca, SERVER_ID, CLOCK);
    ServerCredential bad = new ServerCredential(good.chain(), TestPki.ecKeyPair().getPrivate());
    svids.set(bad);
    Thread.sleep(200);
    assertEquals(current.leaf(), TestHttps.get(server.port()).serverLeaf());
  }

  @Test
  void start_withBundleOfOtherTrustDomain_fails() {
    TrustDomain other = TrustDomain.parse("other.org");
    MutableSources.Bundles wrong =
        new MutableSources.Bundles(TestPki.bundle(other, 1, TestPki.spiffeCa(other, CLOCK)));
    ExecutionException e =
        assertThrows(
            ExecutionException.class,
            () ->
                await(
                    BundleEndpointServer.start(
                        vertx,
                        new BundleEndpointConfig(
                            TD, "127.0.0.1", 0, new BundleEndpointProfile.HttpsSpiffe(svids)),
                        wrong,
                        CLOCK)));
    assertEquals(BundleEndpointServer.WRONG_TRUST_DOMAIN, e.getCause().getMessage());
  }

  /** Polls (new connections) until the expected leaf is presented; the update is asynchronous. */
  static Object awaitLeaf(int port, ServerCredential expected, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Object leaf = null;
    while (System.nanoTime() < deadline) {
      leaf = TestHttps.get(port).serverLeaf();
      if (leaf.equals(expected.leaf())) {
        return leaf;
      }
      Thread.sleep(50);
    }
    return leaf;
  }
}
