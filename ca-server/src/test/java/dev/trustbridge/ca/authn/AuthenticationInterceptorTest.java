package dev.trustbridge.ca.authn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.config.SpiffeIdTemplate;
import dev.trustbridge.ca.store.JdbcDatastore;
import dev.trustbridge.proto.ca.v1.BundlesResponse;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.FetchBundlesRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class AuthenticationInterceptorTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final String ISS = "https://kubernetes.default.svc.cluster.local";
  private static final SpiffeId AGENT = SpiffeId.parse("spiffe://td/agent/node-1");
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> CLUSTER_ID =
      Metadata.Key.of("clusterid", Metadata.ASCII_STRING_MARSHALLER);

  private static RSAKey jwtKey;

  @TempDir Path dir;

  private MutableClock clock;
  private JdbcDatastore datastore;
  private JoinTokens joinTokens;
  private Server server;
  private ManagedChannel channel;
  private final AtomicInteger peerVerifications = new AtomicInteger();
  private final AtomicInteger serviceCalls = new AtomicInteger();

  /** Answers every call with the ID of the authenticated caller. */
  private final class EchoCaller extends CertificateAuthorityGrpc.CertificateAuthorityImplBase {
    @Override
    public void signX509Svid(
        SignX509SvidRequest request, StreamObserver<SignX509SvidResponse> responses) {
      serviceCalls.incrementAndGet();
      responses.onNext(
          SignX509SvidResponse.newBuilder()
              .setSpiffeId(AuthenticationInterceptor.CALLER.get().spiffeId().toString())
              .build());
      responses.onCompleted();
    }

    @Override
    public void fetchBundles(FetchBundlesRequest request, StreamObserver<BundlesResponse> out) {
      serviceCalls.incrementAndGet();
      out.onNext(BundlesResponse.getDefaultInstance());
      out.onCompleted();
    }
  }

  @BeforeAll
  static void keys() throws JOSEException {
    jwtKey = new RSAKeyGenerator(2048).keyID("k1").generate();
  }

  @BeforeEach
  void start() throws Exception {
    clock = new MutableClock(T0);
    datastore = JdbcDatastore.openSqlite(dir.resolve("trustbridge.db"), clock);
    joinTokens = new JoinTokens(datastore.joinTokens(), clock);
    JwtIssuer issuer =
        new JwtIssuer(
            "k8s",
            ISS,
            new ImmutableJWKSet<>(new JWKSet(jwtKey.toPublicJWK())),
            Set.of("istio-ca"),
            Set.of(JWSAlgorithm.RS256),
            TrustDomain.parse("td"),
            SpiffeIdTemplate.parse("/ns/{namespace}/sa/{service_account}"),
            "Kubernetes",
            Duration.ofHours(24));
    AuthenticationInterceptor interceptor =
        new AuthenticationInterceptor(
            chain -> {
              peerVerifications.incrementAndGet();
              throw new AssertionError("no TLS in process: the peer verifier must not be called");
            },
            new JwtAuthenticator(List.of(issuer), clock),
            joinTokens,
            Set.of(CertificateAuthorityGrpc.getSignX509SvidMethod().getFullMethodName()));
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(ServerInterceptors.intercept(new EchoCaller(), interceptor))
            .addService(
                ServerInterceptors.intercept(
                    new HealthStatusManager().getHealthService(), interceptor))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    datastore.close();
  }

  private CertificateAuthorityGrpc.CertificateAuthorityBlockingStub ca(
      Map<String, String> headers) {
    Metadata metadata = new Metadata();
    headers.forEach(
        (k, v) -> metadata.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v));
    return CertificateAuthorityGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
  }

  private CertificateAuthorityGrpc.CertificateAuthorityBlockingStub ca(String authorization) {
    return ca(Map.of(AUTHORIZATION.name(), authorization));
  }

  private String sign(CertificateAuthorityGrpc.CertificateAuthorityBlockingStub stub) {
    return stub.signX509Svid(SignX509SvidRequest.getDefaultInstance()).getSpiffeId();
  }

  private void assertUnauthenticated(String message, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(message, e.getStatus().getDescription());
  }

  private static String jwt(String subject) throws JOSEException {
    SignedJWT token =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(jwtKey.getKeyID()).build(),
            new JWTClaimsSet.Builder()
                .issuer(ISS)
                .subject(subject)
                .audience("istio-ca")
                .issueTime(Date.from(T0))
                .expirationTime(Date.from(T0.plus(Duration.ofHours(1))))
                .build());
    token.sign(new RSASSASigner(jwtKey));
    return token.serialize();
  }

  @Test
  void call_withoutCredentials_isUnauthenticated() {
    assertUnauthenticated(AuthenticationInterceptor.NO_CREDENTIALS, () -> sign(ca(Map.of())));
    assertUnauthenticated(
        AuthenticationInterceptor.NO_CREDENTIALS,
        () -> ca(Map.of()).fetchBundles(FetchBundlesRequest.getDefaultInstance()));
    assertEquals(0, serviceCalls.get());
    assertEquals(0, peerVerifications.get());
  }

  @Test
  void healthCheck_withoutCredentials_works() {
    HealthCheckResponse response =
        HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance());

    assertEquals(HealthCheckResponse.ServingStatus.SERVING, response.getStatus());
  }

  @Test
  void call_withAnotherAuthorizationScheme_isUnauthenticated() {
    for (String header : List.of("Basic dXNlcjpwYXNz", "Bearer", "Token abc", "")) {
      assertUnauthenticated(AuthenticationInterceptor.BAD_AUTHORIZATION, () -> sign(ca(header)));
    }
    assertEquals(0, serviceCalls.get());
  }

  @Test
  void joinToken_onAMethodOtherThanSigning_isRefusedAndNotUsedUp() {
    JoinTokens.Created token = joinTokens.create(AGENT, Duration.ofMinutes(10));

    assertUnauthenticated(
        AuthenticationInterceptor.JOIN_TOKEN_NOT_HERE,
        () ->
            ca("JoinToken " + token.token())
                .fetchBundles(FetchBundlesRequest.getDefaultInstance()));
    assertEquals(0, serviceCalls.get());

    assertEquals(AGENT.toString(), sign(ca("JoinToken " + token.token())));
  }

  @Test
  void joinToken_onTheSignMethod_worksOnce() {
    JoinTokens.Created token = joinTokens.create(AGENT, Duration.ofMinutes(10));

    assertEquals(AGENT.toString(), sign(ca("JoinToken " + token.token())));
    assertUnauthenticated(JoinTokens.INVALID, () -> sign(ca("JoinToken " + token.token())));
    assertEquals(1, serviceCalls.get());
  }

  @Test
  void joinToken_unknownOrExpired_isUnauthenticated() {
    JoinTokens.Created token = joinTokens.create(AGENT, Duration.ofMinutes(10));
    clock.advance(Duration.ofMinutes(10));

    assertUnauthenticated(JoinTokens.INVALID, () -> sign(ca("JoinToken " + token.token())));
    assertUnauthenticated(JoinTokens.INVALID, () -> sign(ca("JoinToken not-a-token")));
  }

  @Test
  void bearerJwt_authenticatesAsTheMappedId_onAnyMethod() throws Exception {
    String token = jwt("system:serviceaccount:default:web");

    assertEquals(
        "spiffe://td/ns/default/sa/web",
        sign(ca(Map.of(AUTHORIZATION.name(), "Bearer " + token, CLUSTER_ID.name(), "Kubernetes"))));
    ca("bearer " + token).fetchBundles(FetchBundlesRequest.getDefaultInstance());
    assertEquals(2, serviceCalls.get());
  }

  @Test
  void bearerJwt_withTheClusterIdOfNoIssuer_isUnauthenticated() throws Exception {
    String token = jwt("system:serviceaccount:default:web");

    assertUnauthenticated(
        JwtAuthenticator.UNKNOWN_ISSUER,
        () ->
            sign(
                ca(
                    Map.of(
                        AUTHORIZATION.name(), "Bearer " + token, CLUSTER_ID.name(), "cluster-9"))));
  }

  @Test
  void bearerJwt_invalid_isUnauthenticatedAndTheServiceIsNotCalled() {
    assertUnauthenticated(JwtAuthenticator.MALFORMED, () -> sign(ca("Bearer not-a-jwt")));
    assertEquals(0, serviceCalls.get());
  }
}
