package dev.trustbridge.ca.config;

import dev.trustbridge.spiffe.id.TrustDomain;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A JWT issuer whose tokens authenticate callers (an element of {@code authn.jwt_issuers}),
 * typically a Kubernetes cluster's service-account token issuer.
 *
 * @param name a unique name, for logs and metrics
 * @param issuer the exact {@code iss} claim
 * @param jwks where the issuer's signing keys come from
 * @param audiences accepted {@code aud} values; not empty
 * @param algorithms accepted signature algorithms; not empty
 * @param trustDomain the trust domain the token's identity is mapped into
 * @param spiffeIdTemplate the path of the SPIFFE ID a token maps to
 * @param clusterId the Istio {@code clusterid} value that selects this issuer
 * @param maxTokenAge the oldest token accepted, counted from its {@code iat}
 */
public record JwtIssuerConfig(
    String name,
    String issuer,
    JwksSource jwks,
    Set<String> audiences,
    Set<JwsAlgorithm> algorithms,
    TrustDomain trustDomain,
    SpiffeIdTemplate spiffeIdTemplate,
    String clusterId,
    Duration maxTokenAge) {
  static final Set<JwsAlgorithm> DEFAULT_ALGORITHMS =
      Set.copyOf(EnumSet.of(JwsAlgorithm.RS256, JwsAlgorithm.ES256));
  static final String DEFAULT_CLUSTER_ID = "Kubernetes";
  static final Duration DEFAULT_MAX_TOKEN_AGE = Duration.ofHours(24);

  public JwtIssuerConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(jwks, "jwks");
    audiences = Set.copyOf(audiences);
    algorithms = Set.copyOf(algorithms);
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(spiffeIdTemplate, "spiffeIdTemplate");
    Objects.requireNonNull(clusterId, "clusterId");
    Durations.requirePositive(maxTokenAge, "maxTokenAge");
    if (audiences.isEmpty()) {
      throw new IllegalArgumentException("audiences must not be empty");
    }
    if (algorithms.isEmpty()) {
      throw new IllegalArgumentException("algorithms must not be empty");
    }
  }

  /** Where the issuer's JSON Web Key Set is read from. */
  public sealed interface JwksSource permits JwksFile, JwksUrl {}

  /**
   * A local JWKS file ({@code jwks_file}), e.g. exported from {@code kubectl get --raw
   * /openid/v1/jwks}.
   *
   * @param path the file, absolute
   */
  public record JwksFile(Path path) implements JwksSource {
    public JwksFile {
      Objects.requireNonNull(path, "path");
    }
  }

  /**
   * A JWKS fetched over HTTPS ({@code jwks_url}).
   *
   * @param url the https URL
   * @param caFile CA certificates (PEM) to verify the server with instead of the JDK's, if set
   */
  public record JwksUrl(URI url, Optional<Path> caFile) implements JwksSource {
    public JwksUrl {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(caFile, "caFile");
      if (!"https".equals(url.getScheme())) {
        throw new IllegalArgumentException("url must be https");
      }
    }
  }
}
