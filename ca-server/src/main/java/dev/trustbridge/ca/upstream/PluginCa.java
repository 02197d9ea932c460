package dev.trustbridge.ca.upstream;

import dev.trustbridge.spiffe.svid.IssuingCa;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * One consistent set of plug-in CA files, checked: the signing CA with its in-memory key, the
 * certificates between it and its root, and the root bundle.
 *
 * @param ca the signing CA ({@code ca-cert.pem} with {@code ca-key.pem})
 * @param chain the certificates above the CA up to, not including, its root; issuer first
 * @param roots every certificate of {@code root-cert.pem}, in file order
 * @param anchor the root of {@code roots} that the CA chains to
 */
public record PluginCa(
    IssuingCa ca,
    List<X509Certificate> chain,
    List<X509Certificate> roots,
    X509Certificate anchor) {
  public PluginCa {
    Objects.requireNonNull(ca, "ca");
    chain = List.copyOf(chain);
    roots = List.copyOf(roots);
    Objects.requireNonNull(anchor, "anchor");
    if (!roots.contains(anchor)) {
      throw new IllegalArgumentException("the anchor must be one of the roots");
    }
  }

  /** The key id under which the journal records this CA: {@code plugin:<sha-256 prefix>}. */
  public String keyId() {
    return ca.key().id();
  }
}
