package dev.trustbridge.ca.tls;

import dev.trustbridge.spiffe.bundle.PemBundles;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.svid.X509SvidVerifier;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * gRPC channels from the CLI to a Trustbridge server: the server is authenticated as the X509-SVID
 * {@code spiffe://TD/trustbridge/server} against a trust bundle file; the client presents an
 * X509-SVID where it has one.
 */
public final class ClientTls {
  private ClientTls() {}

  /** Reads PEM certificates (trust anchors or a chain). */
  public static List<X509Certificate> readCertificates(Path file) {
    try {
      return PemBundles.readBundle(TrustDomain.parse("cli.invalid"), Files.readAllBytes(file))
          .x509Authorities();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Reads a certificate chain (leaf first); unlike bundles, leaves are allowed. */
  public static List<X509Certificate> readChain(Path file) {
    try {
      return CertificateFactory.getInstance("X.509")
          .generateCertificates(Files.newInputStream(file))
          .stream()
          .map(X509Certificate.class::cast)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (CertificateException e) {
      throw new IllegalArgumentException(file + " does not hold PEM certificates", e);
    }
  }

  /** Reads an unencrypted PKCS#8 PEM private key of any supported type. */
  public static PrivateKey readPrivateKey(Path file) {
    String pem;
    try {
      pem = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    String body =
        pem.replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s+", "");
    byte[] der;
    try {
      der = Base64.getDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + " is not a PKCS#8 PEM private key", e);
    }
    for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException(file + " is not a PKCS#8 PEM private key");
  }

  /**
   * A channel to {@code target} that accepts only a server SVID with path {@code
   * /trustbridge/server} chaining to {@code anchors}, and presents {@code credential} if given.
   */
  public static ManagedChannel channel(
      String target,
      Collection<X509Certificate> anchors,
      Optional<RotatingKeyManager.Credential> credential) {
    X509SvidVerifier verifier =
        new X509SvidVerifier(td -> Optional.of(List.copyOf(anchors)), Clock.systemUTC());
    SpiffeTrustManager trust = new SpiffeTrustManager(verifier, ClientTls::isTrustbridgeServer);
    try {
      SslContextBuilder tls = GrpcSslContexts.forClient().trustManager(trust);
      credential.ifPresent(c -> tls.keyManager(new RotatingKeyManager(c)));
      return NettyChannelBuilder.forTarget(target).sslContext(tls.build()).build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build the client TLS context", e);
    }
  }

  public static boolean isTrustbridgeServer(SpiffeId id) {
    return id.path().equals("/trustbridge/server");
  }

  public static void shutdown(ManagedChannel channel) {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
