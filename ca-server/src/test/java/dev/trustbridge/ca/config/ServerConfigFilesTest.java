package dev.trustbridge.ca.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.KeyType;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The configuration files shipped in the repository's config/ folder parse to what they say. */
class ServerConfigFilesTest {
  /** Surefire runs in the module directory; the files live one level up. */
  private static final Path CONFIG_DIR = Path.of("..", "config").toAbsolutePath().normalize();

  @Test
  void devYaml_hostsExampleOrgWithDefaultsAndDataBesideConfig() {
    ServerConfig config = ServerConfig.load(CONFIG_DIR.resolve("dev.yaml"));

    Path dataDir = CONFIG_DIR.getParent().resolve("data");
    assertEquals(dataDir, config.dataDir());
    assertEquals(new HostPort("127.0.0.1", 8443), config.grpc().listen());
    assertEquals(Optional.of(new HostPort("127.0.0.1", 9464)), config.metrics().listen());
    assertEquals(new DatastoreConfig.Sqlite(dataDir.resolve("trustbridge.db")), config.datastore());
    assertEquals(
        new KeysConfig.FileKeys(dataDir.resolve("keys"), Optional.empty(), Optional.empty()),
        config.keys());
    assertEquals(
        List.of(TrustDomain.parse("example.org")),
        config.trustDomains().stream().map(TrustDomainConfig::name).toList());
    TrustDomainConfig td = config.trustDomain(TrustDomain.parse("example.org")).orElseThrow();
    assertEquals(KeyType.EC_P256, td.ca().keyType());
    assertEquals(Duration.ofHours(24), td.svid().maxTtl());
    assertTrue(config.authn().istio().enabled());
    assertTrue(config.authn().jwtIssuers().isEmpty());
  }

  @Test
  void exampleFullYaml_setsEveryKey() {
    ServerConfig config = ServerConfig.load(CONFIG_DIR.resolve("example-full.yaml"));

    Path dataDir = Path.of("/var/lib/trustbridge");
    assertEquals(dataDir, config.dataDir());
    assertEquals(new GrpcConfig(new HostPort("0.0.0.0", 8443), 32768), config.grpc());
    assertEquals(Optional.of(new HostPort("::1", 9464)), config.metrics().listen());
    assertEquals(new LogConfig(LogConfig.Format.JSON, LogConfig.Level.DEBUG), config.log());
    assertEquals(
        new DatastoreConfig.Postgres(
            "jdbc:postgresql://db.internal:5432/trustbridge?sslmode=verify-full",
            Optional.of("TRUSTBRIDGE_DB_USER"),
            Optional.empty(),
            Optional.of(Path.of("/run/secrets/trustbridge-db-password"))),
        config.datastore());
    assertEquals(
        new KeysConfig.FileKeys(
            dataDir.resolve("ca-keys"),
            Optional.of("TRUSTBRIDGE_KEY_PASSPHRASE"),
            Optional.empty()),
        config.keys());

    TrustDomain prod = TrustDomain.parse("prod.example.org");
    TrustDomain staging = TrustDomain.parse("staging.example.org");
    assertEquals(
        List.of(prod, staging),
        config.trustDomains().stream().map(TrustDomainConfig::name).toList());
    TrustDomainConfig prodTd = config.trustDomain(prod).orElseThrow();
    assertEquals(
        new CaConfig(KeyType.EC_P384, Duration.ofDays(730), Duration.ofDays(60), "Example Corp"),
        prodTd.ca());
    assertEquals(
        new SvidConfig(
            Duration.ofHours(12),
            Duration.ofHours(24),
            SvidConfig.TtlOverMax.CLAMP,
            Set.of(KeyType.EC_P256, KeyType.EC_P384, KeyType.RSA_2048),
            true),
        prodTd.svid());
    TrustDomainConfig stagingTd = config.trustDomain(staging).orElseThrow();
    assertEquals(KeyType.RSA_3072, stagingTd.ca().keyType());
    assertEquals(Set.of(KeyType.EC_P256), stagingTd.svid().allowedKeyTypes());
    assertEquals(SvidConfig.TtlOverMax.REJECT, stagingTd.svid().ttlOverMax());
    assertFalse(stagingTd.svid().verifyLeafSignatures());

    assertEquals(
        new JoinTokenConfig(Duration.ofMinutes(15), Duration.ofHours(2)),
        config.authn().joinTokens());
    List<JwtIssuerConfig> issuers = config.authn().jwtIssuers();
    assertEquals(2, issuers.size());
    JwtIssuerConfig prodIssuer = config.authn().jwtIssuerForCluster("prod-cluster").orElseThrow();
    assertEquals("prod-cluster", prodIssuer.name());
    assertEquals("https://kubernetes.default.svc.cluster.local", prodIssuer.issuer());
    assertEquals(
        new JwtIssuerConfig.JwksFile(CONFIG_DIR.resolve("jwks/prod-cluster.json")),
        prodIssuer.jwks());
    assertEquals(Set.of("istio-ca", "trustbridge"), prodIssuer.audiences());
    assertEquals(
        Set.of(JwsAlgorithm.RS256, JwsAlgorithm.ES256, JwsAlgorithm.PS256),
        prodIssuer.algorithms());
    assertEquals(prod, prodIssuer.trustDomain());
    assertEquals(SpiffeIdTemplate.KUBERNETES, prodIssuer.spiffeIdTemplate());
    assertEquals(Duration.ofHours(12), prodIssuer.maxTokenAge());

    JwtIssuerConfig stagingIssuer = config.authn().jwtIssuerForCluster("Kubernetes").orElseThrow();
    assertEquals(
        new JwtIssuerConfig.JwksUrl(
            URI.create("https://oidc.staging.example.org/openid/v1/jwks"),
            Optional.of(Path.of("/etc/trustbridge/staging-oidc-ca.pem"))),
        stagingIssuer.jwks());
    assertEquals(
        List.of("claim:cluster", "namespace", "service_account"),
        stagingIssuer.spiffeIdTemplate().placeholders());
    assertEquals(staging, stagingIssuer.trustDomain());

    assertTrue(config.authn().istio().enabled());
    assertEquals(
        Set.of(SpiffeId.parse("spiffe://prod.example.org/ns/istio-system/sa/ztunnel")),
        config.authn().istio().nodeAccounts());
    assertEquals(
        Set.of(SpiffeId.parse("spiffe://prod.example.org/ns/ops/sa/trustbridge-admin")),
        config.admin().ids());
    assertFalse(config.trustDomain(TrustDomain.parse("example.org")).isPresent());
  }
}
