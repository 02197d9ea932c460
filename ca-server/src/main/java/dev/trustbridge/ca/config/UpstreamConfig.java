package dev.trustbridge.ca.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a trust domain's trust comes from (key {@code trust_domains[i].upstream}); without it the
 * roots are self-signed.
 */
public sealed interface UpstreamConfig permits UpstreamConfig.VaultPki, UpstreamConfig.Files {

  /**
   * Vault's PKI engine signs this server's intermediates ({@code type: vault-pki}).
   *
   * @param address Vault's https address
   * @param caFile PEM CAs to trust for Vault's TLS certificate (system roots if empty)
   * @param login how to log in (the same shape as {@code keys.auth})
   * @param mount the PKI mount
   * @param issuerRef the issuer to sign with ({@code issuer/<ref>/sign-intermediate}); empty for
   *     {@code root/sign-intermediate}
   * @param commonName the CN of the intermediate CSR; empty for {@code Trustbridge intermediate
   *     <td>}
   * @param ttl the intermediate lifetime asked for; empty for {@code ca.intermediate_ttl}
   */
  record VaultPki(
      URI address,
      Optional<Path> caFile,
      KeysConfig.VaultLogin login,
      String mount,
      Optional<String> issuerRef,
      Optional<String> commonName,
      Optional<Duration> ttl)
      implements UpstreamConfig {
    public VaultPki {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(caFile, "caFile");
      Objects.requireNonNull(login, "login");
      Objects.requireNonNull(mount, "mount");
      Objects.requireNonNull(issuerRef, "issuerRef");
      Objects.requireNonNull(commonName, "commonName");
      Objects.requireNonNull(ttl, "ttl");
    }
  }

  /**
   * Operator-provided CA files ({@code type: files}), as Istio's plug-in {@code cacerts}.
   *
   * @param rootBundle the roots for the bundle ({@code root-cert.pem})
   * @param certChain the CA's chain ({@code cert-chain.pem})
   * @param caCert the signing CA certificate ({@code ca-cert.pem})
   * @param caKey its private key ({@code ca-key.pem}), unencrypted PEM
   */
  record Files(Path rootBundle, Path certChain, Path caCert, Path caKey) implements UpstreamConfig {
    public Files {
      Objects.requireNonNull(rootBundle, "rootBundle");
      Objects.requireNonNull(certChain, "certChain");
      Objects.requireNonNull(caCert, "caCert");
      Objects.requireNonNull(caKey, "caKey");
    }
  }
}
