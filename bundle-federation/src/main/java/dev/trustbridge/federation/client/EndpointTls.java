package dev.trustbridge.federation.client;

import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.svid.X509AuthoritySource;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/** Builds the client TLS context of a relationship's profile. */
final class EndpointTls {
  /** TLS 1.2 and 1.3 only, as the endpoint side (Mozilla intermediate). */
  static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  private EndpointTls() {}

  static SSLParameters parameters() {
    SSLParameters p = new SSLParameters();
    p.setProtocols(PROTOCOLS.toArray(new String[0]));
    return p;
  }

  /**
   * The context for one poll. {@code https_web}: the JDK's PKIX trust manager over the configured
   * anchors (or the system roots), with the host name check that {@link java.net.http.HttpClient}
   * turns on (RFC 6125 via endpoint identification {@code HTTPS}). {@code https_spiffe}: {@link
   * SpiffeEndpointTrustManager}, no host name check.
   */
  static SSLContext context(
      FederationRelationship.Profile profile, FederatedBundleStore store, Clock clock) {
    TrustManager trustManager;
    if (profile instanceof FederationRelationship.HttpsWeb web) {
      trustManager = webTrustManager(web.trustAnchors());
    } else {
      FederationRelationship.HttpsSpiffe spiffe = (FederationRelationship.HttpsSpiffe) profile;
      trustManager =
          new SpiffeEndpointTrustManager(
              spiffe.endpointId(), spiffeAuthorities(spiffe, store), clock);
    }
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {trustManager}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no TLS", e);
    }
  }

  /**
   * The authorities of the endpoint's trust domain: the latest stored bundle of that trust domain,
   * or the bootstrap bundle while none is stored. Other trust domains have none (section 7.3).
   */
  static X509AuthoritySource spiffeAuthorities(
      FederationRelationship.HttpsSpiffe spiffe, FederatedBundleStore store) {
    TrustDomain endpointTd = spiffe.endpointId().trustDomain();
    return td -> {
      if (!td.equals(endpointTd)) {
        return Optional.empty();
      }
      SpiffeBundle latest = store.load(endpointTd).orElse(spiffe.bootstrapBundle());
      return Optional.<Collection<X509Certificate>>of(latest.x509Authorities());
    };
  }

  private static TrustManager webTrustManager(List<X509Certificate> anchors) {
    try {
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (anchors.isEmpty()) {
        factory.init((KeyStore) null);
      } else {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        for (int i = 0; i < anchors.size(); i++) {
          store.setCertificateEntry("anchor-" + i, anchors.get(i));
        }
        factory.init(store);
      }
      return factory.getTrustManagers()[0];
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build the https_web trust manager", e);
    }
  }
}
