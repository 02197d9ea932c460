package dev.trustbridge.federation.endpoint;

import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The SPIFFE bundle endpoint of one trust domain (SPIFFE Federation sections 4 and 5): an HTTPS
 * server on Vert.x that answers {@code GET /} with the current bundle document.
 *
 * <ul>
 *   <li>{@code GET /} (any query) returns {@link SpiffeBundleCodec#write} of the current bundle,
 *       {@code 200}, {@code Content-Type: application/json} (the document is UTF-8) and {@code
 *       Cache-Control: no-store}. Other methods on {@code /} get {@code 405} with {@code Allow:
 *       GET}; other paths {@code 404}. No redirects are sent.
 *   <li>HTTPS only, HTTP/1.1, no client authentication of any kind; TLS 1.2 and 1.3 only, with the
 *       Mozilla "intermediate" cipher suites ({@link #CIPHER_SUITES}).
 *   <li>TLS runs on OpenSSL (BoringSSL from netty-tcnative) where its native library loads, and on
 *       the JDK's engine otherwise; the choice is logged at start. The JDK engine's handshakes
 *       (X25519 and P-256 in Java) took 1.2-2.2 ms of CPU each in the benchmark, against 0.3-0.6 ms
 *       on BoringSSL (docs/benchmarks.md).
 *   <li>The document is serialized once per bundle change ({@link LocalBundleSource#onChange}); a
 *       request only writes the cached bytes.
 *   <li>Credentials change without a restart: {@code https_web} files are checked every {@link
 *       BundleEndpointConfig#fileCheckInterval()} and {@code https_spiffe} SVIDs are swapped on
 *       {@link ServerSvidSource#onChange}; both take effect for new connections through {@link
 *       HttpServer#updateSSLOptions}. A credential that fails its checks is logged and the previous
 *       one stays in use.
 * </ul>
 *
 * <p>Created by {@link #start}; stopped by {@link #close()}. Thread safe.
 */
public final class BundleEndpointServer {
  private static final System.Logger LOG = System.getLogger(BundleEndpointServer.class.getName());

  /** The TLS versions offered. */
  public static final List<String> TLS_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /**
   * Mozilla "intermediate" (server side TLS guidelines v5): the three TLS 1.3 suites, then the TLS
   * 1.2 ECDHE suites with AES-GCM and CHACHA20-POLY1305. The DHE suites of that list are left out:
   * every client of a SPIFFE bundle endpoint supports ECDHE.
   */
  public static final List<String> CIPHER_SUITES =
      List.of(
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  public static final String WRONG_TRUST_DOMAIN = "bundle is not of the served trust domain";

  static final String CONTENT_TYPE = "application/json";

  /**
   * Chosen once per JVM: whether netty-tcnative loads does not change while it runs. Setting the
   * system property {@code io.netty.handler.ssl.noOpenSsl=true} forces the JDK engine.
   */
  private static final TlsEngine TLS_ENGINE = TlsEngine.choose();

  private final Vertx vertx;
  private final BundleEndpointConfig config;
  private final Clock clock;
  private final AtomicReference<Buffer> document = new AtomicReference<>();
  private final AtomicReference<SpiffeBundle> served = new AtomicReference<>();
  private final List<Subscription> subscriptions = new ArrayList<>();
  private volatile HttpServer server;
  private volatile long fileTimer = -1;
  private Optional<List<Object>> lastFileStamp = Optional.empty(); // guarded by this

  private BundleEndpointServer(Vertx vertx, BundleEndpointConfig config, Clock clock) {
    this.vertx = vertx;
    this.config = config;
    this.clock = clock;
  }

  /**
   * Starts a bundle endpoint. Blocking work (reading {@code https_web} files) runs on a Vert.x
   * worker thread.
   *
   * @param vertx the Vert.x instance to run on
   * @param config where to listen and how to authenticate
   * @param bundles the bundle to serve and its changes
   * @param clock the time at which credentials are checked for validity
   * @return a future completed with the listening server, or failed if the bundle is of another
   *     trust domain, the credential is unusable or the port cannot be bound
   */
  public static Future<BundleEndpointServer> start(
      Vertx vertx, BundleEndpointConfig config, LocalBundleSource bundles, Clock clock) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(bundles, "bundles");
    Objects.requireNonNull(clock, "clock");
    BundleEndpointServer endpoint = new BundleEndpointServer(vertx, config, clock);
    return vertx
        .executeBlocking(
            () -> {
              endpoint.publish(bundles.current());
              return endpoint.initialCredential();
            },
            false)
        .compose(credential -> endpoint.listen(credential, bundles))
        .map(endpoint);
  }

  /** The bound TCP port (the actual one when the configuration asked for port 0). */
  public int port() {
    return server.actualPort();
  }

  /** The bundle currently served. */
  public SpiffeBundle servedBundle() {
    return served.get();
  }

  /** Stops listening, stops watching files and sources. */
  public Future<Void> close() {
    synchronized (subscriptions) {
      subscriptions.forEach(Subscription::cancel);
      subscriptions.clear();
    }
    if (fileTimer >= 0) {
      vertx.cancelTimer(fileTimer);
    }
    HttpServer s = server;
    return s == null ? Future.succeededFuture() : s.close();
  }

  private ServerCredential initialCredential() {
    if (config.profile() instanceof BundleEndpointProfile.HttpsWeb web) {
      synchronized (this) {
        lastFileStamp = fileStamp(web);
        return ServerCredentials.loadPem(
            vertx, web.certificateChainFile(), web.privateKeyFile(), clock);
      }
    }
    ServerCredential credential =
        ((BundleEndpointProfile.HttpsSpiffe) config.profile()).svidSource().current();
    ServerCredentials.check(credential, clock);
    return credential;
  }

  private Future<Void> listen(ServerCredential credential, LocalBundleSource bundles) {
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(config.host())
            .setPort(config.port())
            .setSsl(true)
            .setUseAlpn(false)
            .setSni(false)
            .setClientAuth(ClientAuth.NONE)
            .setIdleTimeout(60)
            .setIdleTimeoutUnit(TimeUnit.SECONDS)
            .setSslHandshakeTimeout(10)
            .setSslHandshakeTimeoutUnit(TimeUnit.SECONDS)
            .setEnabledSecureTransportProtocols(new LinkedHashSet<>(TLS_PROTOCOLS))
            .setSslEngineOptions(TLS_ENGINE.options())
            .setKeyCertOptions(ServerCredentials.toKeyCertOptions(credential));
    CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
    HttpServer s = vertx.createHttpServer(options).requestHandler(this::handle);
    server = s;
    return s.listen()
        .onSuccess(
            bound -> {
              synchronized (subscriptions) {
                subscriptions.add(bundles.onChange(this::publish));
              }
              watchCredentials();
              LOG.log(
                  Level.INFO,
                  "bundle endpoint for {0} listening on {1}:{2} ({3}, TLS engine {4}), serving {5}",
                  config.trustDomain(),
                  config.host(),
                  String.valueOf(bound.actualPort()),
                  profileName(),
                  TLS_ENGINE.name(),
                  served.get());
            })
        .mapEmpty();
  }

  private void handle(HttpServerRequest request) {
    if (!"/".equals(request.path())) {
      request.response().setStatusCode(404).end();
    } else if (request.method() != HttpMethod.GET) {
      request.response().setStatusCode(405).putHeader("Allow", "GET").end();
    } else {
      request
          .response()
          .putHeader("Content-Type", CONTENT_TYPE)
          .putHeader("Cache-Control", "no-store")
          .end(document.get());
    }
  }

  /** Serializes a new bundle once; requests then only write the cached bytes. */
  private void publish(SpiffeBundle bundle) {
    Objects.requireNonNull(bundle, "bundle");
    if (!bundle.trustDomain().equals(config.trustDomain())) {
      LOG.log(
          Level.ERROR,
          "bundle endpoint for {0}: ignoring a bundle of trust domain {1}",
          config.trustDomain(),
          bundle.trustDomain());
      if (served.get() == null) {
        throw new IllegalArgumentException(WRONG_TRUST_DOMAIN);
      }
      return;
    }
    synchronized (document) {
      if (bundle.equals(served.get())) {
        return;
      }
      document.set(Buffer.buffer(SpiffeBundleCodec.write(bundle)));
      served.set(bundle);
    }
    LOG.log(Level.INFO, "bundle endpoint for {0} now serves {1}", config.trustDomain(), bundle);
  }

  private void watchCredentials() {
    if (config.profile() instanceof BundleEndpointProfile.HttpsWeb web) {
      fileTimer =
          vertx.setPeriodic(
              config.fileCheckInterval().toMillis(),
              id -> {
                try {
                  vertx.executeBlocking(() -> checkFiles(web), false);
                } catch (RuntimeException e) {
                  // Vert.x is shutting down; the timer dies with it.
                  LOG.log(Level.DEBUG, "certificate file check not run: {0}", e.toString());
                }
              });
    } else {
      ServerSvidSource source = ((BundleEndpointProfile.HttpsSpiffe) config.profile()).svidSource();
      synchronized (subscriptions) {
        subscriptions.add(source.onChange(this::renewedSvid));
      }
    }
  }

  private void renewedSvid(ServerCredential credential) {
    try {
      ServerCredentials.check(credential, clock);
    } catch (IllegalStateException e) {
      LOG.log(
          Level.WARNING,
          "bundle endpoint for {0}: renewed SVID refused ({1}); keeping the previous one",
          config.trustDomain(),
          e.getMessage());
      return;
    }
    swap(ServerCredentials.toKeyCertOptions(credential), credential);
  }

  /** Runs on a worker thread; reloads only when a file's time, size or identity changed. */
  private synchronized Void checkFiles(BundleEndpointProfile.HttpsWeb web) {
    Optional<List<Object>> stamp = fileStamp(web);
    if (stamp.isEmpty() || stamp.equals(lastFileStamp)) {
      return null;
    }
    lastFileStamp = stamp;
    try {
      ServerCredential credential =
          ServerCredentials.loadPem(vertx, web.certificateChainFile(), web.privateKeyFile(), clock);
      swap(ServerCredentials.toKeyCertOptions(credential), credential);
    } catch (RuntimeException e) {
      LOG.log(
          Level.WARNING,
          "bundle endpoint for {0}: new certificate files refused ({1}); keeping the previous pair",
          config.trustDomain(),
          e.getMessage());
    }
    return null;
  }

  private static Optional<List<Object>> fileStamp(BundleEndpointProfile.HttpsWeb web) {
    List<Object> stamp = new ArrayList<>();
    for (Path p : List.of(web.certificateChainFile(), web.privateKeyFile())) {
      try {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        stamp.add(a.lastModifiedTime());
        stamp.add(a.size());
        stamp.add(String.valueOf(a.fileKey()));
      } catch (IOException e) {
        // Mid-replacement; look again at the next check.
        return Optional.empty();
      }
    }
    return Optional.of(stamp);
  }

  private void swap(KeyCertOptions keyCert, ServerCredential credential) {
    ServerSSLOptions ssl =
        new ServerSSLOptions()
            .setClientAuth(ClientAuth.NONE)
            .setSni(false)
            .setUseAlpn(false)
            .setSslHandshakeTimeout(10)
            .setSslHandshakeTimeoutUnit(TimeUnit.SECONDS)
            .setEnabledSecureTransportProtocols(new LinkedHashSet<>(TLS_PROTOCOLS))
            .setKeyCertOptions(keyCert);
    CIPHER_SUITES.forEach(ssl::addEnabledCipherSuite);
    server
        .updateSSLOptions(ssl, true)
        .onSuccess(
            updated ->
                LOG.log(
                    Level.INFO,
                    "bundle endpoint for {0} now presents {1}",
                    config.trustDomain(),
                    credential))
        .onFailure(
            e ->
                LOG.log(
                    Level.WARNING,
                    "bundle endpoint for {0}: TLS update failed ({1}); keeping the previous"
                        + " credential",
                    config.trustDomain(),
                    e.getMessage()));
  }

  /** The TLS implementation under Netty's {@code SslHandler}, and the name it is logged with. */
  private record TlsEngine(boolean openSsl, String name) {
    static TlsEngine choose() {
      TlsEngine engine =
          OpenSSLEngineOptions.isAvailable()
              ? new TlsEngine(true, "OpenSSL (netty-tcnative BoringSSL)")
              : new TlsEngine(false, "JDK (netty-tcnative not loaded)");
      LOG.log(Level.INFO, "bundle endpoint TLS engine: {0}", engine.name());
      return engine;
    }

    SSLEngineOptions options() {
      return openSsl ? new OpenSSLEngineOptions() : new JdkSSLEngineOptions();
    }
  }

  private String profileName() {
    return config.profile() instanceof BundleEndpointProfile.HttpsWeb
        ? "https_web"
        : "https_spiffe";
  }
}
