package dev.trustbridge.ca.authn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.config.SpiffeIdTemplate;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JwtAuthenticatorTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final String K8S_ISS = "https://kubernetes.default.svc.cluster.local";
  private static final String AUDIENCE = "istio-ca";
  private static final TrustDomain TD = TrustDomain.parse("td");
  private static final TrustDomain TD2 = TrustDomain.parse("td2");
  private static final SpiffeIdTemplate KUBERNETES =
      SpiffeIdTemplate.parse("/ns/{namespace}/sa/{service_account}");
  private static final Duration MAX_AGE = Duration.ofHours(24);

  private static RSAKey rsa;
  private static ECKey ec;
  private static RSAKey otherRsa;
  private static RSAKey cluster2Rsa;

  private MutableClock clock;

  @BeforeAll
  static void keys() throws JOSEException {
    rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    // Same kid as the trusted RSA key: a forger would copy it.
    otherRsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    cluster2Rsa = new RSAKeyGenerator(2048).keyID("c2-1").generate();
  }

  @BeforeEach
  void clock() {
    clock = new MutableClock(T0);
  }

  private static JwtIssuer issuer(
      String name,
      String iss,
      List<JWK> keys,
      Set<JWSAlgorithm> algorithms,
      TrustDomain td,
      SpiffeIdTemplate template,
      String clusterId) {
    List<JWK> publicKeys = keys.stream().map(JWK::toPublicJWK).toList();
    return new JwtIssuer(
        name,
        iss,
        new ImmutableJWKSet<>(new JWKSet(publicKeys)),
        Set.of(AUDIENCE),
        algorithms,
        td,
        template,
        clusterId,
        MAX_AGE);
  }

  private static JwtIssuer kubernetes() {
    return issuer(
        "k8s",
        K8S_ISS,
        List.of(rsa, ec),
        Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256),
        TD,
        KUBERNETES,
        "Kubernetes");
  }

  private JwtAuthenticator authenticator(JwtIssuer... issuers) {
    return new JwtAuthenticator(List.of(issuers), clock);
  }

  private JwtAuthenticator kubernetesOnly() {
    return authenticator(kubernetes());
  }

  private JWTClaimsSet.Builder claims(String subject) {
    return new JWTClaimsSet.Builder()
        .issuer(K8S_ISS)
        .subject(subject)
        .audience(AUDIENCE)
        .issueTime(Date.from(clock.instant()))
        .expirationTime(Date.from(clock.instant().plus(Duration.ofHours(12))));
  }

  private JWTClaimsSet claims(UnaryOperator<JWTClaimsSet.Builder> change) {
    return change.apply(claims("system:serviceaccount:default:web")).build();
  }

  private static String sign(JWK key, JWSAlgorithm alg, JWTClaimsSet claims) throws JOSEException {
    JWSSigner signer = key instanceof RSAKey r ? new RSASSASigner(r) : new ECDSASigner((ECKey) key);
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(alg).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(),
            claims);
    jwt.sign(signer);
    return jwt.serialize();
  }

  private static String rs256(JWTClaimsSet claims) throws JOSEException {
    return sign(rsa, JWSAlgorithm.RS256, claims);
  }

  private static void assertUnauthenticated(String message, Executable call) {
    TrustbridgeException e = assertThrows(TrustbridgeException.class, call);
    assertEquals(ErrorCode.UNAUTHENTICATED, e.code(), e.getMessage());
    assertEquals(message, e.getMessage());
  }

  private void assertRefused(String message, String token) {
    assertUnauthenticated(message, () -> kubernetesOnly().authenticate(token, Optional.empty()));
  }

  @Test
  void authenticate_rs256ServiceAccountToken_mapsToNamespaceAndServiceAccount() throws Exception {
    Caller.Jwt caller =
        kubernetesOnly().authenticate(rs256(claims(c -> c)), Optional.of("Kubernetes"));

    assertEquals(SpiffeId.parse("spiffe://td/ns/default/sa/web"), caller.spiffeId());
    assertEquals("k8s", caller.issuerName());
    assertEquals("system:serviceaccount:default:web", caller.subject());
  }

  @Test
  void authenticate_es256ServiceAccountToken_mapsToNamespaceAndServiceAccount() throws Exception {
    String token =
        sign(ec, JWSAlgorithm.ES256, claims(c -> c.subject("system:serviceaccount:prod:db")));

    Caller.Jwt caller = kubernetesOnly().authenticate(token, Optional.empty());

    assertEquals(SpiffeId.parse("spiffe://td/ns/prod/sa/db"), caller.spiffeId());
  }

  @Test
  void authenticate_wrongIssuer_isRefused() throws Exception {
    assertRefused(
        JwtAuthenticator.UNKNOWN_ISSUER, rs256(claims(c -> c.issuer("https://evil.example"))));
  }

  @Test
  void authenticate_noIssuer_isRefused() throws Exception {
    assertRefused(JwtAuthenticator.UNKNOWN_ISSUER, rs256(claims(c -> c.issuer(null))));
  }

  @Test
  void authenticate_noIssuedAt_isRefused_soTheMaximumAgeAlwaysApplies() throws Exception {
    assertRefused(
        "JWT rejected: JWT missing required claims: [iat]", rs256(claims(c -> c.issueTime(null))));
  }

  @Test
  void authenticate_wrongAudience_isRefused() throws Exception {
    assertRefused("JWT rejected: JWT aud claim rejected", rs256(claims(c -> c.audience("vault"))));
  }

  @Test
  void authenticate_noAudience_isRefused() throws Exception {
    assertRefused(
        "JWT rejected: JWT missing required aud claim",
        rs256(claims(c -> c.audience((String) null))));
  }

  @Test
  void authenticate_tokenSignedByAnotherKeyWithTheSameKid_isRefused() throws Exception {
    assertRefused(
        "JWT rejected: Signed JWT rejected: Invalid signature",
        sign(otherRsa, JWSAlgorithm.RS256, claims(c -> c)));
  }

  @Test
  void authenticate_unsecuredAlgNoneToken_isRefused() {
    String token = new PlainJWT(claims(c -> c)).serialize();
    assertRefused(JwtAuthenticator.MALFORMED, token);
  }

  @Test
  void authenticate_hs256TokenKeyedWithThePublicKey_isRefused() throws Exception {
    // The classic algorithm-confusion attack: HMAC keyed with bytes of the issuer's public key.
    byte[] secret = rsa.toPublicJWK().toRSAPublicKey().getEncoded();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(rsa.getKeyID()).build(),
            claims(c -> c));
    jwt.sign(new MACSigner(secret));

    assertRefused(
        "JWT rejected: Signed JWT rejected: Another algorithm expected, or no matching key(s)"
            + " found",
        jwt.serialize());
  }

  @Test
  void authenticate_es256TokenWhenOnlyRs256Allowed_isRefused() throws Exception {
    JwtIssuer rsOnly =
        issuer(
            "k8s",
            K8S_ISS,
            List.of(rsa, ec),
            Set.of(JWSAlgorithm.RS256),
            TD,
            KUBERNETES,
            "Kubernetes");
    String token = sign(ec, JWSAlgorithm.ES256, claims(c -> c));

    assertUnauthenticated(
        "JWT rejected: Signed JWT rejected: Another algorithm expected, or no matching key(s)"
            + " found",
        () -> authenticator(rsOnly).authenticate(token, Optional.empty()));
    // The same issuer still takes RS256.
    assertEquals(
        SpiffeId.parse("spiffe://td/ns/default/sa/web"),
        authenticator(rsOnly).authenticate(rs256(claims(c -> c)), Optional.empty()).spiffeId());
  }

  @Test
  void authenticate_expiredToken_isRefused() throws Exception {
    String token = rs256(claims(c -> c.expirationTime(Date.from(T0.plusSeconds(600)))));
    clock.advance(Duration.ofSeconds(600 + 61)); // past expiry and the 60 s skew

    assertRefused("JWT rejected: Expired JWT", token);
  }

  @Test
  void authenticate_expiredWithinClockSkew_isAccepted() throws Exception {
    String token = rs256(claims(c -> c.expirationTime(Date.from(T0.plusSeconds(600)))));
    clock.advance(Duration.ofSeconds(600 + 30));

    assertEquals(
        SpiffeId.parse("spiffe://td/ns/default/sa/web"),
        kubernetesOnly().authenticate(token, Optional.empty()).spiffeId());
  }

  @Test
  void authenticate_notYetValidToken_isRefused() throws Exception {
    assertRefused(
        "JWT rejected: JWT before use time",
        rs256(claims(c -> c.notBeforeTime(Date.from(T0.plus(Duration.ofMinutes(5)))))));
  }

  @Test
  void authenticate_issuedLongerAgoThanMaxTokenAge_isRefused() throws Exception {
    String token =
        rs256(
            claims(
                c ->
                    c.issueTime(Date.from(T0.minus(MAX_AGE).minusSeconds(1)))
                        .expirationTime(Date.from(T0.plus(Duration.ofHours(1))))));

    assertRefused(JwtAuthenticator.TOO_OLD, token);
  }

  @Test
  void authenticate_issuedExactlyMaxTokenAgeAgo_isAccepted() throws Exception {
    String token =
        rs256(
            claims(
                c ->
                    c.issueTime(Date.from(T0.minus(MAX_AGE)))
                        .expirationTime(Date.from(T0.plus(Duration.ofHours(1))))));

    assertEquals(
        SpiffeId.parse("spiffe://td/ns/default/sa/web"),
        kubernetesOnly().authenticate(token, Optional.empty()).spiffeId());
  }

  @Test
  void authenticate_missingSubject_isRefused() throws Exception {
    assertRefused(
        "JWT rejected: JWT missing required claims: [sub]", rs256(claims(c -> c.subject(null))));
  }

  @Test
  void authenticate_missingExpiry_isRefused() throws Exception {
    assertRefused(
        "JWT rejected: JWT missing required claims: [exp]",
        rs256(claims(c -> c.expirationTime(null))));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "alice",
        "system:serviceaccount:default",
        "system:serviceaccount:default:web:extra",
        "system:node:worker-1",
        "system:serviceaccount::web",
        "system:serviceaccount:default:"
      })
  void authenticate_subjectNotAServiceAccountWithDefaultTemplate_isRefused(String subject)
      throws Exception {
    assertRefused(JwtAuthenticator.UNMAPPABLE, rs256(claims(c -> c.subject(subject))));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "system:serviceaccount:a/b:web",
        "system:serviceaccount:..:web",
        "system:serviceaccount:.:web",
        "system:serviceaccount:default:../../admin",
        "system:serviceaccount:default:web/..",
        "system:serviceaccount:default:web%2F..",
        "system:serviceaccount:Ns With Space:web"
      })
  void authenticate_claimValueThatWouldEscapeTheTemplate_isRefused(String subject)
      throws Exception {
    assertRefused(JwtAuthenticator.UNMAPPABLE, rs256(claims(c -> c.subject(subject))));
  }

  @Test
  void authenticate_claimsMappingToAnIdOverTheLengthLimit_isRefusedAsUnauthenticated()
      throws Exception {
    // Each segment is valid alone; together they exceed the 2048-byte SPIFFE ID limit.
    String subject = "system:serviceaccount:" + "n".repeat(1100) + ":" + "s".repeat(1100);

    assertRefused(JwtAuthenticator.UNMAPPABLE, rs256(claims(c -> c.subject(subject))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "not-a-jwt", "a.b.c", "a.b", "eyJhbGciOiJSUzI1NiJ9..sig"})
  void authenticate_malformedToken_isRefused(String token) {
    assertRefused(JwtAuthenticator.MALFORMED, token);
  }

  @Test
  void authenticate_clusterIdOfAnotherIssuer_isRefusedEvenForAValidToken() throws Exception {
    JwtIssuer other =
        issuer(
            "other",
            "https://oidc.other.example",
            List.of(cluster2Rsa),
            Set.of(JWSAlgorithm.RS256),
            TD2,
            KUBERNETES,
            "cluster-2");
    String token = rs256(claims(c -> c));

    assertUnauthenticated(
        JwtAuthenticator.UNKNOWN_ISSUER,
        () -> authenticator(kubernetes(), other).authenticate(token, Optional.of("cluster-2")));
    assertEquals(
        TD,
        authenticator(kubernetes(), other)
            .authenticate(token, Optional.of("Kubernetes"))
            .spiffeId()
            .trustDomain());
  }

  @Test
  void authenticate_clusterIdSelectsBetweenClustersSharingAnIssuerName() throws Exception {
    // Two clusters whose API servers use the same default issuer URL, each with its own keys and
    // trust domain: the clusterid header decides which one verifies the token.
    JwtIssuer cluster2 =
        issuer(
            "cluster-2",
            K8S_ISS,
            List.of(cluster2Rsa),
            Set.of(JWSAlgorithm.RS256),
            TD2,
            KUBERNETES,
            "cluster-2");
    JwtAuthenticator both = authenticator(kubernetes(), cluster2);
    String fromCluster1 = rs256(claims(c -> c));
    String fromCluster2 = sign(cluster2Rsa, JWSAlgorithm.RS256, claims(c -> c));

    assertEquals(
        SpiffeId.parse("spiffe://td2/ns/default/sa/web"),
        both.authenticate(fromCluster2, Optional.of("cluster-2")).spiffeId());
    assertEquals(
        "cluster-2", both.authenticate(fromCluster2, Optional.of("cluster-2")).issuerName());
    assertUnauthenticated(
        "JWT rejected: Signed JWT rejected: Another algorithm expected, or no matching key(s)"
            + " found",
        () -> both.authenticate(fromCluster1, Optional.of("cluster-2")));
  }

  @Test
  void authenticate_claimTemplate_usesTheNamedStringClaims() throws Exception {
    JwtIssuer oidc =
        issuer(
            "oidc",
            K8S_ISS,
            List.of(rsa),
            Set.of(JWSAlgorithm.RS256),
            TD,
            SpiffeIdTemplate.parse("/tenant/{claim:tenant}/user/{sub}"),
            "Kubernetes");
    String token = rs256(claims(c -> c.subject("alice").claim("tenant", "acme")));

    Caller.Jwt caller = authenticator(oidc).authenticate(token, Optional.empty());

    assertEquals(SpiffeId.parse("spiffe://td/tenant/acme/user/alice"), caller.spiffeId());
    assertEquals("jwt:oidc:alice", caller.auditName());
  }

  @ParameterizedTest
  @ValueSource(strings = {"missing", "number", "list", "slash", "dotdot", "empty"})
  void authenticate_claimTemplateWithUnusableClaim_isRefused(String variant) throws Exception {
    JwtIssuer oidc =
        issuer(
            "oidc",
            K8S_ISS,
            List.of(rsa),
            Set.of(JWSAlgorithm.RS256),
            TD,
            SpiffeIdTemplate.parse("/tenant/{claim:tenant}/user/{sub}"),
            "Kubernetes");
    JWTClaimsSet.Builder builder = claims("alice");
    switch (variant) {
      case "number" -> builder.claim("tenant", 42);
      case "list" -> builder.claim("tenant", List.of("acme"));
      case "slash" -> builder.claim("tenant", "acme/user/bob");
      case "dotdot" -> builder.claim("tenant", "..");
      case "empty" -> builder.claim("tenant", "");
      default -> {}
    }
    String token = rs256(builder.build());

    assertUnauthenticated(
        JwtAuthenticator.UNMAPPABLE,
        () -> authenticator(oidc).authenticate(token, Optional.empty()));
  }

  @Test
  void authenticate_subTemplate_usesTheSubjectAsOneSegment() throws Exception {
    JwtIssuer bySub =
        issuer(
            "sub",
            K8S_ISS,
            List.of(rsa),
            Set.of(JWSAlgorithm.RS256),
            TD,
            SpiffeIdTemplate.parse("/user/{sub}"),
            "Kubernetes");

    assertEquals(
        SpiffeId.parse("spiffe://td/user/u-123"),
        authenticator(bySub)
            .authenticate(rs256(claims("u-123").build()), Optional.empty())
            .spiffeId());
    // A Kubernetes subject holds ':' which is not a SPIFFE path character.
    assertUnauthenticated(
        JwtAuthenticator.UNMAPPABLE,
        () ->
            authenticator(bySub)
                .authenticate(
                    rs256(claims("system:serviceaccount:default:web").build()), Optional.empty()));
  }

  @Test
  void jwtIssuer_hmacOrNoneAlgorithm_isRefusedAtConfiguration() {
    for (JWSAlgorithm alg : List.of(JWSAlgorithm.HS256, JWSAlgorithm.parse("none"))) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  issuer("bad", K8S_ISS, List.of(rsa), Set.of(alg), TD, KUBERNETES, "Kubernetes"));
      assertEquals("JWT algorithms must be RSA, ECDSA or RSA-PSS ones", e.getMessage());
    }
  }
}
