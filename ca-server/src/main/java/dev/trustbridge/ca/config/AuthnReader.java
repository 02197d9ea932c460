package dev.trustbridge.ca.config;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiPredicate;

/** Reads the {@code authn} section for {@link ConfigReader}. */
final class AuthnReader {
  private final Path baseDir;

  /** Tests that a trust domain is hosted, reporting the node if not. */
  private final BiPredicate<YamlNode, TrustDomain> hosted;

  private final Map<String, String> issuerNames = new HashMap<>();
  private final Map<String, String> clusterIds = new HashMap<>();

  AuthnReader(Path baseDir, BiPredicate<YamlNode, TrustDomain> hosted) {
    this.baseDir = baseDir;
    this.hosted = hosted;
  }

  AuthnConfig read(YamlNode authn) {
    return authn.object(
        n -> {
          JoinTokenConfig joinTokens = n.get("join_tokens").object(this::joinTokens);
          List<JwtIssuerConfig> jwtIssuers = n.get("jwt_issuers").list(this::jwtIssuer, List.of());
          IstioConfig istio = n.get("istio").object(this::istio);
          return n.build(() -> new AuthnConfig(joinTokens, jwtIssuers, istio));
        });
  }

  private JoinTokenConfig joinTokens(YamlNode n) {
    Duration defaultTtl =
        n.get("default_ttl").value(ValueType.DURATION_TYPE, JoinTokenConfig.DEFAULT_DEFAULT_TTL);
    Duration maxTtl =
        n.get("max_ttl").value(ValueType.DURATION_TYPE, JoinTokenConfig.DEFAULT_MAX_TTL);
    ConfigReader.checkNotLonger(n, "default_ttl", defaultTtl, "max_ttl", maxTtl);
    return n.build(() -> new JoinTokenConfig(defaultTtl, maxTtl));
  }

  private JwtIssuerConfig jwtIssuer(YamlNode element) {
    return element.object(
        n -> {
          YamlNode nameNode = n.get("name");
          String name = unique(nameNode, nameNode.required(ValueType.STRING), issuerNames);
          String issuer = n.get("issuer").required(ValueType.STRING);
          JwtIssuerConfig.JwksSource jwks = jwks(n);
          List<String> audiences =
              n.get("audiences").nonEmptyList(e -> e.required(ValueType.STRING), null);
          List<JwsAlgorithm> algorithms =
              n.get("algorithms")
                  .nonEmptyList(
                      e -> e.required(ValueType.JWS_ALGORITHM),
                      List.copyOf(JwtIssuerConfig.DEFAULT_ALGORITHMS));
          YamlNode trustDomainNode = n.get("trust_domain");
          TrustDomain trustDomain = trustDomainNode.required(ValueType.TRUST_DOMAIN);
          if (trustDomain != null) {
            hosted.test(trustDomainNode, trustDomain);
          }
          SpiffeIdTemplate template =
              n.get("spiffe_id_template")
                  .value(ValueType.SPIFFE_ID_TEMPLATE, SpiffeIdTemplate.KUBERNETES);
          YamlNode clusterIdNode = n.get("cluster_id");
          String clusterId =
              unique(
                  clusterIdNode,
                  clusterIdNode.value(ValueType.STRING, JwtIssuerConfig.DEFAULT_CLUSTER_ID),
                  clusterIds);
          Duration maxTokenAge =
              n.get("max_token_age")
                  .value(ValueType.DURATION_TYPE, JwtIssuerConfig.DEFAULT_MAX_TOKEN_AGE);
          return n.build(
              () ->
                  new JwtIssuerConfig(
                      name,
                      issuer,
                      jwks,
                      Set.copyOf(audiences),
                      Set.copyOf(algorithms),
                      trustDomain,
                      template,
                      clusterId,
                      maxTokenAge));
        });
  }

  /** Exactly one of jwks_file and jwks_url; jwks_ca_file only with jwks_url. */
  private JwtIssuerConfig.JwksSource jwks(YamlNode n) {
    YamlNode fileNode = n.get("jwks_file");
    YamlNode urlNode = n.get("jwks_url");
    YamlNode caFileNode = n.get("jwks_ca_file");
    Path file = fileNode.value(ValueType.path(baseDir), null);
    URI url = urlNode.value(ValueType.HTTPS_URL, null);
    Path caFile = caFileNode.value(ValueType.path(baseDir), null);
    if (fileNode.isSet() && urlNode.isSet()) {
      fileNode.problem("set exactly one of jwks_file and jwks_url, not both");
    } else if (!fileNode.isSet() && !urlNode.isSet()) {
      fileNode.problem("required: set exactly one of jwks_file and jwks_url");
    }
    if (caFileNode.isSet() && !urlNode.isSet()) {
      caFileNode.problem("only applies with jwks_url");
    }
    if (file != null) {
      return new JwtIssuerConfig.JwksFile(file);
    }
    return url == null ? null : new JwtIssuerConfig.JwksUrl(url, Optional.ofNullable(caFile));
  }

  /** Reports {@code value} if an earlier list element used it already. */
  private static String unique(YamlNode node, String value, Map<String, String> seen) {
    if (value == null) {
      return null;
    }
    String first = seen.putIfAbsent(value, node.path());
    if (first != null) {
      node.problem("duplicate value " + value + " (also at " + first + ")");
      return null;
    }
    return value;
  }

  private IstioConfig istio(YamlNode n) {
    Boolean enabled = n.get("enabled").bool(true);
    List<SpiffeId> nodeAccounts = n.get("node_accounts").list(this::hostedSpiffeId, List.of());
    return n.build(() -> new IstioConfig(enabled, Set.copyOf(nodeAccounts)));
  }

  private SpiffeId hostedSpiffeId(YamlNode n) {
    SpiffeId id = n.required(ValueType.SPIFFE_ID);
    return id != null && hosted.test(n, id.trustDomain()) ? id : null;
  }
}
