package dev.trustbridge.federation.client;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.svid.SvidVerificationException;
import dev.trustbridge.spiffe.svid.VerifiedX509Svid;
import dev.trustbridge.spiffe.svid.X509AuthoritySource;
import dev.trustbridge.spiffe.svid.X509SvidVerifier;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * {@code https_spiffe} server authentication (SPIFFE Federation section 5.2.2): the server's chain
 * must be a valid X509-SVID (X509-SVID section 5, PKIX against the authorities of the leaf's trust
 * domain only) and its SPIFFE ID must equal the configured endpoint ID. Being an {@link
 * X509ExtendedTrustManager}, it replaces the JDK's host name check: none is made. The authorities
 * are read at every handshake, so a rotation is honoured from the next connection on.
 */
final class SpiffeEndpointTrustManager extends X509ExtendedTrustManager {
  static final String WRONG_ID = "server SPIFFE ID is not the configured endpoint SPIFFE ID";
  static final String NOT_A_SERVER = "this trust manager authenticates servers only";

  private final SpiffeId endpointId;
  private final X509SvidVerifier verifier;

  SpiffeEndpointTrustManager(SpiffeId endpointId, X509AuthoritySource authorities, Clock clock) {
    this.endpointId = endpointId;
    this.verifier = new X509SvidVerifier(authorities, clock);
  }

  private void verify(X509Certificate[] chain) throws CertificateException {
    if (chain == null) {
      throw new CertificateException(X509SvidVerifier.CHAIN_EMPTY);
    }
    VerifiedX509Svid svid;
    try {
      svid = verifier.verify(List.of(chain));
    } catch (SvidVerificationException e) {
      throw new CertificateException(e.getMessage(), e);
    }
    if (!svid.spiffeId().equals(endpointId)) {
      throw new CertificateException(
          WRONG_ID + " (got " + svid.spiffeId() + ", expected " + endpointId + ")");
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException(NOT_A_SERVER);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException(NOT_A_SERVER);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException(NOT_A_SERVER);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
