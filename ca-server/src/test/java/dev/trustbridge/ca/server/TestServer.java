package dev.trustbridge.ca.server;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.config.ServerConfig;
import dev.trustbridge.ca.tls.ClientTls;
import dev.trustbridge.ca.tls.RotatingKeyManager;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import io.grpc.ManagedChannel;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** A real Trustbridge server on 127.0.0.1 port 0 for end-to-end tests, and client helpers. */
public final class TestServer implements AutoCloseable {
  public final Path dataDir;
  public final MutableClock clock;
  public final TrustbridgeServer server;
  private final List<ManagedChannel> channels = new ArrayList<>();

  public TestServer(Path dataDir, String extraYaml, MutableClock clock) {
    this.dataDir = dataDir;
    this.clock = clock;
    String yaml =
        "server:\n"
            + "  data_dir: "
            + dataDir
            + "\n"
            + "  grpc:\n"
            + "    listen: 127.0.0.1:0\n"
            + "  metrics:\n"
            + "    listen: 127.0.0.1:0\n"
            + extraYaml;
    this.server = TrustbridgeServer.start(ServerConfig.parse(yaml, dataDir), clock);
  }

  public String target() {
    return "127.0.0.1:" + server.grpcPort();
  }

  public List<X509Certificate> anchors() {
    return ClientTls.readCertificates(server.adminDir().resolve("bundle.pem"));
  }

  /** A channel without a client certificate. */
  public ManagedChannel anonymous() {
    return track(ClientTls.channel(target(), anchors(), Optional.empty()));
  }

  /** A channel presenting the local admin credential. */
  public ManagedChannel admin() {
    return track(
        ClientTls.channel(
            target(),
            anchors(),
            Optional.of(
                new RotatingKeyManager.Credential(
                    ClientTls.readChain(server.adminDir().resolve("svid.pem")),
                    ClientTls.readPrivateKey(server.adminDir().resolve("svid.key"))))));
  }

  /** A channel presenting an SVID obtained earlier. */
  public ManagedChannel withSvid(Svid svid) {
    return track(
        ClientTls.channel(
            target(),
            anchors(),
            Optional.of(
                new RotatingKeyManager.Credential(svid.chain(), svid.keys().getPrivate()))));
  }

  private ManagedChannel track(ManagedChannel channel) {
    channels.add(channel);
    return channel;
  }

  /** A key pair with its CSR. */
  public record Csr(KeyPair keys, byte[] der) {
    public ByteString bytes() {
      return ByteString.copyFrom(der);
    }
  }

  /** An obtained SVID: chain (leaf first) and key. */
  public record Svid(List<X509Certificate> chain, KeyPair keys) {}

  public static Csr csr(KeyType type) throws Exception {
    KeyPair keys = CryptoProviders.bouncyCastleOnly().keyPairGenerator(type).generateKeyPair();
    byte[] der =
        new JcaPKCS10CertificationRequestBuilder(new X500Principal(""), keys.getPublic())
            .build(
                new JcaContentSignerBuilder(type.jcaSignatureAlgorithm())
                    .setProvider(CryptoProviders.bouncyCastleOnly().bouncyCastle())
                    .build(keys.getPrivate()))
            .getEncoded();
    return new Csr(keys, der);
  }

  public static List<X509Certificate> chain(SignX509SvidResponse response) throws Exception {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    List<X509Certificate> chain = new ArrayList<>();
    for (ByteString der : response.getCertChainList()) {
      chain.add(
          (X509Certificate)
              factory.generateCertificate(new ByteArrayInputStream(der.toByteArray())));
    }
    return chain;
  }

  @Override
  public void close() {
    channels.forEach(ClientTls::shutdown);
    server.close();
  }
}
