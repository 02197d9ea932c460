package dev.trustbridge.ca.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Reads {@code trust_domains[i].upstream}. */
final class UpstreamReader {
  private enum UpstreamType {
    VAULT_PKI,
    FILES
  }

  private static final String[] VAULT_KEYS = {
    "address", "ca_file", "auth", "mount", "issuer_ref", "common_name", "ttl"
  };
  private static final String[] FILES_KEYS = {
    "dir", "root_bundle", "cert_chain", "ca_cert", "ca_key"
  };

  private UpstreamReader() {}

  /** Null when the section is absent or has problems (they are reported on {@code n}). */
  static UpstreamConfig read(YamlNode n, Path baseDir) {
    if (!n.isSet()) {
      return null;
    }
    UpstreamType type = n.get("type").required(ValueType.oneOf(UpstreamType.class));
    if (type == null) {
      n.ignore(VAULT_KEYS);
      n.ignore(FILES_KEYS);
      return null;
    }
    if (type == UpstreamType.VAULT_PKI) {
      n.forbid("only for type: files", FILES_KEYS);
      return vaultPki(n, baseDir);
    }
    n.forbid("only for type: vault-pki", VAULT_KEYS);
    return files(n, baseDir);
  }

  private static UpstreamConfig vaultPki(YamlNode n, Path baseDir) {
    URI address = n.get("address").required(ValueType.HTTPS_URL);
    Optional<Path> caFile =
        Optional.ofNullable(n.get("ca_file").value(ValueType.path(baseDir), null));
    KeysConfig.VaultLogin login = n.get("auth").object(a -> KeyBackendReader.login(a, baseDir));
    if (!n.get("auth").isSet()) {
      n.problemAt("auth", "is required: method token, approle or kubernetes");
    }
    String mount = n.get("mount").value(ValueType.STRING, "pki");
    Optional<String> issuerRef =
        Optional.ofNullable(n.get("issuer_ref").value(ValueType.STRING, null));
    Optional<String> commonName =
        Optional.ofNullable(n.get("common_name").value(ValueType.STRING, null));
    Optional<Duration> ttl = Optional.ofNullable(n.get("ttl").value(ValueType.DURATION_TYPE, null));
    return n.build(
        () ->
            new UpstreamConfig.VaultPki(address, caFile, login, mount, issuerRef, commonName, ttl));
  }

  /** {@code dir} gives Istio's four names in it; each file key overrides its name. */
  private static UpstreamConfig files(YamlNode n, Path baseDir) {
    Path dir = n.get("dir").value(ValueType.path(baseDir), null);
    Path rootBundle = file(n, "root_bundle", dir, "root-cert.pem", baseDir);
    Path certChain = file(n, "cert_chain", dir, "cert-chain.pem", baseDir);
    Path caCert = file(n, "ca_cert", dir, "ca-cert.pem", baseDir);
    Path caKey = file(n, "ca_key", dir, "ca-key.pem", baseDir);
    return n.build(() -> new UpstreamConfig.Files(rootBundle, certChain, caCert, caKey));
  }

  private static Path file(YamlNode n, String key, Path dir, String istioName, Path baseDir) {
    YamlNode node = n.get(key);
    if (node.isSet() || dir == null) {
      return node.required(ValueType.path(baseDir));
    }
    return dir.resolve(istioName);
  }
}
