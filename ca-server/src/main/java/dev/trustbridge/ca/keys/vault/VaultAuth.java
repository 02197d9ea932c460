package dev.trustbridge.ca.keys.vault;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How Trustbridge logs in to Vault. {@link Token} uses a token handed in by the operator (it can be
 * renewed but never replaced); {@link AppRole} and {@link Kubernetes} log in again whenever the
 * current token can no longer be renewed. {@code toString()} never shows a token, secret id or JWT.
 */
public sealed interface VaultAuth permits VaultAuth.Token, VaultAuth.AppRole, VaultAuth.Kubernetes {

  /** The default path of the service account token that Kubernetes mounts into a pod. */
  Path KUBERNETES_SERVICE_ACCOUNT_TOKEN =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

  /** True if this method can obtain a new token by itself (AppRole, Kubernetes). */
  boolean canLogIn();

  /** A fixed token (from a file or the environment); renewed while renewable, never replaced. */
  record Token(String token) implements VaultAuth {
    public Token {
      Objects.requireNonNull(token, "token");
      if (token.isBlank()) {
        throw new IllegalArgumentException("Vault token is empty");
      }
    }

    @Override
    public boolean canLogIn() {
      return false;
    }

    @Override
    public String toString() {
      return "VaultAuth.Token[token=<hidden>]";
    }
  }

  /** AppRole login at {@code auth/<mount>/login} with a role id and a secret id. */
  record AppRole(String roleId, String secretId, String mount) implements VaultAuth {
    public AppRole {
      Objects.requireNonNull(roleId, "roleId");
      Objects.requireNonNull(secretId, "secretId");
      if (roleId.isBlank() || secretId.isBlank()) {
        throw new IllegalArgumentException("AppRole role id and secret id must not be empty");
      }
      mount = VaultPaths.requireMount(mount, "AppRole auth mount");
    }

    /** AppRole at the default mount {@code approle}. */
    public AppRole(String roleId, String secretId) {
      this(roleId, secretId, "approle");
    }

    @Override
    public boolean canLogIn() {
      return true;
    }

    @Override
    public String toString() {
      return "VaultAuth.AppRole[roleId=" + roleId + ", secretId=<hidden>, mount=" + mount + "]";
    }
  }

  /**
   * Kubernetes login at {@code auth/<mount>/login} with a Vault role and the service account JWT
   * read from {@code jwtPath} at every login (projected tokens are rotated by the kubelet).
   */
  record Kubernetes(String role, Path jwtPath, String mount) implements VaultAuth {
    public Kubernetes {
      Objects.requireNonNull(role, "role");
      Objects.requireNonNull(jwtPath, "jwtPath");
      if (role.isBlank()) {
        throw new IllegalArgumentException("Kubernetes auth role must not be empty");
      }
      mount = VaultPaths.requireMount(mount, "Kubernetes auth mount");
    }

    /** Kubernetes login with the pod's service account token at the default mount. */
    public Kubernetes(String role) {
      this(role, KUBERNETES_SERVICE_ACCOUNT_TOKEN, "kubernetes");
    }

    @Override
    public boolean canLogIn() {
      return true;
    }
  }
}
