package dev.trustbridge.ca.tls;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.svid.VerifiedX509Svid;
import dev.trustbridge.spiffe.svid.X509SvidVerifier;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Predicate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Authenticates TLS peers as X509-SVIDs (X509-SVID spec section 5) against the bundle of the peer's
 * own trust domain, and then checks the peer's SPIFFE ID. Host names are not checked: the SPIFFE ID
 * is the peer's identity.
 */
public final class SpiffeTrustManager extends X509ExtendedTrustManager {
  private final X509SvidVerifier verifier;
  private final Predicate<SpiffeId> acceptedPeer;

  public SpiffeTrustManager(X509SvidVerifier verifier, Predicate<SpiffeId> acceptedPeer) {
    this.verifier = Objects.requireNonNull(verifier, "verifier");
    this.acceptedPeer = Objects.requireNonNull(acceptedPeer, "acceptedPeer");
  }

  private void check(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("peer presented no certificate");
    }
    VerifiedX509Svid verified;
    try {
      verified = verifier.verify(Arrays.asList(chain));
    } catch (RuntimeException e) {
      throw new CertificateException("peer is not a valid X509-SVID: " + e.getMessage(), e);
    }
    if (!acceptedPeer.test(verified.spiffeId())) {
      throw new CertificateException("peer SPIFFE ID " + verified.spiffeId() + " is not accepted");
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    // Empty: clients then send their certificate whatever CA it chains to; we verify it.
    return new X509Certificate[0];
  }
}
