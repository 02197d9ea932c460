package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.id.SpiffeId;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * The result of a successful {@link X509SvidVerifier#verify(List)}: the peer's SPIFFE ID and the
 * path that was validated.
 *
 * @param spiffeId the SPIFFE ID of the leaf, parsed strictly
 * @param chain the validated certificates, leaf first, without the trust anchor
 * @param trustAnchor the X.509 authority of the leaf's trust domain the chain leads to
 */
public record VerifiedX509Svid(
    SpiffeId spiffeId, List<X509Certificate> chain, X509Certificate trustAnchor) {
  /** Copies the chain and requires every component. */
  public VerifiedX509Svid {
    Objects.requireNonNull(spiffeId, "spiffeId");
    chain = List.copyOf(chain);
    Objects.requireNonNull(trustAnchor, "trustAnchor");
  }

  /** The leaf certificate. */
  public X509Certificate leaf() {
    return chain.get(0);
  }
}
