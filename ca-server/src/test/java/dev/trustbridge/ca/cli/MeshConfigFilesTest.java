package dev.trustbridge.ca.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.trustbridge.ca.config.BundleEndpointSettings;
import dev.trustbridge.ca.config.HostPort;
import dev.trustbridge.ca.config.ServerConfig;
import dev.trustbridge.ca.config.TrustDomainConfig;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** config/mesh-a.yaml and config/mesh-b.yaml, the two meshes of the README demo, parse. */
class MeshConfigFilesTest {
  /** Surefire runs in the module directory; the files live one level up. */
  private static final Path CONFIG_DIR = Path.of("..", "config").toAbsolutePath().normalize();

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "mesh-a.yaml, mesh-a.example, data/mesh-a, 8443, 9464, 8543",
    "mesh-b.yaml, mesh-b.example, data/mesh-b, 8444, 9465, 8544"
  })
  void meshYaml_hostsItsTrustDomainWithAnHttpsSpiffeBundleEndpoint(
      String file, String trustDomain, String dataDir, int grpc, int metrics, int endpoint) {
    ServerConfig config = ServerConfig.load(CONFIG_DIR.resolve(file));

    assertEquals(CONFIG_DIR.getParent().resolve(dataDir), config.dataDir());
    assertEquals(new HostPort("127.0.0.1", grpc), config.grpc().listen());
    assertEquals(Optional.of(new HostPort("127.0.0.1", metrics)), config.metrics().listen());
    assertEquals(
        List.of(TrustDomain.parse(trustDomain)),
        config.trustDomains().stream().map(TrustDomainConfig::name).toList());
    assertEquals(
        Optional.of(
            new BundleEndpointSettings(
                new HostPort("127.0.0.1", endpoint),
                BundleEndpointSettings.Profile.HTTPS_SPIFFE,
                Optional.empty(),
                Optional.empty())),
        config.trustDomains().get(0).bundleEndpoint());
  }
}
