package dev.trustbridge.ca.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.id.SpiffeIdRules;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each validation rule, with the exact problem line it produces and no other. */
class ServerConfigValidationTest {
  private static final Path BASE = Path.of("/etc/trustbridge");
  private static final String TD = "trust_domains:\n  - name: example.org\n";
  private static final String ALGORITHMS =
      "RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512 (none and HS* are never"
          + " accepted: a shared secret or no signature cannot prove who issued a token)";

  /** A trust domain list plus one JWT issuer whose lines are {@code issuerLines}. */
  private static String withIssuer(String issuerLines) {
    return TD
        + "authn:\n  jwt_issuers:\n    - name: k8s\n      issuer: https://k8s\n"
        + "      audiences: [trustbridge]\n      trust_domain: example.org\n"
        + issuerLines.indent(6);
  }

  static Stream<Arguments> invalidConfigs() {
    return Stream.of(
        // Durations
        Arguments.of(
            "badDuration_namesDottedKey",
            TD + "    svid:\n      max_ttl: 24 hours\n",
            "trust_domains[0].svid.max_ttl: must be a duration like 90s, 15m, 24h or 7d"),
        Arguments.of(
            "durationWithoutUnit_isRejected",
            TD + "    svid:\n      max_ttl: 90\n",
            "trust_domains[0].svid.max_ttl: must be a duration like 90s, 15m, 24h or 7d,"
                + " not a number"),
        Arguments.of(
            "negativeDuration_isRejected",
            TD + "authn:\n  join_tokens:\n    max_ttl: -5m\n",
            "authn.join_tokens.max_ttl: must be a duration like 90s, 15m, 24h or 7d"),
        Arguments.of(
            "zeroDuration_isRejected",
            TD + "authn:\n  join_tokens:\n    default_ttl: 0s\n",
            "authn.join_tokens.default_ttl: must be positive"),
        // Unknown keys
        Arguments.of("unknownTopLevelKey_isRejected", TD + "serverr: {}\n", "serverr: unknown key"),
        Arguments.of(
            "unknownNestedKey_isRejected",
            TD + "server:\n  grcp:\n    listen: 127.0.0.1:1\n",
            "server.grcp: unknown key"),
        Arguments.of(
            "unknownKeyInListElement_isRejected",
            TD + "    svid:\n      max_tll: 1h\n",
            "trust_domains[0].svid.max_tll: unknown key"),
        Arguments.of(
            "nonStringKey_isRejected", TD + "server:\n  8443: x\n", "server.8443: unknown key"),
        // Wrong types
        Arguments.of(
            "listWhereMapExpected_isRejected",
            TD + "server: [grpc]\n",
            "server: must be a map, not a list"),
        Arguments.of(
            "mapWhereListExpected_isRejected",
            "trust_domains:\n  name: example.org\n",
            "trust_domains: must be a list, not a map"),
        Arguments.of(
            "scalarWhereListExpected_isRejected",
            TD + "authn:\n  istio:\n    node_accounts: spiffe://example.org/a\n",
            "authn.istio.node_accounts: must be a list, not a string"),
        Arguments.of(
            "listWhereStringExpected_isRejected",
            TD + "    ca:\n      organization: [a, b]\n",
            "trust_domains[0].ca.organization: must be a string, not a list"),
        Arguments.of(
            "numberWhereStringExpected_isRejected",
            TD + "    ca:\n      organization: 42\n",
            "trust_domains[0].ca.organization: must be a string, not a number"),
        Arguments.of(
            "emptyString_isRejected",
            TD + "    ca:\n      organization: ''\n",
            "trust_domains[0].ca.organization: must not be empty"),
        Arguments.of(
            "stringWhereIntegerExpected_isRejected",
            TD + "server:\n  grpc:\n    max_csr_bytes: big\n",
            "server.grpc.max_csr_bytes: must be an integer, not a string"),
        Arguments.of(
            "integerOutOfRange_isRejected",
            TD + "server:\n  grpc:\n    max_csr_bytes: 0\n",
            "server.grpc.max_csr_bytes: must be between 1 and 4194304"),
        Arguments.of(
            "stringWhereBooleanExpected_isRejected",
            TD + "authn:\n  istio:\n    enabled: yes\n",
            "authn.istio.enabled: must be true or false, not a string"),
        Arguments.of(
            "documentNotAMap_isRejected", "just text\n", "(root): must be a map, not a string"),
        // Duplicate YAML keys
        Arguments.of(
            "duplicateNestedYamlKey_namesDottedKey",
            TD + "server:\n  grpc:\n    listen: 127.0.0.1:1\n    listen: 127.0.0.1:2\n",
            "server.grpc.listen: duplicate key (line 6, column 5)"),
        Arguments.of(
            "duplicateYamlKeyInListElement_namesDottedKey",
            TD + "    name: example.com\n",
            "trust_domains[0].name: duplicate key (line 3, column 5)"),
        // Required
        Arguments.of("emptyDocument_needsTrustDomains", "", "trust_domains: required"),
        Arguments.of(
            "emptyTrustDomainList_isRejected",
            "trust_domains: []\n",
            "trust_domains: must not be empty"),
        Arguments.of(
            "trustDomainWithoutName_isRejected",
            "trust_domains:\n  - ca: {}\n",
            "trust_domains[0].name: required"),
        Arguments.of(
            "jwtIssuerWithoutIssuer_isRejected",
            TD
                + "authn:\n  jwt_issuers:\n    - name: k8s\n      jwks_file: j.json\n"
                + "      audiences: [a]\n      trust_domain: example.org\n",
            "authn.jwt_issuers[0].issuer: required"),
        // Trust domains
        Arguments.of(
            "uppercaseTrustDomain_givesSpiffeReason",
            "trust_domains:\n  - name: Example.org\n",
            "trust_domains[0].name: is not a valid trust domain name: "
                + SpiffeIdRules.TD_UPPERCASE),
        Arguments.of(
            "trustDomainWithPort_givesSpiffeReason",
            "trust_domains:\n  - name: example.org:443\n",
            "trust_domains[0].name: is not a valid trust domain name: " + SpiffeIdRules.TD_PORT),
        Arguments.of(
            "trustDomainEndingInDot_cannotBeHosted",
            "trust_domains:\n  - name: example.org.\n",
            "trust_domains[0].name: " + ConfigReader.TRAILING_DOT),
        Arguments.of(
            "duplicateTrustDomainNames_areRejected",
            TD + "  - name: example.org\n",
            "trust_domains[1].name: duplicate trust domain example.org"
                + " (also at trust_domains[0].name)"),
        Arguments.of(
            "unknownKeyType_isRejected",
            TD + "    ca:\n      key_type: ec-p521\n",
            "trust_domains[0].ca.key_type: must be one of ec-p256, ec-p384, rsa-2048, rsa-3072,"
                + " rsa-4096, ed25519"),
        Arguments.of(
            "emptyAllowedKeyTypes_isRejected",
            TD + "    svid:\n      allowed_key_types: []\n",
            "trust_domains[0].svid.allowed_key_types: must not be empty"),
        Arguments.of(
            "unknownTtlOverMax_isRejected",
            TD + "    svid:\n      ttl_over_max: truncate\n",
            "trust_domains[0].svid.ttl_over_max: must be one of reject, clamp"),
        Arguments.of(
            "verifyLeafSignaturesNotBoolean_isRejected",
            TD + "    svid:\n      verify_leaf_signatures: \"yes\"\n",
            "trust_domains[0].svid.verify_leaf_signatures: must be true or false, not a string"),
        // Lifetimes
        Arguments.of(
            "svidDefaultTtlAboveMaxTtl_isRejected",
            TD + "    svid:\n      default_ttl: 2h\n      max_ttl: 1h\n",
            "trust_domains[0].svid.default_ttl: must not be longer than max_ttl"
                + " (2h is longer than 1h)"),
        Arguments.of(
            "joinTokenDefaultTtlAboveMaxTtl_isRejected",
            TD + "authn:\n  join_tokens:\n    default_ttl: 2d\n",
            "authn.join_tokens.default_ttl: must not be longer than max_ttl"
                + " (2d is longer than 1d)"),
        Arguments.of(
            "svidMaxTtlLongerThanIntermediateIsActive_isRejected",
            TD + "    svid:\n      max_ttl: 6d\n",
            "trust_domains[0].svid.max_ttl: must not be longer than the time an intermediate is"
                + " active (6d is longer than 17% of ca.intermediate_ttl 30d): a leaf must never"
                + " outlive the CA that signed it, and a CA signs from its activation"
                + " (ca.activate_at_percent) to its expiry"),
        Arguments.of(
            "intermediateTtlLongerThanRootIsActive_isRejected",
            TD + "    ca:\n      root_ttl: 90d\n",
            "trust_domains[0].ca.intermediate_ttl: must not be longer than the time a root is"
                + " active (30d is longer than 17% of root_ttl 90d)"),
        Arguments.of(
            "activateAtNotAbovePrepareAt_isRejected",
            TD + "    ca:\n      prepare_at_percent: 60\n      activate_at_percent: 60\n",
            "trust_domains[0].ca.activate_at_percent: must be greater than prepare_at_percent"
                + " (60 is not above 60): a successor is published before it is activated"),
        // JWT issuers
        Arguments.of(
            "jwksFileAndJwksUrl_isRejected",
            withIssuer("jwks_file: j.json\njwks_url: https://k8s/jwks\n"),
            "authn.jwt_issuers[0].jwks_file: set exactly one of jwks_file and jwks_url, not both"),
        Arguments.of(
            "neitherJwksFileNorJwksUrl_isRejected",
            withIssuer(""),
            "authn.jwt_issuers[0].jwks_file: required: set exactly one of jwks_file and jwks_url"),
        Arguments.of(
            "httpJwksUrl_isRejected",
            withIssuer("jwks_url: http://k8s/jwks\n"),
            "authn.jwt_issuers[0].jwks_url: must be an https:// URL with a host"),
        Arguments.of(
            "jwksCaFileWithJwksFile_isRejected",
            withIssuer("jwks_file: j.json\njwks_ca_file: ca.pem\n"),
            "authn.jwt_issuers[0].jwks_ca_file: only applies with jwks_url"),
        Arguments.of(
            "algorithmNone_isRejected",
            withIssuer("jwks_file: j.json\nalgorithms: [none]\n"),
            "authn.jwt_issuers[0].algorithms[0]: must be one of " + ALGORITHMS),
        Arguments.of(
            "algorithmHs256_isRejected",
            withIssuer("jwks_file: j.json\nalgorithms: [RS256, HS256]\n"),
            "authn.jwt_issuers[0].algorithms[1]: must be one of " + ALGORITHMS),
        Arguments.of(
            "emptyAudiences_isRejected",
            TD
                + "authn:\n  jwt_issuers:\n    - name: k8s\n      issuer: i\n"
                + "      jwks_file: j.json\n      audiences: []\n"
                + "      trust_domain: example.org\n",
            "authn.jwt_issuers[0].audiences: must not be empty"),
        Arguments.of(
            "jwtIssuerTrustDomainNotHosted_isRejected",
            TD
                + "authn:\n  jwt_issuers:\n    - name: k8s\n      issuer: i\n"
                + "      jwks_file: j.json\n      audiences: [a]\n"
                + "      trust_domain: other.org\n",
            "authn.jwt_issuers[0].trust_domain: trust domain other.org is not one of"
                + " trust_domains"),
        Arguments.of(
            "unknownTemplatePlaceholder_isRejected",
            withIssuer("jwks_file: j.json\nspiffe_id_template: /ns/{namespace}/{pod}\n"),
            "authn.jwt_issuers[0].spiffe_id_template: has unknown placeholder {pod}; known:"
                + " {namespace}, {service_account}, {sub}, {claim:NAME}"),
        Arguments.of(
            "templateWithoutLeadingSlash_isRejected",
            withIssuer("jwks_file: j.json\nspiffe_id_template: ns/{namespace}\n"),
            "authn.jwt_issuers[0].spiffe_id_template: must be a path starting with /, e.g."
                + " /ns/{namespace}/sa/{service_account}"),
        Arguments.of(
            "templateWithBadPathCharacter_isRejected",
            withIssuer("jwks_file: j.json\nspiffe_id_template: /ns/{namespace}/a b\n"),
            "authn.jwt_issuers[0].spiffe_id_template: is not a valid SPIFFE ID path: "
                + SpiffeIdRules.PATH_CHARS),
        Arguments.of(
            "duplicateIssuerNames_areRejected",
            withIssuer("jwks_file: j.json\ncluster_id: a\n")
                + "    - name: k8s\n      issuer: i\n      jwks_file: j.json\n"
                + "      audiences: [a]\n      trust_domain: example.org\n"
                + "      cluster_id: b\n",
            "authn.jwt_issuers[1].name: duplicate value k8s (also at authn.jwt_issuers[0].name)"),
        Arguments.of(
            "twoIssuersWithDefaultClusterId_areRejected",
            withIssuer("jwks_file: j.json\n")
                + "    - name: k8s-2\n      issuer: i\n      jwks_file: j.json\n"
                + "      audiences: [a]\n      trust_domain: example.org\n",
            "authn.jwt_issuers[1].cluster_id: duplicate value Kubernetes"
                + " (also at authn.jwt_issuers[0].cluster_id)"),
        // SPIFFE IDs
        Arguments.of(
            "badNodeAccount_givesSpiffeReason",
            TD + "authn:\n  istio:\n    node_accounts: [example.org/ns/a/sa/b]\n",
            "authn.istio.node_accounts[0]: is not a valid SPIFFE ID: " + SpiffeIdRules.BAD_SCHEME),
        Arguments.of(
            "nodeAccountOfForeignTrustDomain_isRejected",
            TD + "authn:\n  istio:\n    node_accounts: [spiffe://other.org/ztunnel]\n",
            "authn.istio.node_accounts[0]: trust domain other.org is not one of trust_domains"),
        Arguments.of(
            "badAdminId_givesSpiffeReason",
            TD + "admin:\n  ids: ['spiffe://example.org/a/../b']\n",
            "admin.ids[0]: is not a valid SPIFFE ID: " + SpiffeIdRules.PATH_DOT_SEGMENT),
        // Listeners
        Arguments.of(
            "listenWithoutPort_isRejected",
            TD + "server:\n  grpc:\n    listen: localhost\n",
            "server.grpc.listen: must be host:port, e.g. 127.0.0.1:8443 or [::1]:8443"),
        Arguments.of(
            "listenPortOutOfRange_isRejected",
            TD + "server:\n  grpc:\n    listen: 127.0.0.1:65536\n",
            "server.grpc.listen: port must be between 0 and 65535"),
        Arguments.of(
            "unbracketedIpv6Listen_isRejected",
            TD + "server:\n  metrics:\n    listen: ::1:9464\n",
            "server.metrics.listen: must be host:port, e.g. 127.0.0.1:8443 or [::1]:8443"),
        Arguments.of(
            "unknownLogLevel_isRejected",
            TD + "server:\n  log:\n    level: verbose\n",
            "server.log.level: must be one of trace, debug, info, warn, error"),
        // Datastore and keys
        Arguments.of(
            "postgresWithoutUrl_isRejected",
            TD + "datastore:\n  type: postgres\n",
            "datastore.url: required"),
        Arguments.of(
            "postgresUrlNotJdbc_isRejected",
            TD + "datastore:\n  type: postgres\n  url: postgres://db/tb\n",
            "datastore.url: must start with jdbc:postgresql://"),
        Arguments.of(
            "postgresPasswordEnvAndFile_isRejected",
            TD
                + "datastore:\n  type: postgres\n  url: jdbc:postgresql://db/tb\n"
                + "  password_env: PW\n  password_file: pw.txt\n",
            "datastore.password_file: set password_env or password_file, not both"),
        Arguments.of(
            "sqliteWithUrl_isRejected",
            TD + "datastore:\n  url: jdbc:postgresql://db/tb\n",
            "datastore.url: only for type: postgres"),
        Arguments.of(
            "unknownDatastoreType_isRejected",
            TD + "datastore:\n  type: mysql\n  url: jdbc:mysql://db\n",
            "datastore.type: must be one of sqlite, postgres"),
        Arguments.of(
            "memoryKeysWithDir_isRejected",
            TD + "keys:\n  type: memory\n  dir: k\n",
            "keys.dir: only for type: file"),
        Arguments.of(
            "passphraseEnvAndFile_isRejected",
            TD + "keys:\n  passphrase_env: P\n  passphrase_file: p.txt\n",
            "keys.passphrase_file: set passphrase_env or passphrase_file, not both"),
        Arguments.of(
            "badEnvVarName_isRejected",
            TD + "keys:\n  passphrase_env: ${PASS}\n",
            "keys.passphrase_env: must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidConfigs")
  void invalidConfig_reportsExactlyTheOffendingKey(String name, String yaml, String problem) {
    ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.parse(yaml, BASE));
    assertEquals(List.of(problem), e.problems());
    assertEquals(problem, e.getMessage());
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
  }

  @Test
  void severalProblems_areAllReportedOnePerLine() {
    String yaml =
        "server:\n  grcp: {}\n  log:\n    level: loud\n"
            + "trust_domains:\n  - name: example.org\n    svid:\n      max_ttl: 24\n"
            + "  - name: Bad\n";
    ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.parse(yaml, BASE));
    assertEquals(
        List.of(
            "server.log.level: must be one of trace, debug, info, warn, error",
            "server.grcp: unknown key",
            "trust_domains[0].svid.max_ttl: must be a duration like 90s, 15m, 24h or 7d,"
                + " not a number",
            "trust_domains[1].name: is not a valid trust domain name: "
                + SpiffeIdRules.TD_UPPERCASE),
        e.problems());
    assertEquals(String.join("\n", e.problems()), e.getMessage());
  }

  @Test
  void yamlSyntaxError_isReportedWithLineAndColumn() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> ServerConfig.parse("trust_domains: [a\n", BASE));
    assertEquals(1, e.problems().size());
    assertTrue(e.getMessage().startsWith("yaml: "), e.getMessage());
    assertTrue(e.getMessage().contains("(line 2, column 1)"), e.getMessage());
  }

  @Test
  void collectionAsKey_isRejected() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> ServerConfig.parse("? [a]\n: 1\n", BASE));
    assertEquals(List.of("yaml: keys must be plain scalars (line 1, column 3)"), e.problems());
  }

  @Test
  void deepNesting_isRejectedBeforeLoading() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> ServerConfig.parse("[".repeat(100_000), BASE));
    assertEquals(List.of("yaml: nested more than 64 levels (line 1, column 65)"), e.problems());
  }

  @Test
  void duplicateTopLevelYamlKey_isRejected() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> ServerConfig.parse(TD + TD, BASE));
    assertEquals(List.of("trust_domains: duplicate key (line 3, column 1)"), e.problems());
  }

  @Test
  void envVarSyntax_isNotExpanded() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> ServerConfig.parse("trust_domains:\n  - name: ${TRUST_DOMAIN}\n", BASE));
    assertEquals(
        List.of(
            "trust_domains[0].name: is not a valid trust domain name: " + SpiffeIdRules.TD_CHARS),
        e.problems());
  }
}
