package dev.trustbridge.ca.upstream.vault;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * What the upstream returned for one intermediate CSR, already validated.
 *
 * @param certificate our intermediate CA certificate, for the CSR's public key
 * @param chain the certificates above it, issuer first, up to and including the root where Vault
 *     sent it; together with {@code certificate} this is the chain that leaves present
 * @param roots the trust anchors for the bundle: the root at the top of {@code chain} (or its last
 *     certificate when Vault sent no self-signed one), then any other self-signed certificate Vault
 *     sent
 */
public record SignedIntermediate(
    X509Certificate certificate, List<X509Certificate> chain, List<X509Certificate> roots) {
  public SignedIntermediate {
    Objects.requireNonNull(certificate, "certificate");
    chain = List.copyOf(chain);
    roots = List.copyOf(roots);
    if (chain.isEmpty() || roots.isEmpty()) {
      throw new IllegalArgumentException("an intermediate needs an issuer chain and a root");
    }
  }
}
