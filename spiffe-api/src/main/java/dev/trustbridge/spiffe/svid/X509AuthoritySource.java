package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.id.TrustDomain;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Optional;

/**
 * Where {@link X509SvidVerifier} finds the X.509 authorities (trust anchors) of one trust domain.
 * Bundles of different trust domains are never pooled: the verifier asks only for the trust domain
 * of the SVID it is verifying (SPIFFE Federation section 7.3).
 */
@FunctionalInterface
public interface X509AuthoritySource {
  /**
   * The X.509 authorities of {@code trustDomain}: empty if there is no bundle for it. A present but
   * empty collection means every key of that trust domain was revoked; both mean "untrusted".
   */
  Optional<Collection<X509Certificate>> x509Authorities(TrustDomain trustDomain);
}
