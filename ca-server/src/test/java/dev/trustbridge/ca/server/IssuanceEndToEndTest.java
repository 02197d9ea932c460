package dev.trustbridge.ca.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditQuery;
import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.issuance.CsrValidator;
import dev.trustbridge.ca.issuance.X509SvidIssuer;
import dev.trustbridge.ca.server.TestServer.Csr;
import dev.trustbridge.ca.server.TestServer.Svid;
import dev.trustbridge.proto.admin.v1.Entry;
import dev.trustbridge.proto.admin.v1.EntryAdminGrpc;
import dev.trustbridge.proto.admin.v1.ListEntriesRequest;
import dev.trustbridge.proto.ca.v1.BundlesResponse;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.FetchBundlesRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.proto.ca.v1.WatchBundlesRequest;
import dev.trustbridge.proto.istio.v1.auth.IstioCertificateRequest;
import dev.trustbridge.proto.istio.v1.auth.IstioCertificateResponse;
import dev.trustbridge.proto.istio.v1.auth.IstioCertificateServiceGrpc;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.X509SvidVerifier;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.svid.x509svid.X509SvidValidator;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real server over real TLS on loopback: agents bootstrap with join tokens, obtain workload
 * SVIDs for their entries, renew over mTLS; Istio agents use JWTs; every refusal has its status.
 */
class IssuanceEndToEndTest {
  private static final TrustDomain TD = TrustDomain.parse("example.org");
  private static final SpiffeId AGENT = SpiffeId.parse("spiffe://example.org/agent/node1");
  private static final SpiffeId OTHER_AGENT = SpiffeId.parse("spiffe://example.org/agent/node2");
  private static final SpiffeId WEB = SpiffeId.parse("spiffe://example.org/ns/default/sa/web");
  private static final SpiffeId ZTUNNEL =
      SpiffeId.parse("spiffe://example.org/ns/istio-system/sa/ztunnel");
  private static final String ISSUER = "https://kubernetes.default.svc";
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private static RSAKey jwtKey;
  private static RSAKey otherJwtKey;

  @TempDir Path dir;
  private MutableClock clock;
  private TestServer server;

  @BeforeAll
  static void keys() throws Exception {
    jwtKey = new RSAKeyGenerator(2048).keyID("k1").generate();
    otherJwtKey = new RSAKeyGenerator(2048).keyID("k1").generate();
  }

  @BeforeEach
  void start() throws Exception {
    clock = new MutableClock(Instant.now());
    server = start(clock);
  }

  private TestServer start(MutableClock clock) throws Exception {
    Path jwks = dir.resolve("jwks.json");
    Files.writeString(jwks, new JWKSet(jwtKey.toPublicJWK()).toString());
    String yaml =
        "trust_domains:\n"
            + "  - name: example.org\n"
            + "    svid:\n"
            + "      default_ttl: 1h\n"
            + "      max_ttl: 2h\n"
            + "  - name: other.org\n"
            + "authn:\n"
            + "  jwt_issuers:\n"
            + "    - name: kubernetes\n"
            + "      issuer: "
            + ISSUER
            + "\n"
            + "      jwks_file: "
            + jwks
            + "\n"
            + "      audiences: [istio-ca]\n"
            + "      algorithms: [RS256]\n"
            + "      trust_domain: example.org\n"
            + "  istio:\n"
            + "    node_accounts: ["
            + ZTUNNEL
            + "]\n";
    return new TestServer(dir.resolve("data"), yaml, clock);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static <S extends io.grpc.stub.AbstractStub<S>> S withAuthorization(
      S stub, String value) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, value);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private Entry createEntry(SpiffeId id, SpiffeId parent) {
    return server.createEntry(
        Entry.newBuilder()
            .setSpiffeId(id.toString())
            .setParentId(parent.toString())
            .addDnsNames("web.default.svc"));
  }

  private SpiffeBundle bundle() {
    return server.server.authority(TD).bundle();
  }

  private SpiffeId verifyWithBothValidators(List<X509Certificate> chain) throws Exception {
    SpiffeId id =
        new X509SvidVerifier(
                td -> td.equals(TD) ? Optional.of(bundle().x509Authorities()) : Optional.empty(),
                server.clock)
            .verify(chain)
            .spiffeId();
    X509Bundle javaSpiffeBundle =
        new X509Bundle(
            io.spiffe.spiffeid.TrustDomain.parse(TD.name()),
            new HashSet<>(bundle().x509Authorities()));
    X509SvidValidator.verifyChain(chain, td -> javaSpiffeBundle);
    return id;
  }

  private static Status.Code code(Callable<?> call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::call);
    return e.getStatus().getCode();
  }

  private static StatusRuntimeException failure(Callable<?> call) {
    return assertThrows(StatusRuntimeException.class, call::call);
  }

  private String jwt(RSAKey key, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID(key.getKeyID())
                .type(JOSEObjectType.JWT)
                .build(),
            claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  private JWTClaimsSet.Builder serviceAccount(String ns, String sa) {
    Date now = Date.from(server.clock.instant());
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .subject("system:serviceaccount:" + ns + ":" + sa)
        .audience("istio-ca")
        .issueTime(now)
        .notBeforeTime(now)
        .expirationTime(new Date(now.getTime() + 3_600_000));
  }

  private IstioCertificateResponse istio(String bearer, Csr csr, Struct metadata) {
    IstioCertificateRequest.Builder request =
        IstioCertificateRequest.newBuilder().setCsr(pem(csr.der())).setValidityDuration(3600);
    if (metadata != null) {
      request.setMetadata(metadata);
    }
    return withAuthorization(
            IstioCertificateServiceGrpc.newBlockingStub(server.anonymous()), "Bearer " + bearer)
        .createCertificate(request.build());
  }

  private static String pem(byte[] der) {
    return "-----BEGIN CERTIFICATE REQUEST-----\n"
        + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(der)
        + "\n-----END CERTIFICATE REQUEST-----\n";
  }

  // ---- the happy path ---------------------------------------------------------------------

  @Test
  void agent_bootstrapsWithJoinToken_getsWorkloadSvid_andRenewsOverMtls() throws Exception {
    Svid agent = server.bootstrapAgent(AGENT);
    assertEquals(AGENT, verifyWithBothValidators(agent.chain()));

    createEntry(WEB, AGENT);
    Csr workloadCsr = TestServer.csr(KeyType.EC_P384);
    SignX509SvidResponse workload = server.signFor(agent, workloadCsr, WEB);
    List<X509Certificate> chain = TestServer.chain(workload);
    assertEquals(WEB, verifyWithBothValidators(chain));
    assertArrayEquals(
        workloadCsr.keys().getPublic().getEncoded(), chain.get(0).getPublicKey().getEncoded());
    assertTrue(
        chain.get(0).getSubjectAlternativeNames().stream()
            .anyMatch(san -> san.get(1).equals("web.default.svc")));
    assertEquals(TD.name(), workload.getBundles(0).getTrustDomain());
    assertEquals(
        bundle().x509Authorities().size(), workload.getBundles(0).getX509AuthoritiesCount());

    Svid web = new Svid(chain, workloadCsr.keys());
    Csr renewalCsr = TestServer.csr(KeyType.ED25519);
    SignX509SvidResponse renewed =
        CertificateAuthorityGrpc.newBlockingStub(server.withSvid(web))
            .signX509Svid(SignX509SvidRequest.newBuilder().setCsr(renewalCsr.bytes()).build());
    assertEquals(WEB, verifyWithBothValidators(TestServer.chain(renewed)));
    assertEquals(WEB.toString(), renewed.getSpiffeId());
  }

  @Test
  void secondTrustDomain_hasItsOwnCaChainAndBundle() throws Exception {
    SpiffeId otherAgent = SpiffeId.parse("spiffe://other.org/agent/node1");
    Svid agent = server.bootstrapAgent(otherAgent);
    TrustDomain other = TrustDomain.parse("other.org");
    SpiffeBundle otherBundle = server.server.authority(other).bundle();
    SpiffeId verified =
        new X509SvidVerifier(
                td ->
                    td.equals(other)
                        ? Optional.of(otherBundle.x509Authorities())
                        : Optional.empty(),
                server.clock)
            .verify(agent.chain())
            .spiffeId();
    assertEquals(otherAgent, verified);
    // example.org's bundle does not validate it: the trust domains do not share a CA.
    assertThrows(
        dev.trustbridge.spiffe.error.TrustbridgeException.class,
        () ->
            new X509SvidVerifier(td -> Optional.of(bundle().x509Authorities()), server.clock)
                .verify(agent.chain()));
    assertFalse(otherBundle.x509Authorities().equals(bundle().x509Authorities()));
  }

  @Test
  void everyIssuanceAndRefusal_isAudited() throws Exception {
    Svid agent = server.bootstrapAgent(AGENT);
    code(() -> sign(agent, WEB));
    List<AuditEvent> events = auditLog().query(AuditQuery.newest().withAction("x509.sign"));
    AuditEvent denied = events.get(0);
    assertEquals(AuditEvent.DENIED, denied.outcome());
    assertEquals(WEB.toString(), denied.subject());
    assertEquals("svid:" + AGENT, denied.caller());
    AuditEvent issued = events.get(1);
    assertEquals(AuditEvent.OK, issued.outcome());
    assertEquals(
        agent.chain().get(0).getSerialNumber().toString(16), issued.serial().orElseThrow());
    assertEquals(agent.chain().get(0).getNotAfter().toInstant(), issued.expiresAt().orElseThrow());
  }

  private dev.trustbridge.ca.audit.AuditLog auditLog() {
    // A second connection to the same SQLite file, as an operator's tool would open it.
    return dev.trustbridge.ca.store.JdbcDatastore.openSqlite(
            server.dataDir.resolve("trustbridge.db"))
        .auditLog();
  }

  @Test
  void restart_keepsCaAndEntries() throws Exception {
    Svid agent = server.bootstrapAgent(AGENT);
    createEntry(WEB, AGENT);
    SpiffeBundle before = bundle();
    server.close();
    server = start(new MutableClock(Instant.now()));
    assertEquals(before, bundle());
    assertEquals(
        1,
        EntryAdminGrpc.newBlockingStub(server.admin())
            .listEntries(ListEntriesRequest.newBuilder().setSpiffeId(WEB.toString()).build())
            .getEntriesCount());
    // The agent's SVID from before the restart still authenticates it.
    SignX509SvidResponse renewed =
        CertificateAuthorityGrpc.newBlockingStub(server.withSvid(agent))
            .signX509Svid(
                SignX509SvidRequest.newBuilder()
                    .setCsr(TestServer.csr(KeyType.EC_P256).bytes())
                    .build());
    assertEquals(AGENT.toString(), renewed.getSpiffeId());
  }

  @Test
  void fetchAndWatch_returnTheCallersBundle() throws Exception {
    Svid agent = server.bootstrapAgent(AGENT);
    BundlesResponse fetched =
        CertificateAuthorityGrpc.newBlockingStub(server.withSvid(agent))
            .fetchBundles(FetchBundlesRequest.getDefaultInstance());
    assertEquals(TD.name(), fetched.getBundles(0).getTrustDomain());
    Iterator<BundlesResponse> watch =
        CertificateAuthorityGrpc.newBlockingStub(server.withSvid(agent))
            .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
            .watchBundles(WatchBundlesRequest.getDefaultInstance());
    assertEquals(fetched, watch.next());
  }

  @Test
  void healthAndReflection_needNoCredentials() {
    HealthCheckResponse health =
        HealthGrpc.newBlockingStub(server.anonymous())
            .check(HealthCheckRequest.getDefaultInstance());
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
  }

  @Test
  void ordinaryTlsClient_checkingHostNames_acceptsTheServerAt127001AndLocalhost() throws Exception {
    for (String host : List.of("127.0.0.1", "localhost")) {
      io.grpc.ManagedChannel channel =
          io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(
                  host + ":" + server.server.grpcPort())
              .sslContext(
                  io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient()
                      .trustManager(server.anchors().toArray(X509Certificate[]::new))
                      .build())
              .build();
      try {
        assertEquals(
            HealthCheckResponse.ServingStatus.SERVING,
            HealthGrpc.newBlockingStub(channel)
                .check(HealthCheckRequest.getDefaultInstance())
                .getStatus(),
            host);
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void metrics_areServedInPrometheusFormat() throws Exception {
    server.bootstrapAgent(AGENT);
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.server.metricsPort() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    assertTrue(
        response
            .body()
            .contains("trustbridge_svid_issued_total{trust_domain=\"example.org\"} 1.0"));
    assertTrue(response.body().contains("trustbridge_ca_intermediate_expiry_seconds"));
    // The issuance's audit record was committed, and the writer's counters say so.
    assertTrue(
        metricValue(response.body(), "trustbridge_audit_records_total") >= 1, response.body());
    assertTrue(
        metricValue(response.body(), "trustbridge_audit_commits_total") >= 1, response.body());
    assertEquals(0.0, metricValue(response.body(), "trustbridge_audit_pending"), response.body());
    // One expiry series per CA of the journal, labelled with its kind and state.
    assertTrue(
        response
            .body()
            .lines()
            .anyMatch(
                l ->
                    l.startsWith("trustbridge_ca_expiry_seconds{")
                        && l.contains("kind=\"root\"")
                        && l.contains("state=\"active\"")),
        response.body());
    assertTrue(
        response
            .body()
            .lines()
            .anyMatch(
                l ->
                    l.startsWith("trustbridge_ca_expiry_seconds{")
                        && l.contains("kind=\"intermediate\"")));
  }

  // ---- join token refusals ----------------------------------------------------------------

  @Test
  void joinToken_reused_isUnauthenticated() throws Exception {
    String token = server.joinToken(AGENT);
    server.signWithJoinToken(token, TestServer.csr(KeyType.EC_P256));
    StatusRuntimeException e =
        failure(() -> server.signWithJoinToken(token, TestServer.csr(KeyType.EC_P256)));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(dev.trustbridge.ca.authn.JoinTokens.INVALID, e.getStatus().getDescription());
  }

  @Test
  void joinToken_expired_isUnauthenticated() throws Exception {
    String token = server.joinToken(AGENT);
    clock.advance(Duration.ofMinutes(11));
    StatusRuntimeException e =
        failure(() -> server.signWithJoinToken(token, TestServer.csr(KeyType.EC_P256)));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(dev.trustbridge.ca.authn.JoinTokens.INVALID, e.getStatus().getDescription());
  }

  @Test
  void joinToken_unknown_isUnauthenticated() {
    StatusRuntimeException e =
        failure(() -> server.signWithJoinToken("not-a-token", TestServer.csr(KeyType.EC_P256)));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(dev.trustbridge.ca.authn.JoinTokens.INVALID, e.getStatus().getDescription());
  }

  @Test
  void joinToken_usedConcurrently_succeedsExactlyOnce() throws Exception {
    String token = server.joinToken(AGENT);
    int callers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    Csr csr = TestServer.csr(KeyType.EC_P256);
    for (int i = 0; i < callers; i++) {
      ManagedChannel channel = server.anonymous();
      results.add(
          pool.submit(
              () -> {
                start.await();
                try {
                  withAuthorization(
                          CertificateAuthorityGrpc.newBlockingStub(channel), "JoinToken " + token)
                      .signX509Svid(SignX509SvidRequest.newBuilder().setCsr(csr.bytes()).build());
                  return true;
                } catch (StatusRuntimeException e) {
                  assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
                  return false;
                }
              }));
    }
    start.countDown();
    int successes = 0;
    for (Future<Boolean> result : results) {
      successes += result.get() ? 1 : 0;
    }
    pool.shutdown();
    assertEquals(1, successes);
  }

  @Test
  void noCredentials_isUnauthenticated() {
    assertEquals(
        Status.Code.UNAUTHENTICATED,
        code(
            () ->
                CertificateAuthorityGrpc.newBlockingStub(server.anonymous())
                    .signX509Svid(
                        SignX509SvidRequest.newBuilder()
                            .setCsr(TestServer.csr(KeyType.EC_P256).bytes())
                            .build())));
  }

  // ---- authorization refusals -------------------------------------------------------------

  @Test
  void idOfAnotherAgent_andUnknownId_areRefusedAlike() throws Exception {
    Svid agent = server.bootstrapAgent(AGENT);
    createEntry(WEB, OTHER_AGENT);
    StatusRuntimeException otherAgents = failure(() -> sign(agent, WEB));
    StatusRuntimeException unknown =
        failure(() -> sign(agent, SpiffeId.parse("spiffe://example.org/ns/x/sa/none")));
    assertEquals(Status.Code.PERMISSION_DENIED, otherAgents.getStatus().getCode());
    assertEquals(Status.Code.PERMISSION_DENIED, unknown.getStatus().getCode());
    assertEquals(otherAgents.getStatus().getDescription(), unknown.getStatus().getDescription());
  }

  @Test
  void idOfAnotherTrustDomain_isRefused() throws Exception {
    Svid agent = server.bootstrapAgent(AGENT);
    assertEquals(
        Status.Code.PERMISSION_DENIED,
        code(() -> sign(agent, SpiffeId.parse("spiffe://other.org/agent/node1"))));
    assertEquals(
        Status.Code.PERMISSION_DENIED,
        code(() -> sign(agent, SpiffeId.parse("spiffe://evil.org/agent/node1"))));
  }

  @Test
  void malformedRequestedId_isInvalidArgument() throws Exception {
    Svid agent = server.bootstrapAgent(AGENT);
    StatusRuntimeException e =
        failure(
            () ->
                CertificateAuthorityGrpc.newBlockingStub(server.withSvid(agent))
                    .signX509Svid(
                        SignX509SvidRequest.newBuilder()
                            .setCsr(TestServer.csr(KeyType.EC_P256).bytes())
                            .setSpiffeId("spiffe://Example.org/agent")
                            .build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
  }

  @Test
  void adminApi_refusesWorkloadsAndAnonymousCallers() throws Exception {
    Svid agent = server.bootstrapAgent(AGENT);
    assertEquals(
        Status.Code.PERMISSION_DENIED,
        code(
            () ->
                EntryAdminGrpc.newBlockingStub(server.withSvid(agent))
                    .listEntries(ListEntriesRequest.getDefaultInstance())));
    assertEquals(
        Status.Code.UNAUTHENTICATED,
        code(
            () ->
                EntryAdminGrpc.newBlockingStub(server.anonymous())
                    .listEntries(ListEntriesRequest.getDefaultInstance())));
  }

  private SignX509SvidResponse sign(Svid caller, SpiffeId id) throws Exception {
    return server.signFor(caller, TestServer.csr(KeyType.EC_P256), id);
  }

  // ---- CSR and TTL refusals ---------------------------------------------------------------

  private StatusRuntimeException signRaw(Svid agent, ByteString csr, long ttlSeconds) {
    return failure(
        () ->
            CertificateAuthorityGrpc.newBlockingStub(server.withSvid(agent))
                .signX509Svid(
                    SignX509SvidRequest.newBuilder()
                        .setCsr(csr)
                        .setTtlSeconds(ttlSeconds)
                        .build()));
  }

  @Test
  void badCsrs_areInvalidArgument_withPreciseMessages() throws Exception {
    Svid agent = server.bootstrapAgent(AGENT);
    byte[] good = TestServer.csr(KeyType.EC_P256).der();
    byte[] badSignature = good.clone();
    badSignature[badSignature.length - 2] ^= 1;
    byte[] megabyte = new byte[1024 * 1024];
    megabyte[0] = 0x30;
    KeyPairHolder rsa1024 = KeyPairHolder.rsa1024Csr();
    Object[][] cases = {
      {ByteString.copyFrom(badSignature), CsrValidator.BAD_SIGNATURE},
      {ByteString.copyFrom(rsa1024.der), CsrValidator.KEY_UNSUPPORTED},
      {ByteString.copyFromUtf8("garbage"), CsrValidator.NOT_PKCS10},
      {ByteString.EMPTY, CsrValidator.EMPTY},
      {ByteString.copyFrom(megabyte), String.format(CsrValidator.TOO_LARGE, 65536)},
    };
    for (Object[] c : cases) {
      StatusRuntimeException e = signRaw(agent, (ByteString) c[0], 0);
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), (String) c[1]);
      assertEquals(c[1], e.getStatus().getDescription());
    }
  }

  @Test
  void ttlAboveMaximum_isRejected() throws Exception {
    Svid agent = server.bootstrapAgent(AGENT);
    StatusRuntimeException e =
        signRaw(agent, TestServer.csr(KeyType.EC_P256).bytes(), Duration.ofHours(3).toSeconds());
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals(
        String.format(X509SvidIssuer.TTL_TOO_LONG, 10800, 7200), e.getStatus().getDescription());
  }

  @Test
  void defaultTtl_isApplied_andLeafNeverOutlivesItsCa() throws Exception {
    Svid agent = server.bootstrapAgent(AGENT);
    X509Certificate leaf = agent.chain().get(0);
    long lifetime = leaf.getNotAfter().getTime() - leaf.getNotBefore().getTime();
    // 1 h default, plus the back-dating of notBefore.
    assertTrue(lifetime >= 3_600_000 && lifetime <= 3_600_000 + 120_000, "lifetime " + lifetime);
    assertFalse(leaf.getNotAfter().after(agent.chain().get(1).getNotAfter()));
  }

  // ---- JWT (Istio) ------------------------------------------------------------------------

  @Test
  void istio_jwtCaller_getsLeafIntermediatesAndAnchors() throws Exception {
    Csr csr = TestServer.csr(KeyType.RSA_2048);
    IstioCertificateResponse response =
        istio(jwt(jwtKey, serviceAccount("default", "web").build()), csr, null);
    assertTrue(response.getCertChainCount() >= 3);
    List<X509Certificate> leafAndIntermediates = new ArrayList<>();
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    for (int i = 0; i < response.getCertChainCount() - 1; i++) {
      leafAndIntermediates.add(
          (X509Certificate)
              factory.generateCertificate(
                  new ByteArrayInputStream(
                      response.getCertChain(i).getBytes(StandardCharsets.US_ASCII))));
    }
    assertEquals(WEB, verifyWithBothValidators(leafAndIntermediates));
    String anchors = response.getCertChain(response.getCertChainCount() - 1);
    assertEquals(
        bundle().x509Authorities().size(),
        factory
            .generateCertificates(
                new ByteArrayInputStream(anchors.getBytes(StandardCharsets.US_ASCII)))
            .size());
    assertTrue(response.getCertChain(0).endsWith("\n"));
  }

  @Test
  void istio_impersonation_onlyForNodeAccounts_andOnlyInTheirTrustDomain() throws Exception {
    Struct impersonateWeb =
        Struct.newBuilder()
            .putFields(
                "ImpersonatedIdentity", Value.newBuilder().setStringValue(WEB.toString()).build())
            .build();
    Csr csr = TestServer.csr(KeyType.EC_P256);
    IstioCertificateResponse ok =
        istio(jwt(jwtKey, serviceAccount("istio-system", "ztunnel").build()), csr, impersonateWeb);
    X509Certificate leaf =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(
                    new ByteArrayInputStream(
                        ok.getCertChain(0).getBytes(StandardCharsets.US_ASCII)));
    assertTrue(
        leaf.getSubjectAlternativeNames().stream().anyMatch(s -> s.get(1).equals(WEB.toString())));

    assertEquals(
        Status.Code.PERMISSION_DENIED,
        code(
            () ->
                istio(jwt(jwtKey, serviceAccount("default", "web").build()), csr, impersonateWeb)));
    Struct otherTd =
        Struct.newBuilder()
            .putFields(
                "ImpersonatedIdentity",
                Value.newBuilder().setStringValue("spiffe://other.org/ns/a/sa/b").build())
            .build();
    assertEquals(
        Status.Code.PERMISSION_DENIED,
        code(
            () ->
                istio(
                    jwt(jwtKey, serviceAccount("istio-system", "ztunnel").build()), csr, otherTd)));
  }

  @Test
  void jwtRefusals_areUnauthenticated() throws Exception {
    Csr csr = TestServer.csr(KeyType.EC_P256);
    Date now = Date.from(server.clock.instant());
    List<String> bad =
        List.of(
            jwt(jwtKey, serviceAccount("default", "web").issuer("https://evil").build()),
            jwt(jwtKey, serviceAccount("default", "web").audience("other").build()),
            jwt(otherJwtKey, serviceAccount("default", "web").build()),
            new PlainJWT(serviceAccount("default", "web").build()).serialize(),
            jwt(
                jwtKey,
                serviceAccount("default", "web")
                    .expirationTime(new Date(now.getTime() - 600_000))
                    .build()),
            "not.a.jwt");
    for (String token : bad) {
      assertEquals(Status.Code.UNAUTHENTICATED, code(() -> istio(token, csr, null)), token);
    }
  }

  /** An RSA-1024 CSR, which must be refused. */
  private record KeyPairHolder(byte[] der) {
    static KeyPairHolder rsa1024Csr() throws Exception {
      java.security.KeyPairGenerator generator =
          java.security.KeyPairGenerator.getInstance(
              "RSA", new org.bouncycastle.jce.provider.BouncyCastleProvider());
      generator.initialize(1024);
      java.security.KeyPair keys = generator.generateKeyPair();
      byte[] der =
          new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
                  new javax.security.auth.x500.X500Principal(""), keys.getPublic())
              .build(
                  new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA")
                      .build(keys.getPrivate()))
              .getEncoded();
      return new KeyPairHolder(der);
    }
  }

  /** The value of an unlabelled series in a Prometheus text exposition. */
  private static double metricValue(String exposition, String name) {
    return exposition
        .lines()
        .filter(l -> l.startsWith(name + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no series " + name));
  }
}
