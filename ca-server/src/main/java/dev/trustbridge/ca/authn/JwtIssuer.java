package dev.trustbridge.ca.authn;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import dev.trustbridge.ca.config.SpiffeIdTemplate;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A trusted JWT issuer: whose tokens are accepted, for which audiences and algorithms, and how
 * their claims map to a SPIFFE ID in one trust domain.
 *
 * @param name the configured name, used in audit records
 * @param issuer the exact {@code iss} value
 * @param keys where the verification keys come from (a static JWKS or a JWKS URL)
 * @param audiences accepted {@code aud} values; a token must carry at least one
 * @param algorithms accepted {@code alg} values; never {@code none} or HMAC
 * @param trustDomain the trust domain mapped IDs belong to
 * @param pathTemplate the path the claims map to, e.g. {@code /ns/{namespace}/sa/{service_account}}
 * @param clusterId the Istio {@code clusterid} metadata value that selects this issuer
 * @param maxTokenAge tokens whose {@code iat} is older are refused
 */
public record JwtIssuer(
    String name,
    String issuer,
    JWKSource<SecurityContext> keys,
    Set<String> audiences,
    Set<JWSAlgorithm> algorithms,
    TrustDomain trustDomain,
    SpiffeIdTemplate pathTemplate,
    String clusterId,
    Duration maxTokenAge) {

  private static final Set<JWSAlgorithm> ALLOWED =
      Set.copyOf(
          List.of(
              JWSAlgorithm.RS256,
              JWSAlgorithm.RS384,
              JWSAlgorithm.RS512,
              JWSAlgorithm.ES256,
              JWSAlgorithm.ES384,
              JWSAlgorithm.ES512,
              JWSAlgorithm.PS256,
              JWSAlgorithm.PS384,
              JWSAlgorithm.PS512));

  public JwtIssuer {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(pathTemplate, "pathTemplate");
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(maxTokenAge, "maxTokenAge");
    audiences = Set.copyOf(audiences);
    algorithms = Set.copyOf(algorithms);
    if (audiences.isEmpty()) {
      throw new IllegalArgumentException("a JWT issuer needs at least one audience");
    }
    if (algorithms.isEmpty() || !ALLOWED.containsAll(algorithms)) {
      throw new IllegalArgumentException("JWT algorithms must be RSA, ECDSA or RSA-PSS ones");
    }
  }
}
