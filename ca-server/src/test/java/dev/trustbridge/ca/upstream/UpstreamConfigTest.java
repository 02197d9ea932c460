package dev.trustbridge.ca.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.config.ConfigException;
import dev.trustbridge.ca.config.KeysConfig;
import dev.trustbridge.ca.config.ServerConfig;
import dev.trustbridge.ca.config.TrustDomainConfig;
import dev.trustbridge.ca.config.UpstreamConfig;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code trust_domains[i].upstream}: read, defaulted and refused with the key's path. */
class UpstreamConfigTest {
  private static final Path BASE = Path.of("/etc/trustbridge");

  private static TrustDomainConfig parse(String upstream) {
    return ServerConfig.parse("trust_domains:\n  - name: example.org\n" + upstream, BASE)
        .trustDomains()
        .get(0);
  }

  @Test
  void absent_isSelfSigned() {
    TrustDomainConfig td = parse("");

    assertEquals(Optional.empty(), td.upstream());
    assertTrue(
        Upstreams.open(td, CryptoProviders.detect(), Clock.systemUTC()) instanceof SelfSigned);
  }

  @Test
  void vaultPki_isRead_withDefaults() {
    UpstreamConfig.VaultPki vault =
        (UpstreamConfig.VaultPki)
            parse(
                    "    upstream:\n      type: vault-pki\n      address: https://vault:8200\n"
                        + "      ca_file: vault-ca.pem\n      issuer_ref: spiffe-issuer\n"
                        + "      auth:\n        method: token\n        token_env: VAULT_TOKEN\n")
                .upstream()
                .orElseThrow();

    assertEquals(URI.create("https://vault:8200"), vault.address());
    assertEquals(Optional.of(BASE.resolve("vault-ca.pem")), vault.caFile());
    assertEquals("pki", vault.mount());
    assertEquals(Optional.of("spiffe-issuer"), vault.issuerRef());
    assertEquals(Optional.empty(), vault.commonName());
    assertEquals(Optional.empty(), vault.ttl());
    assertEquals(Optional.of("VAULT_TOKEN"), ((KeysConfig.TokenLogin) vault.login()).token().env());
  }

  @Test
  void files_withDir_useIstiosNames_andEachFileCanBeOverridden() {
    UpstreamConfig.Files files =
        (UpstreamConfig.Files)
            parse(
                    "    upstream:\n      type: files\n      dir: /etc/cacerts\n"
                        + "      ca_key: /run/secrets/ca-key.pem\n")
                .upstream()
                .orElseThrow();

    assertEquals(Path.of("/etc/cacerts/root-cert.pem"), files.rootBundle());
    assertEquals(Path.of("/etc/cacerts/cert-chain.pem"), files.certChain());
    assertEquals(Path.of("/etc/cacerts/ca-cert.pem"), files.caCert());
    assertEquals(Path.of("/run/secrets/ca-key.pem"), files.caKey());
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of(
            "    upstream:\n      address: https://vault:8200\n",
            "trust_domains[0].upstream.type: required"),
        Arguments.of(
            "    upstream:\n      type: acme\n", "trust_domains[0].upstream.type: must be one of"),
        Arguments.of(
            "    upstream:\n      type: vault-pki\n      address: https://vault:8200\n",
            "trust_domains[0].upstream.auth: is required: method token, approle or kubernetes"),
        Arguments.of(
            "    upstream:\n      type: vault-pki\n      address: http://vault:8200\n"
                + "      auth:\n        method: token\n        token_env: T\n",
            "trust_domains[0].upstream.address: must be an https"),
        Arguments.of(
            "    upstream:\n      type: files\n      dir: /etc/cacerts\n      mount: pki\n",
            "trust_domains[0].upstream.mount: only for type: vault-pki"),
        Arguments.of(
            "    upstream:\n      type: files\n      ca_cert: /c.pem\n",
            "trust_domains[0].upstream.root_bundle: required"),
        Arguments.of(
            "    upstream:\n      type: vault-pki\n      address: https://vault:8200\n"
                + "      ttl: 48h\n      auth:\n        method: token\n        token_env: T\n",
            "trust_domains[0].upstream.ttl: is too short for svid.max_ttl 1d"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("invalid")
  void invalidUpstream_namesTheKey(String upstream, String problem) {
    ConfigException e = assertThrows(ConfigException.class, () -> parse(upstream));
    assertTrue(e.getMessage().contains(problem), e.getMessage());
  }

  @Test
  void vaultPki_ttlDefaultsToTheIntermediateTtl() {
    TrustDomainConfig td =
        parse(
            "    upstream:\n      type: vault-pki\n      address: https://vault:8200\n"
                + "      auth:\n        method: token\n        token_env: T\n");
    assertEquals(Duration.ofDays(30), td.ca().intermediateTtl());
  }
}
