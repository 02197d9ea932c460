package dev.trustbridge.ca.server;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.server.TestServer.Svid;
import dev.trustbridge.proto.ca.v1.TrustBundle;
import dev.trustbridge.spiffe.id.SpiffeId;
import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.exception.BundleNotFoundException;
import io.spiffe.provider.SpiffeSslContextFactory;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.workloadapi.X509Source;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * Workloads' mutual TLS through java-spiffe's provider, over the SVIDs and bundles a Trustbridge
 * server handed out: the end-to-end proof that what the server issues is what a SPIFFE workload
 * accepts, checked by a third-party implementation rather than by Trustbridge's own verifier.
 */
public final class SpiffeHandshakes {
  private SpiffeHandshakes() {}

  /**
   * A java-spiffe source for {@code svid}, with the bundles read from {@code bundles} at each
   * handshake, so that a context built once follows the bundle updates an agent receives.
   */
  public static X509Source source(Svid svid, Supplier<List<TrustBundle>> bundles) throws Exception {
    ByteArrayOutputStream der = new ByteArrayOutputStream();
    for (X509Certificate certificate : svid.chain()) {
      der.write(certificate.getEncoded());
    }
    X509Svid x509Svid = X509Svid.parseRaw(der.toByteArray(), svid.keys().getPrivate().getEncoded());
    return new X509Source() {
      @Override
      public X509Svid getX509Svid() {
        return x509Svid;
      }

      @Override
      public X509Bundle getBundleForTrustDomain(io.spiffe.spiffeid.TrustDomain td)
          throws BundleNotFoundException {
        X509Bundle bundle = byTrustDomain(bundles.get()).get(td);
        if (bundle == null) {
          throw new BundleNotFoundException("no bundle for " + td);
        }
        return bundle;
      }

      @Override
      public void close() {}
    };
  }

  private static Map<io.spiffe.spiffeid.TrustDomain, X509Bundle> byTrustDomain(
      List<TrustBundle> bundles) {
    try {
      Map<io.spiffe.spiffeid.TrustDomain, X509Bundle> map = new HashMap<>();
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (TrustBundle bundle : bundles) {
        Set<X509Certificate> anchors = new HashSet<>();
        for (ByteString der : bundle.getX509AuthoritiesList()) {
          anchors.add(
              (X509Certificate)
                  factory.generateCertificate(new ByteArrayInputStream(der.toByteArray())));
        }
        io.spiffe.spiffeid.TrustDomain td =
            io.spiffe.spiffeid.TrustDomain.parse(bundle.getTrustDomain());
        map.put(td, new X509Bundle(td, anchors));
      }
      return map;
    } catch (CertificateException e) {
      throw new IllegalStateException(e);
    }
  }

  /** java-spiffe's context for {@code svid} with {@code bundles}, accepting only {@code peer}. */
  public static SSLContext context(Svid svid, Supplier<List<TrustBundle>> bundles, SpiffeId peer)
      throws Exception {
    return SpiffeSslContextFactory.getSslContext(
        SpiffeSslContextFactory.SslContextOptions.builder()
            .x509Source(source(svid, bundles))
            .acceptedSpiffeIdsSupplier(() -> Set.of(peer.toJavaSpiffe()))
            .build());
  }

  /**
   * True if a one-byte echo over mutual TLS between the two contexts succeeds on both sides: a
   * handshake alone can complete on the client before the server has refused its certificate.
   */
  public static boolean mutualTls(SSLContext serverContext, SSLContext clientContext)
      throws Exception {
    try (SSLServerSocket listener =
        (SSLServerSocket)
            serverContext
                .getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      listener.setNeedClientAuth(true);
      CompletableFuture<Boolean> served =
          CompletableFuture.supplyAsync(
              () -> {
                try (SSLSocket socket = (SSLSocket) listener.accept()) {
                  socket.setSoTimeout(5000);
                  InputStream in = socket.getInputStream();
                  int b = in.read();
                  socket.getOutputStream().write(b);
                  socket.getOutputStream().flush();
                  return true;
                } catch (Exception e) {
                  return false;
                }
              });
      boolean client;
      try (SSLSocket socket =
          (SSLSocket)
              clientContext
                  .getSocketFactory()
                  .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
        socket.setSoTimeout(5000);
        OutputStream out = socket.getOutputStream();
        out.write(42);
        out.flush();
        client = socket.getInputStream().read() == 42;
      } catch (Exception e) {
        client = false;
      }
      boolean server = served.get(10, TimeUnit.SECONDS);
      return client && server;
    }
  }
}
