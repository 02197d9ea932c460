package dev.trustbridge.ca.upstream;

import dev.trustbridge.ca.config.KeysConfig;
import dev.trustbridge.ca.config.TrustDomainConfig;
import dev.trustbridge.ca.config.UpstreamConfig;
import dev.trustbridge.ca.keys.vault.VaultAuth;
import dev.trustbridge.ca.keys.vault.VaultSession;
import dev.trustbridge.ca.keys.vault.VaultSettings;
import dev.trustbridge.ca.upstream.vault.VaultPkiUpstream;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.EncryptedFileKeyManager;
import java.time.Clock;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the upstream authority a trust domain's configuration names. */
public final class Upstreams {
  private static final Logger LOG = LoggerFactory.getLogger(Upstreams.class);

  private Upstreams() {}

  /**
   * The upstream of {@code trustDomain}: {@link SelfSigned} without {@code upstream}. Plug-in files
   * are read and checked now; Vault is not contacted until the first intermediate is needed.
   *
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException {@code FAILED_PRECONDITION} if
   *     plug-in files are inconsistent
   */
  public static UpstreamAuthority open(
      TrustDomainConfig trustDomain, CryptoProviders providers, Clock clock) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(providers, "providers");
    Objects.requireNonNull(clock, "clock");
    if (trustDomain.upstream().isEmpty()) {
      return new SelfSigned();
    }
    UpstreamConfig config = trustDomain.upstream().get();
    if (config instanceof UpstreamConfig.Files files) {
      return PluginFiles.open(
          trustDomain.name(),
          new PluginFiles.Paths(
              files.rootBundle(), files.certChain(), files.caCert(), files.caKey()),
          providers,
          clock);
    }
    UpstreamConfig.VaultPki vault = (UpstreamConfig.VaultPki) config;
    VaultAuth auth = vaultAuth(vault.login());
    VaultSettings settings =
        vault
            .caFile()
            .map(ca -> VaultSettings.https(vault.address(), ca, auth))
            .orElseGet(() -> VaultSettings.httpsWithSystemTrust(vault.address(), auth));
    VaultSession session = VaultSession.open(settings, clock);
    VaultPkiUpstream signer =
        VaultPkiUpstream.create(
            session,
            new VaultPkiUpstream.Settings(
                vault.mount(),
                vault.issuerRef(),
                vault.ttl().orElse(trustDomain.ca().intermediateTtl())),
            clock);
    LOG.info(
        "upstream of {}: Vault PKI at {} ({})",
        trustDomain.name(),
        vault.address(),
        signer.signPath());
    return new VaultPki(signer, vault.commonName(), session::close);
  }

  private static VaultAuth vaultAuth(KeysConfig.VaultLogin login) {
    if (login instanceof KeysConfig.TokenLogin token) {
      return new VaultAuth.Token(new String(secret(token.token())));
    }
    if (login instanceof KeysConfig.AppRoleLogin approle) {
      return new VaultAuth.AppRole(
          approle.roleId(), new String(secret(approle.secretId())), approle.mount());
    }
    KeysConfig.KubernetesLogin kubernetes = (KeysConfig.KubernetesLogin) login;
    return new VaultAuth.Kubernetes(kubernetes.role(), kubernetes.jwtPath(), kubernetes.mount());
  }

  private static char[] secret(KeysConfig.Secret secret) {
    return secret.env().isPresent()
        ? EncryptedFileKeyManager.passphraseFromEnv(secret.env().get())
        : EncryptedFileKeyManager.passphraseFromFile(secret.file().orElseThrow());
  }
}
