package dev.trustbridge.ca.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.KeyType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Defaults of a minimal configuration, and how relative paths are resolved. */
class ServerConfigDefaultsTest {
  private static final Path BASE = Path.of("/etc/trustbridge");
  private static final String MINIMAL = "trust_domains:\n  - name: example.org\n";

  @Test
  void minimalConfig_getsEveryDefault() {
    ServerConfig config = ServerConfig.parse(MINIMAL, BASE);

    Path dataDir = BASE.resolve("data");
    assertEquals(dataDir, config.dataDir());
    assertEquals(new GrpcConfig(new HostPort("127.0.0.1", 8443), 65536), config.grpc());
    assertEquals(new MetricsConfig(Optional.of(new HostPort("127.0.0.1", 9464))), config.metrics());
    assertEquals(new LogConfig(LogConfig.Format.KEYVALUE, LogConfig.Level.INFO), config.log());
    assertEquals(new DatastoreConfig.Sqlite(dataDir.resolve("trustbridge.db")), config.datastore());
    KeysConfig.FileKeys keys =
        new KeysConfig.FileKeys(dataDir.resolve("keys"), Optional.empty(), Optional.empty());
    assertEquals(keys, config.keys());
    assertEquals(dataDir.resolve("keys/.passphrase"), keys.generatedPassphraseFile());
    assertEquals(
        List.of(
            new TrustDomainConfig(
                TrustDomain.parse("example.org"),
                new CaConfig(
                    KeyType.EC_P256, Duration.ofDays(365), Duration.ofDays(30), "Trustbridge"),
                new SvidConfig(
                    Duration.ofHours(1),
                    Duration.ofHours(24),
                    SvidConfig.TtlOverMax.REJECT,
                    EnumSet.allOf(KeyType.class),
                    false))),
        config.trustDomains());
    assertEquals(
        new AuthnConfig(
            new JoinTokenConfig(Duration.ofMinutes(10), Duration.ofHours(24)),
            List.of(),
            new IstioConfig(true, Set.of())),
        config.authn());
    assertEquals(new AdminConfig(Set.of()), config.admin());
  }

  @Test
  void jwtIssuerDefaults_areApplied() {
    String yaml =
        MINIMAL
            + "authn:\n  jwt_issuers:\n    - name: k8s\n      issuer: https://k8s\n"
            + "      jwks_file: jwks.json\n      audiences: [istio-ca]\n"
            + "      trust_domain: example.org\n";
    JwtIssuerConfig issuer = ServerConfig.parse(yaml, BASE).authn().jwtIssuers().get(0);

    assertEquals(Set.of(JwsAlgorithm.RS256, JwsAlgorithm.ES256), issuer.algorithms());
    assertEquals("/ns/{namespace}/sa/{service_account}", issuer.spiffeIdTemplate().text());
    assertEquals("Kubernetes", issuer.clusterId());
    assertEquals(Duration.ofHours(24), issuer.maxTokenAge());
  }

  @Test
  void explicitNullValue_meansDefault() {
    ServerConfig config = ServerConfig.parse("server:\n  grpc:\n" + MINIMAL, BASE);
    assertEquals(GrpcConfig.DEFAULT_LISTEN, config.grpc().listen());
  }

  @Test
  void metricsOff_disablesMetrics() {
    ServerConfig config =
        ServerConfig.parse("server:\n  metrics:\n    listen: \"off\"\n" + MINIMAL, BASE);
    assertFalse(config.metrics().enabled());
  }

  @Test
  void portZero_isAllowed() {
    ServerConfig config =
        ServerConfig.parse("server:\n  grpc:\n    listen: localhost:0\n" + MINIMAL, BASE);
    assertEquals(new HostPort("localhost", 0), config.grpc().listen());
  }

  @Test
  void memoryKeys_haveNoDirectory() {
    ServerConfig config = ServerConfig.parse("keys:\n  type: memory\n" + MINIMAL, BASE);
    assertEquals(new KeysConfig.MemoryKeys(), config.keys());
  }

  @Test
  void relativePaths_resolveAgainstConfigDirAndDataDir() {
    String yaml =
        "server:\n  data_dir: ../state\n"
            + "datastore:\n  path: db/tb.sqlite\n"
            + "keys:\n  dir: ca-keys\n  passphrase_file: secrets/passphrase\n"
            + MINIMAL
            + "authn:\n  jwt_issuers:\n    - name: k8s\n      issuer: https://k8s\n"
            + "      jwks_url: https://k8s/jwks\n      jwks_ca_file: ./ca.pem\n"
            + "      audiences: [a]\n      trust_domain: example.org\n";
    ServerConfig config = ServerConfig.parse(yaml, BASE);

    Path state = Path.of("/etc/state");
    assertEquals(state, config.dataDir());
    assertEquals(new DatastoreConfig.Sqlite(state.resolve("db/tb.sqlite")), config.datastore());
    assertEquals(
        new KeysConfig.FileKeys(
            state.resolve("ca-keys"),
            Optional.empty(),
            Optional.of(BASE.resolve("secrets/passphrase"))),
        config.keys());
    JwtIssuerConfig.JwksUrl jwks =
        (JwtIssuerConfig.JwksUrl) config.authn().jwtIssuers().get(0).jwks();
    assertEquals(Optional.of(BASE.resolve("ca.pem")), jwks.caFile());
  }

  @Test
  void absolutePaths_areKept() {
    ServerConfig config =
        ServerConfig.parse(
            "server:\n  data_dir: /srv/tb\ndatastore:\n  path: /db/tb.sqlite\n" + MINIMAL, BASE);
    assertEquals(Path.of("/srv/tb"), config.dataDir());
    assertEquals(new DatastoreConfig.Sqlite(Path.of("/db/tb.sqlite")), config.datastore());
  }

  @Test
  void load_resolvesRelativePathsAgainstTheFilesDirectory(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("conf/trustbridge.yaml");
    Files.createDirectories(file.getParent());
    Files.writeString(file, MINIMAL);

    ServerConfig config = ServerConfig.load(file);

    assertEquals(dir.resolve("conf/data").toAbsolutePath(), config.dataDir());
  }

  @Test
  void load_missingFile_isConfigException(@TempDir Path dir) {
    Path file = dir.resolve("absent.yaml");
    ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.load(file));
    assertTrue(e.getMessage().startsWith(file + ": cannot be read"), e.getMessage());
  }
}
