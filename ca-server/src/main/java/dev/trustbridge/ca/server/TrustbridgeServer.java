package dev.trustbridge.ca.server;

import dev.trustbridge.ca.api.AdminInterceptor;
import dev.trustbridge.ca.api.AuthorityAdminService;
import dev.trustbridge.ca.api.BundleAdminService;
import dev.trustbridge.ca.api.CertificateAuthorityService;
import dev.trustbridge.ca.api.EntryAdminService;
import dev.trustbridge.ca.api.FederationAdminService;
import dev.trustbridge.ca.api.IstioCertificateService;
import dev.trustbridge.ca.api.PolicyAdminService;
import dev.trustbridge.ca.api.TokenAdminService;
import dev.trustbridge.ca.audit.AuditLog;
import dev.trustbridge.ca.audit.GroupCommitAuditLog;
import dev.trustbridge.ca.authn.AuthenticationInterceptor;
import dev.trustbridge.ca.authn.Caller;
import dev.trustbridge.ca.authn.JoinTokens;
import dev.trustbridge.ca.authn.JwtAuthenticator;
import dev.trustbridge.ca.authority.TrustDomainAuthority;
import dev.trustbridge.ca.config.FederationConfig;
import dev.trustbridge.ca.config.ServerConfig;
import dev.trustbridge.ca.config.SvidConfig;
import dev.trustbridge.ca.config.TrustDomainConfig;
import dev.trustbridge.ca.distribution.BundleDistributor;
import dev.trustbridge.ca.federation.Federation;
import dev.trustbridge.ca.issuance.Authorizer;
import dev.trustbridge.ca.issuance.CsrValidator;
import dev.trustbridge.ca.issuance.X509SvidIssuer;
import dev.trustbridge.ca.policy.PolicyManager;
import dev.trustbridge.ca.store.JdbcDatastore;
import dev.trustbridge.ca.tls.SpiffeTrustManager;
import dev.trustbridge.ca.upstream.Upstreams;
import dev.trustbridge.federation.client.FederationClientConfig;
import dev.trustbridge.federation.client.PollingPolicy;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyManager;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.VerifiedX509Svid;
import dev.trustbridge.spiffe.svid.X509SvidVerifier;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running Trustbridge service: datastore, key backend, one CA per hosted trust domain, the gRPC
 * server over TLS with health and reflection, metrics, and periodic maintenance. Built from a
 * validated {@link ServerConfig}; {@link #close()} stops everything.
 */
public final class TrustbridgeServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TrustbridgeServer.class);
  private static final Duration MAINTENANCE_PERIOD = Duration.ofSeconds(30);

  /**
   * Above the largest CSR limit the configuration allows (4 MiB), so that an oversized CSR gets the
   * CSR validator's precise INVALID_ARGUMENT rather than gRPC's RESOURCE_EXHAUSTED, which Istio
   * agents would retry.
   */
  private static final int MAX_MESSAGE_BYTES = 4 * 1024 * 1024 + 64 * 1024;

  private final JdbcDatastore datastore;
  private final KeyManager keys;
  private final KeyManager intermediateKeys;
  private final Server grpc;
  private final HealthStatusManager health;
  private final MetricsServer metricsServer;
  private final ScheduledExecutorService maintenance;
  private final Path adminDir;
  private final Map<TrustDomain, TrustDomainAuthority> authorities;
  private final Federation federation;
  private final BundleEndpoints endpoints;
  private final Map<TrustDomain, LocalIdentities> identities;
  private final Runnable maintenanceTask;

  private final CallExecutors callExecutors;

  private TrustbridgeServer(
      JdbcDatastore datastore,
      KeyManager keys,
      KeyManager intermediateKeys,
      Server grpc,
      HealthStatusManager health,
      MetricsServer metricsServer,
      ScheduledExecutorService maintenance,
      Path adminDir,
      Map<TrustDomain, TrustDomainAuthority> authorities,
      Federation federation,
      BundleEndpoints endpoints,
      Map<TrustDomain, LocalIdentities> identities,
      Runnable maintenanceTask,
      CallExecutors callExecutors) {
    this.callExecutors = callExecutors;
    this.datastore = datastore;
    this.keys = keys;
    this.intermediateKeys = intermediateKeys;
    this.grpc = grpc;
    this.health = health;
    this.metricsServer = metricsServer;
    this.maintenance = maintenance;
    this.adminDir = adminDir;
    this.authorities = authorities;
    this.federation = federation;
    this.endpoints = endpoints;
    this.identities = identities;
    this.maintenanceTask = maintenanceTask;
  }

  /** Starts the service. */
  public static TrustbridgeServer start(ServerConfig config, Clock clock) {
    createPrivateDirectory(config.dataDir());
    CryptoProviders providers = CryptoProviders.detect();
    LOG.info("crypto providers: {}", providers.describe());
    JdbcDatastore datastore = Datastores.open(config.datastore(), clock);
    KeyManager keys = null;
    KeyManager intermediateKeys = null;
    try {
      keys = KeyBackends.open(config.keys(), providers);
      intermediateKeys =
          KeyBackends.intermediates(config.keys(), config.dataDir(), keys, providers);
      return start(config, clock, providers, datastore, keys, intermediateKeys);
    } catch (RuntimeException e) {
      if (intermediateKeys != keys) {
        closeQuietly(intermediateKeys);
      }
      closeQuietly(keys);
      datastore.close();
      throw e;
    }
  }

  /** The audit writer's commits, records and backlog, so operators see how its batches form. */
  private static void registerAuditMetrics(AuditLog log, MeterRegistry metrics) {
    if (!(log instanceof GroupCommitAuditLog audit)) {
      return;
    }
    FunctionCounter.builder("trustbridge_audit_commits", audit, GroupCommitAuditLog::batches)
        .description("audit transactions committed (each one fsync)")
        .register(metrics);
    FunctionCounter.builder("trustbridge_audit_records", audit, GroupCommitAuditLog::events)
        .description("audit records committed")
        .register(metrics);
    Gauge.builder("trustbridge_audit_pending", audit, GroupCommitAuditLog::pending)
        .description("audit records waiting for their commit")
        .register(metrics);
  }

  /** What the start-up steps after the authorities share. */
  private record Core(
      ServerConfig config,
      Clock clock,
      CryptoProviders providers,
      JdbcDatastore datastore,
      PrometheusMeterRegistry metrics,
      Map<TrustDomain, TrustDomainAuthority> authorities,
      Map<TrustDomain, X509SvidIssuer.LeafPolicy> policies,
      TrustDomain first) {
    Set<TrustDomain> hosted() {
      return authorities.keySet();
    }
  }

  private record Distribution(
      Federation federation, PolicyManager policy, BundleDistributor bundles) {}

  private record Access(
      X509SvidVerifier peerVerifier,
      X509SvidIssuer issuer,
      JoinTokens joinTokens,
      AuthenticationInterceptor authn) {}

  private record LocalAdmin(
      Path adminDir, Map<TrustDomain, LocalIdentities> identities, AdminInterceptor adminCheck) {}

  private static TrustbridgeServer start(
      ServerConfig config,
      Clock clock,
      CryptoProviders providers,
      JdbcDatastore datastore,
      KeyManager keys,
      KeyManager intermediateKeys) {
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registerAuditMetrics(datastore.auditLog(), metrics);
    Core core =
        openAuthorities(config, clock, providers, datastore, keys, intermediateKeys, metrics);
    Distribution distribution = distribution(core);
    Access access = access(core);
    LocalAdmin local = localAdmin(core);
    HealthStatusManager health = new HealthStatusManager();
    CallExecutors callExecutors = new CallExecutors();
    Server grpc = grpcServer(core, distribution, access, local, health, callExecutors);
    listen(grpc, core, callExecutors);
    BundleEndpoints endpoints = startBundleEndpoints(core, local.identities(), grpc, callExecutors);
    distribution.federation().start();
    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    MetricsServer metricsServer =
        config.metrics().listen().map(l -> MetricsServer.start(l, metrics)).orElse(null);
    Runnable reload = sharedStateReload(core, distribution);
    Runnable maintenanceTask = maintenanceTask(core, local.identities(), reload);
    ScheduledExecutorService maintenance = scheduleMaintenance(maintenanceTask);
    if (datastore.shared()) {
      long period = JdbcDatastore.SHARED_CACHE_MAX_AGE.toMillis();
      maintenance.scheduleWithFixedDelay(reload, period, period, TimeUnit.MILLISECONDS);
    }
    TrustbridgeServer server =
        new TrustbridgeServer(
            datastore,
            keys,
            intermediateKeys,
            grpc,
            health,
            metricsServer,
            maintenance,
            local.adminDir(),
            core.authorities(),
            distribution.federation(),
            endpoints,
            local.identities(),
            maintenanceTask,
            callExecutors);
    LOG.info(
        "trustbridge serving grpc_port={} metrics_port={} trust_domains={} admin_credential={}",
        server.grpcPort(),
        server.metricsPort(),
        core.hosted(),
        local.adminDir());
    return server;
  }

  /**
   * Opens and initializes the CA of every hosted trust domain, in configuration order; when one
   * cannot be initialized, the ones already initialized are closed.
   */
  private static Core openAuthorities(
      ServerConfig config,
      Clock clock,
      CryptoProviders providers,
      JdbcDatastore datastore,
      KeyManager keys,
      KeyManager intermediateKeys,
      PrometheusMeterRegistry metrics) {
    Map<TrustDomain, TrustDomainAuthority> authorities = new LinkedHashMap<>();
    Map<TrustDomain, X509SvidIssuer.LeafPolicy> policies = new LinkedHashMap<>();
    for (TrustDomainConfig td : config.trustDomains()) {
      TrustDomainAuthority authority =
          newAuthority(td, providers, datastore, keys, intermediateKeys, clock);
      try {
        authority.initialize();
      } catch (RuntimeException e) {
        authority.close();
        authorities.values().forEach(TrustbridgeServer::closeQuietly);
        throw e;
      }
      authorities.put(td.name(), authority);
      policies.put(td.name(), leafPolicy(td.svid()));
      registerExpiryGauges(td.name(), authority, metrics);
    }
    TrustDomain first = config.trustDomains().get(0).name();
    return new Core(config, clock, providers, datastore, metrics, authorities, policies, first);
  }

  private static TrustDomainAuthority newAuthority(
      TrustDomainConfig td,
      CryptoProviders providers,
      JdbcDatastore datastore,
      KeyManager keys,
      KeyManager intermediateKeys,
      Clock clock) {
    return new TrustDomainAuthority(
        new TrustDomainAuthority.Settings(
            td.name(),
            td.ca().keyType(),
            td.ca().rootTtl(),
            td.ca().intermediateTtl(),
            td.ca().organization(),
            td.svid().maxTtl(),
            td.bundleRefreshHint(),
            td.ca().prepareAtPercent(),
            td.ca().activateAtPercent()),
        datastore.authorities(),
        datastore.bundleSequences(),
        keys,
        intermediateKeys,
        Upstreams.open(td, providers, clock),
        clock);
  }

  private static void registerExpiryGauges(
      TrustDomain td, TrustDomainAuthority authority, MeterRegistry metrics) {
    Gauge.builder(
            "trustbridge_ca_intermediate_expiry_seconds",
            authority,
            a -> a.signer().ca().certificate().getNotAfter().getTime() / 1000.0)
        .tag("trust_domain", td.name())
        .description("notAfter of the active intermediate CA, seconds since the epoch")
        .register(metrics);
    Gauge.builder(
            "trustbridge_ca_root_expiry_seconds",
            authority,
            a ->
                a.bundle().x509Authorities().stream()
                    .mapToDouble(c -> c.getNotAfter().getTime() / 1000.0)
                    .max()
                    .orElse(0))
        .tag("trust_domain", td.name())
        .description("latest notAfter of the trust domain's roots, seconds since the epoch")
        .register(metrics);
  }

  private static Distribution distribution(Core core) {
    JdbcDatastore datastore = core.datastore();
    AtomicReference<Runnable> bundlesChanged = new AtomicReference<>(() -> {});
    Federation federation =
        new Federation(
            datastore.relationships(),
            core.hosted(),
            federationClientConfig(core.config().federation()),
            core.clock(),
            () -> bundlesChanged.get().run());
    PolicyManager policy =
        new PolicyManager(
            datastore.policies(),
            core.hosted(),
            PolicyManager.knownPeers(datastore.relationships()),
            core.clock(),
            () -> bundlesChanged.get().run());
    core.config().policyFile().ifPresent(file -> PolicyFiles.apply(policy, file));
    BundleDistributor bundles =
        new BundleDistributor(
            core.authorities(),
            federation::bundle,
            id ->
                datastore.entries().listBySpiffeId(id).stream()
                    .flatMap(e -> e.federatesWith().stream())
                    .collect(Collectors.toSet()),
            policy::grantedTrustDomains);
    bundlesChanged.set(bundles::changed);
    return new Distribution(federation, policy, bundles);
  }

  private static Access access(Core core) {
    Map<TrustDomain, TrustDomainAuthority> authorities = core.authorities();
    Clock clock = core.clock();
    X509SvidVerifier peerVerifier =
        new X509SvidVerifier(
            td ->
                Optional.ofNullable(authorities.get(td))
                    .map(a -> (Collection<X509Certificate>) a.bundle().x509Authorities()),
            clock);
    X509SvidIssuer issuer = issuer(core);
    JoinTokens joinTokens = new JoinTokens(core.datastore().joinTokens(), clock);
    JwtAuthenticator jwts =
        new JwtAuthenticator(JwtIssuers.from(core.config().authn().jwtIssuers()), clock);
    AuthenticationInterceptor authn =
        new AuthenticationInterceptor(
            chain -> verifyPeer(peerVerifier, chain),
            jwts,
            joinTokens,
            Set.of(CertificateAuthorityService.SIGN_METHOD),
            // Cached peer verifications stay valid while the hosted bundles' sequences are equal.
            () -> authorities.values().stream().map(a -> a.bundle().sequence()).toList(),
            clock);
    return new Access(peerVerifier, issuer, joinTokens, authn);
  }

  private static X509SvidIssuer issuer(Core core) {
    JdbcDatastore datastore = core.datastore();
    Set<SpiffeId> nodeAccounts = core.config().authn().istio().nodeAccounts();
    Authorizer authorizer = new Authorizer(datastore.entries(), core.hosted(), nodeAccounts);
    CsrValidator csrs =
        new CsrValidator(
            core.config().grpc().maxCsrBytes(),
            EnumSet.allOf(KeyType.class),
            core.providers()::verify,
            CsrValidator.KeyFactorySource.JDK);
    return new X509SvidIssuer(
        core.authorities(),
        core.policies(),
        authorizer,
        csrs,
        datastore.auditLog(),
        core.clock(),
        core.metrics());
  }

  /** The local identities of the hosted trust domains; the first one's admin credential. */
  private static LocalAdmin localAdmin(Core core) {
    Path adminDir = core.config().dataDir().resolve("admin");
    Map<TrustDomain, LocalIdentities> identities = new LinkedHashMap<>();
    for (TrustDomain td : core.hosted()) {
      identities.put(
          td,
          new LocalIdentities(
              core.authorities().get(td),
              core.providers(),
              core.clock(),
              td.equals(core.first()) ? Optional.of(adminDir) : Optional.empty()));
    }
    Set<SpiffeId> admins = new TreeSet<>(core.config().admin().ids());
    core.hosted().forEach(td -> admins.add(LocalIdentities.adminId(td)));
    AdminInterceptor adminCheck = new AdminInterceptor(admins, core.datastore().entries());
    return new LocalAdmin(adminDir, identities, adminCheck);
  }

  private static Server grpcServer(
      Core core,
      Distribution distribution,
      Access access,
      LocalAdmin local,
      HealthStatusManager health,
      CallExecutors callExecutors) {
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(core.config().grpc().listen().toSocketAddress())
            .executor(callExecutors.issuance())
            .callExecutor(callExecutors)
            .sslContext(
                serverTls(
                    local.identities().get(core.first()), access.peerVerifier(), core.hosted()))
            .maxInboundMessageSize(MAX_MESSAGE_BYTES)
            .intercept(access.authn())
            .addService(
                new CertificateAuthorityService(
                    access.issuer(),
                    distribution.bundles(),
                    distribution.policy(),
                    local.adminCheck()::isAdmin,
                    callExecutors.issuance()));
    for (BindableService service : adminServices(core, distribution, access.joinTokens())) {
      builder.addService(ServerInterceptors.intercept(service, local.adminCheck()));
    }
    builder
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance());
    if (core.config().authn().istio().enabled()) {
      builder.addService(
          new IstioCertificateService(
              access.issuer(), distribution.bundles(), callExecutors.issuance()));
    }
    return builder.build();
  }

  /** The services only admins may call. */
  private static List<BindableService> adminServices(
      Core core, Distribution distribution, JoinTokens joinTokens) {
    ServerConfig config = core.config();
    JdbcDatastore datastore = core.datastore();
    Clock clock = core.clock();
    Duration maxLeafTtl =
        config.trustDomains().stream()
            .map(td -> td.svid().maxTtl())
            .max(Duration::compareTo)
            .orElseThrow();
    return List.of(
        new EntryAdminService(
            datastore.entries(),
            core.hosted(),
            maxLeafTtl,
            datastore.auditLog(),
            clock,
            distribution.bundles()::changed),
        new TokenAdminService(
            joinTokens,
            core.hosted(),
            config.authn().joinTokens().defaultTtl(),
            config.authn().joinTokens().maxTtl(),
            datastore.auditLog(),
            clock),
        new BundleAdminService(distribution.bundles(), distribution.federation()),
        new FederationAdminService(distribution.federation(), datastore.auditLog(), clock),
        new AuthorityAdminService(core.authorities()),
        new PolicyAdminService(distribution.policy(), datastore.auditLog(), clock));
  }

  private static void listen(Server grpc, Core core, CallExecutors callExecutors) {
    try {
      grpc.start();
    } catch (IOException e) {
      callExecutors.close();
      core.authorities().values().forEach(TrustbridgeServer::closeQuietly);
      throw new TrustbridgeException(
          ErrorCode.UNAVAILABLE,
          "cannot listen on " + core.config().grpc().listen() + ": " + e.getMessage(),
          e);
    }
  }

  private static BundleEndpoints startBundleEndpoints(
      Core core,
      Map<TrustDomain, LocalIdentities> identities,
      Server grpc,
      CallExecutors callExecutors) {
    try {
      return BundleEndpoints.start(
          core.config().trustDomains(), core.authorities(), identities, core.clock());
    } catch (RuntimeException e) {
      grpc.shutdownNow();
      callExecutors.close();
      core.authorities().values().forEach(TrustbridgeServer::closeQuietly);
      throw e;
    }
  }

  /**
   * What takes up the changes other servers sharing the datastore made to what this one keeps in
   * memory: federation relationships, peers' bundles and the policy. The entry cache bounds its own
   * staleness, and authorities are reloaded by the maintenance task. Nothing to do when the
   * datastore is this server's own.
   */
  private static Runnable sharedStateReload(Core core, Distribution distribution) {
    if (!core.datastore().shared()) {
      return () -> {};
    }
    return () -> {
      try {
        distribution.federation().reload();
        distribution.policy().reload();
      } catch (RuntimeException e) {
        LOG.warn("reloading from the shared datastore failed; will retry: {}", e.toString());
      }
    };
  }

  /**
   * Records the authority metrics once now; the returned task maintains, reloads what other servers
   * changed ({@code reload}) and records again.
   */
  private static Runnable maintenanceTask(
      Core core, Map<TrustDomain, LocalIdentities> identities, Runnable reload) {
    Map<TrustDomain, TrustDomainAuthority> authorities = core.authorities();
    JdbcDatastore datastore = core.datastore();
    Clock clock = core.clock();
    AuthorityMetrics authorityMetrics = new AuthorityMetrics(core.metrics());
    authorityMetrics.update(authorities.values());
    return () -> {
      maintain(authorities.values(), identities.values(), datastore, clock);
      reload.run();
      try {
        authorityMetrics.update(authorities.values());
      } catch (RuntimeException e) {
        LOG.warn("authority metrics not updated: {}", e.toString());
      }
    };
  }

  private static ScheduledExecutorService scheduleMaintenance(Runnable maintenanceTask) {
    ScheduledExecutorService maintenance =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "trustbridge-maintenance");
              t.setDaemon(true);
              return t;
            });
    maintenance.scheduleWithFixedDelay(
        maintenanceTask,
        MAINTENANCE_PERIOD.toSeconds(),
        MAINTENANCE_PERIOD.toSeconds(),
        TimeUnit.SECONDS);
    return maintenance;
  }

  private static Caller.Svid verifyPeer(
      X509SvidVerifier verifier, List<java.security.cert.X509Certificate> chain) {
    VerifiedX509Svid verified = verifier.verify(chain);
    return new Caller.Svid(verified.spiffeId(), verified.leaf().getNotAfter().toInstant());
  }

  private static SslContext serverTls(
      LocalIdentities identities, X509SvidVerifier verifier, Set<TrustDomain> hosted) {
    try {
      return GrpcSslContexts.configure(
              SslContextBuilder.forServer(identities.serverKeys())
                  .trustManager(
                      new SpiffeTrustManager(verifier, id -> hosted.contains(id.trustDomain())))
                  .clientAuth(ClientAuth.OPTIONAL)
                  .protocols("TLSv1.3", "TLSv1.2"))
          .build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build the server TLS context", e);
    }
  }

  private static void maintain(
      Collection<TrustDomainAuthority> authorities,
      Collection<LocalIdentities> identities,
      JdbcDatastore datastore,
      Clock clock) {
    try {
      authorities.forEach(TrustDomainAuthority::rotateIfDue);
      identities.forEach(LocalIdentities::renewIfDue);
      datastore.joinTokens().deleteExpired(clock.instant());
    } catch (RuntimeException e) {
      LOG.warn("maintenance failed; will retry: {}", e.toString());
    }
  }

  private static FederationClientConfig federationClientConfig(FederationConfig config) {
    FederationClientConfig defaults = FederationClientConfig.defaults();
    return new FederationClientConfig(
        new PollingPolicy(
            config.minPollInterval(),
            config.maxPollInterval(),
            config.defaultPollInterval(),
            PollingPolicy.defaults().jitter()),
        defaults.connectTimeout(),
        defaults.readTimeout(),
        defaults.maxBundleBytes(),
        defaults.maxRedirects());
  }

  private static X509SvidIssuer.LeafPolicy leafPolicy(SvidConfig svid) {
    return new X509SvidIssuer.LeafPolicy(
        svid.defaultTtl(),
        svid.maxTtl(),
        svid.ttlOverMax() == SvidConfig.TtlOverMax.CLAMP
            ? X509SvidIssuer.TtlOverMax.CLAMP
            : X509SvidIssuer.TtlOverMax.REJECT,
        svid.allowedKeyTypes(),
        svid.verifyLeafSignatures());
  }

  static void createPrivateDirectory(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create data directory " + dir, e);
    }
  }

  /** The port gRPC listens on (useful with port 0). */
  public int grpcPort() {
    return grpc.getPort();
  }

  /** The port of the metrics endpoint, or -1 if metrics are off. */
  public int metricsPort() {
    return metricsServer == null ? -1 : metricsServer.port();
  }

  /** Where the local admin credential is written. */
  public Path adminDir() {
    return adminDir;
  }

  /** The CA of a hosted trust domain. */
  public TrustDomainAuthority authority(TrustDomain td) {
    return authorities.get(td);
  }

  /** The port of a hosted trust domain's bundle endpoint, if it has one. */
  public Optional<Integer> bundleEndpointPort(TrustDomain td) {
    return endpoints.port(td);
  }

  /** This server's federation with peer trust domains. */
  public Federation federation() {
    return federation;
  }

  /**
   * Runs the periodic maintenance (rotation, renewals, token clean-up and, on a datastore shared
   * with other servers, the reload of what they changed) now.
   */
  public void maintainNow() {
    maintenanceTask.run();
  }

  /** Blocks until the server terminates. */
  public void awaitTermination() throws InterruptedException {
    grpc.awaitTermination();
  }

  @Override
  public void close() {
    health.enterTerminalState();
    maintenance.shutdownNow();
    grpc.shutdown();
    try {
      if (!grpc.awaitTermination(5, TimeUnit.SECONDS)) {
        grpc.shutdownNow();
      }
    } catch (InterruptedException e) {
      grpc.shutdownNow();
      Thread.currentThread().interrupt();
    }
    callExecutors.close();
    federation.close();
    endpoints.close();
    if (metricsServer != null) {
      metricsServer.close();
    }
    authorities.values().forEach(TrustbridgeServer::closeQuietly);
    if (intermediateKeys != keys) {
      closeQuietly(intermediateKeys);
    }
    closeQuietly(keys);
    datastore.close();
  }

  private static void closeQuietly(Object resource) {
    if (resource instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        LOG.warn("close failed: {}", e.toString());
      }
    }
  }
}
