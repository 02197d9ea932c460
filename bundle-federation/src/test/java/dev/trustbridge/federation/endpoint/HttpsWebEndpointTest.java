package dev.trustbridge.federation.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.trustbridge.federation.testing.MutableSources;
import dev.trustbridge.federation.testing.TestHttps;
import dev.trustbridge.federation.testing.TestPki;
import dev.trustbridge.spiffe.id.TrustDomain;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code https_web} profile: PEM files, reloaded when they change. */
class HttpsWebEndpointTest {
  static final TrustDomain TD = TrustDomain.parse("example.org");
  static final Clock CLOCK = Clock.systemUTC();

  @TempDir Path dir;
  Vertx vertx;
  TestPki.WebCa webCa;
  Path chainFile;
  Path keyFile;
  MutableSources.Bundles bundles;
  BundleEndpointServer server;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    webCa = TestPki.webCa("Test Web CA", Instant.now());
    chainFile = dir.resolve("chain.pem");
    keyFile = dir.resolve("key.pem");
    bundles = new MutableSources.Bundles(TestPki.bundle(TD, 1, TestPki.spiffeCa(TD, CLOCK)));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      BundleEndpointServerTest.await(server.close());
    }
    BundleEndpointServerTest.await(vertx.close());
  }

  private ServerCredential webPair() {
    Instant now = Instant.now();
    return TestPki.webServer(webCa, now.minusSeconds(60), now.plusSeconds(3600), "127.0.0.1");
  }

  private BundleEndpointServer start() throws Exception {
    server = null;
    server =
        BundleEndpointServerTest.await(
            BundleEndpointServer.start(
                vertx,
                new BundleEndpointConfig(
                    TD,
                    "127.0.0.1",
                    0,
                    new BundleEndpointProfile.HttpsWeb(chainFile, keyFile),
                    Duration.ofMillis(50)),
                bundles,
                CLOCK));
    return server;
  }

  @Test
  void httpsWeb_servesTheConfiguredCertificate() throws Exception {
    ServerCredential pair = webPair();
    TestPki.writePair(pair, chainFile, keyFile);
    start();
    TestHttps.Response r = TestHttps.get(server.port());
    assertEquals(200, r.status());
    assertEquals(pair.leaf(), r.serverLeaf());
  }

  @Test
  void httpsWeb_filesReplaced_newCertificateServed() throws Exception {
    TestPki.writePair(webPair(), chainFile, keyFile);
    start();
    ServerCredential next = webPair();
    TestPki.writePair(next, chainFile, keyFile);
    assertEquals(
        next.leaf(),
        BundleEndpointServerTest.awaitLeaf(server.port(), next, Duration.ofSeconds(5)));
  }

  @Test
  void httpsWeb_badNewPair_isLoggedAndOldPairKept() throws Exception {
    ServerCredential first = webPair();
    TestPki.writePair(first, chainFile, keyFile);
    start();
    // Certificate replaced, key not: a mismatched pair.
    TestPki.write(chainFile, TestPki.pem(webPair().chain()));
    Thread.sleep(300);
    assertEquals(first.leaf(), TestHttps.get(server.port()).serverLeaf());
    // Garbage key: still the old pair.
    TestPki.write(keyFile, "not a key");
    Thread.sleep(300);
    assertEquals(first.leaf(), TestHttps.get(server.port()).serverLeaf());
    // A good pair again is picked up.
    ServerCredential good = webPair();
    TestPki.writePair(good, chainFile, keyFile);
    assertEquals(
        good.leaf(),
        BundleEndpointServerTest.awaitLeaf(server.port(), good, Duration.ofSeconds(5)));
  }

  @Test
  void httpsWeb_expiredCertificateAtStart_fails() {
    Instant now = Instant.now();
    TestPki.writePair(
        TestPki.webServer(webCa, now.minusSeconds(7200), now.minusSeconds(3600), "127.0.0.1"),
        chainFile,
        keyFile);
    ExecutionException e = assertThrows(ExecutionException.class, this::start);
    assertEquals(ServerCredentials.NOT_VALID_NOW, e.getCause().getMessage());
  }
}
