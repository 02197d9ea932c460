package dev.trustbridge.ca.server;

import dev.trustbridge.ca.authority.TrustDomainAuthority;
import dev.trustbridge.ca.config.BundleEndpointSettings;
import dev.trustbridge.ca.config.TrustDomainConfig;
import dev.trustbridge.ca.tls.RotatingKeyManager;
import dev.trustbridge.federation.endpoint.BundleEndpointConfig;
import dev.trustbridge.federation.endpoint.BundleEndpointProfile;
import dev.trustbridge.federation.endpoint.BundleEndpointServer;
import dev.trustbridge.federation.endpoint.LocalBundleSource;
import dev.trustbridge.federation.endpoint.ServerCredential;
import dev.trustbridge.federation.endpoint.ServerSvidSource;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** The SPIFFE bundle endpoints of the hosted trust domains that configure one. */
final class BundleEndpoints implements AutoCloseable {
  private static final long START_TIMEOUT_SECONDS = 30;

  private final Vertx vertx;
  private final Map<TrustDomain, BundleEndpointServer> servers;

  private BundleEndpoints(Vertx vertx, Map<TrustDomain, BundleEndpointServer> servers) {
    this.vertx = vertx;
    this.servers = servers;
  }

  static BundleEndpoints start(
      Collection<TrustDomainConfig> trustDomains,
      Map<TrustDomain, TrustDomainAuthority> authorities,
      Map<TrustDomain, LocalIdentities> identities,
      Clock clock) {
    if (trustDomains.stream().allMatch(td -> td.bundleEndpoint().isEmpty())) {
      return new BundleEndpoints(null, Map.of());
    }
    Vertx vertx = Vertx.vertx();
    Map<TrustDomain, BundleEndpointServer> servers = new LinkedHashMap<>();
    BundleEndpoints endpoints = new BundleEndpoints(vertx, servers);
    try {
      for (TrustDomainConfig td : trustDomains) {
        if (td.bundleEndpoint().isEmpty()) {
          continue;
        }
        BundleEndpointSettings settings = td.bundleEndpoint().get();
        BundleEndpointProfile profile =
            settings.profile() == BundleEndpointSettings.Profile.HTTPS_WEB
                ? new BundleEndpointProfile.HttpsWeb(
                    settings.certificateFile().orElseThrow(), settings.keyFile().orElseThrow())
                : new BundleEndpointProfile.HttpsSpiffe(svidSource(identities.get(td.name())));
        BundleEndpointConfig config =
            new BundleEndpointConfig(
                td.name(),
                settings.listen().host(),
                settings.listen().port(),
                profile,
                BundleEndpointConfig.DEFAULT_FILE_CHECK_INTERVAL);
        servers.put(
            td.name(),
            BundleEndpointServer.start(
                    vertx, config, bundleSource(authorities.get(td.name())), clock)
                .toCompletionStage()
                .toCompletableFuture()
                .get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS));
      }
      return endpoints;
    } catch (Exception e) {
      endpoints.close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new TrustbridgeException(
          ErrorCode.UNAVAILABLE, "cannot start a bundle endpoint: " + rootMessage(e), e);
    }
  }

  Optional<Integer> port(TrustDomain td) {
    return Optional.ofNullable(servers.get(td)).map(BundleEndpointServer::port);
  }

  private static LocalBundleSource bundleSource(TrustDomainAuthority authority) {
    return new LocalBundleSource() {
      @Override
      public SpiffeBundle current() {
        return authority.bundle();
      }

      @Override
      public dev.trustbridge.federation.endpoint.Subscription onChange(
          Consumer<SpiffeBundle> listener) {
        return authority.subscribe(listener)::run;
      }
    };
  }

  private static ServerSvidSource svidSource(LocalIdentities identities) {
    return new ServerSvidSource() {
      @Override
      public ServerCredential current() {
        return credential(identities.serverKeys().current());
      }

      @Override
      public dev.trustbridge.federation.endpoint.Subscription onChange(
          Consumer<ServerCredential> listener) {
        return identities.subscribe(c -> listener.accept(credential(c)))::run;
      }
    };
  }

  private static ServerCredential credential(RotatingKeyManager.Credential credential) {
    return new ServerCredential(credential.chain(), credential.privateKey());
  }

  private static String rootMessage(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }

  @Override
  public void close() {
    servers.values().forEach(s -> s.close());
    if (vertx != null) {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
