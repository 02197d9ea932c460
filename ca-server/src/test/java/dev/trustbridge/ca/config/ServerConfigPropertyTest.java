package dev.trustbridge.ca.config;

import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;

/** Whatever the input, parsing either succeeds or throws {@link ConfigException}. */
class ServerConfigPropertyTest {
  private static final List<String> KEYS =
      List.of(
          "server",
          "data_dir",
          "grpc",
          "listen",
          "max_csr_bytes",
          "metrics",
          "log",
          "format",
          "level",
          "datastore",
          "type",
          "path",
          "url",
          "username_env",
          "password_env",
          "password_file",
          "keys",
          "dir",
          "passphrase_env",
          "passphrase_file",
          "trust_domains",
          "name",
          "ca",
          "key_type",
          "root_ttl",
          "intermediate_ttl",
          "organization",
          "svid",
          "default_ttl",
          "max_ttl",
          "ttl_over_max",
          "allowed_key_types",
          "verify_leaf_signatures",
          "authn",
          "join_tokens",
          "jwt_issuers",
          "issuer",
          "jwks_file",
          "jwks_url",
          "jwks_ca_file",
          "audiences",
          "algorithms",
          "trust_domain",
          "spiffe_id_template",
          "cluster_id",
          "max_token_age",
          "istio",
          "enabled",
          "node_accounts",
          "admin",
          "ids",
          "unknown");
  private static final Path BASE = Path.of("/etc/trustbridge");

  /** Pieces of YAML syntax, schema keys and interesting values, to be glued at random. */
  private static final List<String> FRAGMENTS =
      List.of(
          "server:",
          "grpc:",
          "listen:",
          "metrics:",
          "log:",
          "level:",
          "datastore:",
          "type:",
          "postgres",
          "url:",
          "keys:",
          "memory",
          "dir:",
          "trust_domains:",
          "name:",
          "ca:",
          "svid:",
          "max_ttl:",
          "default_ttl:",
          "intermediate_ttl:",
          "root_ttl:",
          "allowed_key_types:",
          "authn:",
          "jwt_issuers:",
          "jwks_file:",
          "jwks_url:",
          "audiences:",
          "algorithms:",
          "trust_domain:",
          "spiffe_id_template:",
          "istio:",
          "node_accounts:",
          "admin:",
          "ids:",
          "example.org",
          "Example.org",
          "90s",
          "0s",
          "24h",
          "30d",
          "99999999999d",
          "127.0.0.1:8443",
          "[::1]:0",
          "off",
          "true",
          "null",
          "~",
          "42",
          "-1",
          "1.5",
          "0x10",
          "99999999999999999999",
          "spiffe://example.org/a",
          "https://x/j",
          "{namespace}",
          "/ns/{namespace}",
          "ec-p256",
          "none",
          "HS256",
          "- ",
          "  ",
          "    ",
          "\n",
          "\n  ",
          "\n    ",
          "\n- ",
          ": ",
          "[",
          "]",
          "{",
          "}",
          ",",
          "&a ",
          "*a",
          "? ",
          "'",
          "\"",
          "!!str ",
          "!!binary ",
          "!!set ",
          "|",
          ">",
          "#",
          "---",
          "...",
          "%YAML 1.2",
          "\t",
          "\\",
          "\u0000",
          "\uFEFF",
          "é");

  @Property
  void arbitraryText_onlyEverThrowsConfigException(@ForAll String text) {
    parse(text);
  }

  @Property(tries = 3000)
  void yamlishText_onlyEverThrowsConfigException(@ForAll("yamlish") String text) {
    parse(text);
  }

  @Provide
  Arbitrary<String> yamlish() {
    return Arbitraries.of(FRAGMENTS).list().ofMaxSize(60).map(pieces -> String.join("", pieces));
  }

  /** Random trees of the schema's own keys with random values, so that the reader goes deep. */
  @Property(tries = 3000)
  void schemaShapedDocuments_onlyEverThrowConfigException(@ForAll("documents") Object document) {
    parse(new Dump(DumpSettings.builder().build()).dumpToString(document));
  }

  @Provide
  Arbitrary<Object> documents() {
    return value(4);
  }

  private static Arbitrary<Object> value(int depth) {
    Arbitrary<Object> scalar =
        Arbitraries.oneOf(
            Arbitraries.of(FRAGMENTS).map(s -> (Object) s.trim()),
            Arbitraries.integers().map(i -> (Object) i),
            Arbitraries.of(true, false).map(b -> (Object) b));
    if (depth == 0) {
      return scalar;
    }
    Arbitrary<Object> child = Arbitraries.lazy(() -> value(depth - 1));
    Arbitrary<Object> map =
        Arbitraries.maps(Arbitraries.of(KEYS), child).ofMaxSize(5).map(m -> (Object) m);
    Arbitrary<Object> list = child.list().ofMaxSize(3).map(l -> (Object) l);
    return Arbitraries.frequencyOf(Tuple.of(2, scalar), Tuple.of(5, map), Tuple.of(2, list));
  }

  @Example
  void selfReferencingAndAliasHeavyDocuments_areConfigExceptions() {
    for (String text :
        List.of(
            "&a [*a]",
            "trust_domains: &a [*a]",
            "trust_domains:\n  - &a {name: example.org, ca: *a}",
            "? &a [*a]\n: 1",
            "admin: {ids: &a [*a, *a]}",
            "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                + "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c]\n",
            "!!binary AAAA",
            "trust_domains: !!set {a, b}",
            "[" + "[".repeat(5000))) {
      parse(text);
    }
  }

  private static void parse(String text) {
    try {
      ServerConfig.parse(text, BASE);
    } catch (ConfigException expected) {
      // The only acceptable failure.
    }
  }
}
