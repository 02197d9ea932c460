package dev.trustbridge.ca.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Optional;

/** Reads the {@code keys} section of the HSM and Vault backends. */
final class KeyBackendReader {
  private static final ValueType<URI> HTTPS_URL =
      new ValueType<>(
          "an https URL",
          text -> {
            try {
              URI uri = new URI(text);
              if (!"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("must be an https URL");
              }
              return uri;
            } catch (URISyntaxException e) {
              throw new IllegalArgumentException("must be an https URL", e);
            }
          });

  private KeyBackendReader() {}

  static KeysConfig pkcs11(YamlNode n, Path baseDir) {
    Path library = n.get("library").required(ValueType.path(baseDir));
    Integer slot = n.get("slot_list_index").integer(0, 1023, 0);
    KeysConfig.Secret pin = secret(n, "pin", baseDir);
    String prefix = n.get("label_prefix").value(ValueType.STRING, "trustbridge/");
    return n.build(() -> new KeysConfig.Pkcs11Keys(library, slot, pin, prefix));
  }

  static KeysConfig vaultTransit(YamlNode n, Path baseDir) {
    URI address = n.get("address").required(HTTPS_URL);
    Optional<Path> caFile =
        Optional.ofNullable(n.get("ca_file").value(ValueType.path(baseDir), null));
    String mount = n.get("mount").value(ValueType.STRING, "transit");
    String prefix = n.get("key_prefix").value(ValueType.STRING, "trustbridge-");
    KeysConfig.VaultLogin login = n.get("auth").object(a -> login(a, baseDir));
    if (!n.get("auth").isSet()) {
      n.problemAt("auth", "is required: method token, approle or kubernetes");
    }
    return n.build(() -> new KeysConfig.VaultTransitKeys(address, caFile, mount, prefix, login));
  }

  /** {@code auth} of Vault: also read for {@code trust_domains[i].upstream} of type vault-pki. */
  static KeysConfig.VaultLogin login(YamlNode n, Path baseDir) {
    if (!n.isSet()) {
      return null;
    }
    String method = n.get("method").required(ValueType.STRING);
    if (method == null) {
      return null;
    }
    switch (method) {
      case "token" -> {
        KeysConfig.Secret token = secret(n, "token", baseDir);
        return n.build(() -> new KeysConfig.TokenLogin(token));
      }
      case "approle" -> {
        String roleId = n.get("role_id").required(ValueType.STRING);
        KeysConfig.Secret secretId = secret(n, "secret_id", baseDir);
        String mount = n.get("mount").value(ValueType.STRING, "approle");
        return n.build(() -> new KeysConfig.AppRoleLogin(roleId, secretId, mount));
      }
      case "kubernetes" -> {
        String role = n.get("role").required(ValueType.STRING);
        Path jwt =
            n.get("jwt_path")
                .value(
                    ValueType.path(baseDir),
                    Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token"));
        String mount = n.get("mount").value(ValueType.STRING, "kubernetes");
        return n.build(() -> new KeysConfig.KubernetesLogin(role, jwt, mount));
      }
      default -> {
        n.problemAt("method", "must be token, approle or kubernetes");
        n.ignore("token_env", "token_file", "role_id", "secret_id_env", "secret_id_file", "mount");
        n.ignore("role", "jwt_path");
        return null;
      }
    }
  }

  /** {@code <name>_env} or {@code <name>_file}, exactly one. */
  private static KeysConfig.Secret secret(YamlNode n, String name, Path baseDir) {
    YamlNode envNode = n.get(name + "_env");
    YamlNode fileNode = n.get(name + "_file");
    String env = envNode.value(ValueType.ENV_VAR, null);
    Path file = fileNode.value(ValueType.path(baseDir), null);
    if (envNode.isSet() == fileNode.isSet()) {
      n.problemAt(name + "_env", "set exactly one of " + name + "_env or " + name + "_file");
      return null;
    }
    if (env == null && file == null) {
      return null;
    }
    return new KeysConfig.Secret(Optional.ofNullable(env), Optional.ofNullable(file));
  }
}
