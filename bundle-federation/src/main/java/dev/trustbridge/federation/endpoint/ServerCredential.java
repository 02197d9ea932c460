package dev.trustbridge.federation.endpoint;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A TLS server credential: a certificate chain (leaf first) and the leaf's private key. For the
 * {@code https_spiffe} profile the leaf is the server's X509-SVID.
 *
 * <p>{@link #toString()} never shows key material.
 */
public record ServerCredential(List<X509Certificate> chain, PrivateKey privateKey) {
  public static final String CHAIN_EMPTY = "certificate chain is empty";

  public ServerCredential {
    Objects.requireNonNull(chain, "chain");
    Objects.requireNonNull(privateKey, "privateKey");
    chain = List.copyOf(chain);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException(CHAIN_EMPTY);
    }
  }

  /** The leaf (end-entity) certificate. */
  public X509Certificate leaf() {
    return chain.get(0);
  }

  @Override
  public String toString() {
    return "ServerCredential[leaf="
        + leaf().getSubjectX500Principal()
        + ", serial="
        + leaf().getSerialNumber().toString(16)
        + ", chainLength="
        + chain.size()
        + "]";
  }
}
