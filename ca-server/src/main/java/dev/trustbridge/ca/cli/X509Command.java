package dev.trustbridge.ca.cli;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.tls.ClientTls;
import dev.trustbridge.ca.tls.RotatingKeyManager;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.SignX509SvidRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.proto.ca.v1.TrustBundle;
import dev.trustbridge.spiffe.bundle.PemBundles;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.VerifiedX509Svid;
import dev.trustbridge.spiffe.svid.X509SvidVerifier;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trustbridge x509 mint}: acts as an agent and obtains an X509-SVID. */
@Command(
    name = "x509",
    mixinStandardHelpOptions = true,
    description = "X509-SVIDs.",
    subcommands = {X509Command.Mint.class})
final class X509Command implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** One credential: a join token, or an existing SVID for mTLS. */
  static final class Credential {
    @Option(names = "--token", required = true, description = "One-time join token.")
    String token;

    @ArgGroup(exclusive = false)
    Svid svid;
  }

  /** An existing X509-SVID and its key. */
  static final class Svid {
    @Option(names = "--cert", required = true, description = "SVID chain PEM (leaf first).")
    Path cert;

    @Option(names = "--key", required = true, description = "SVID private key (PKCS#8 PEM).")
    Path key;
  }

  @Command(
      name = "mint",
      mixinStandardHelpOptions = true,
      description =
          "Make a key pair and CSR, call the CA, verify the answer and write svid.pem (leaf"
              + " first, then intermediates), svid.key (0600), bundle.pem (the trust anchors of"
              + " the SVID's own trust domain) and federated.pem (the anchors of every federated"
              + " trust domain the identity is granted; empty without grants).")
  static final class Mint implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--server", required = true, paramLabel = "HOST:PORT")
    String server;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Credential credential;

    @Option(
        names = "--bundle",
        required = true,
        paramLabel = "FILE",
        description = "Trust anchors (PEM) that authenticate the server.")
    Path bundle;

    @Option(names = "--spiffe-id", description = "The ID to obtain (default: the caller's own).")
    String spiffeId = "";

    @Option(
        names = "--ttl",
        description = "Requested lifetime, e.g. 1h (default: the server's).",
        converter = DurationConverter.class)
    Duration ttl;

    @Option(
        names = "--key-type",
        description =
            "EC_P256, EC_P384, RSA_2048, RSA_3072, RSA_4096 or ED25519 (default: ${DEFAULT-VALUE}).",
        defaultValue = "EC_P256")
    KeyType keyType;

    @Option(names = "--out", required = true, paramLabel = "DIR")
    Path out;

    @Override
    public Integer call() throws IOException {
      KeyPair keys = CryptoProviders.detect().keyPairGenerator(keyType).generateKeyPair();
      byte[] csr = csr(keys);
      Optional<RotatingKeyManager.Credential> tlsCredential =
          credential.svid == null
              ? Optional.empty()
              : Optional.of(
                  new RotatingKeyManager.Credential(
                      ClientTls.readChain(credential.svid.cert),
                      ClientTls.readPrivateKey(credential.svid.key)));
      ManagedChannel channel =
          ClientTls.channel(server, ClientTls.readCertificates(bundle), tlsCredential);
      SignX509SvidResponse response;
      try {
        CertificateAuthorityGrpc.CertificateAuthorityBlockingStub stub =
            CertificateAuthorityGrpc.newBlockingStub(channel);
        if (credential.token != null) {
          Metadata headers = new Metadata();
          headers.put(
              Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
              "JoinToken " + credential.token);
          stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        response =
            stub.signX509Svid(
                SignX509SvidRequest.newBuilder()
                    .setCsr(ByteString.copyFrom(csr))
                    .setSpiffeId(spiffeId)
                    .setTtlSeconds(ttl == null ? 0 : ttl.toSeconds())
                    .build());
      } finally {
        ClientTls.shutdown(channel);
      }
      List<X509Certificate> chain = certificates(response.getCertChainList());
      TrustBundle own = response.getBundles(0);
      List<X509Certificate> anchors = certificates(own.getX509AuthoritiesList());
      VerifiedX509Svid verified = verify(chain, anchors, keys);
      List<TrustBundle> federated =
          response.getBundlesList().subList(1, response.getBundlesCount());
      List<X509Certificate> federatedAnchors = new ArrayList<>();
      federated.forEach(b -> federatedAnchors.addAll(certificates(b.getX509AuthoritiesList())));
      writeOutputs(chain, keys, anchors, federatedAnchors);
      spec.commandLine()
          .getOut()
          .printf(
              "SPIFFE ID: %s%nExpires:   %s%nFederated: %s%nWritten:   %s%n",
              verified.spiffeId(),
              verified.leaf().getNotAfter().toInstant(),
              federated.isEmpty()
                  ? "-"
                  : String.join(", ", federated.stream().map(TrustBundle::getTrustDomain).toList()),
              out.toAbsolutePath());
      return 0;
    }

    private VerifiedX509Svid verify(
        List<X509Certificate> chain, List<X509Certificate> anchors, KeyPair keys) {
      if (chain.isEmpty()
          || !Arrays.equals(
              chain.get(0).getPublicKey().getEncoded(), keys.getPublic().getEncoded())) {
        throw new IllegalStateException("the server returned a certificate for another key");
      }
      VerifiedX509Svid verified =
          new X509SvidVerifier(td -> Optional.of(anchors), Clock.systemUTC()).verify(chain);
      if (!spiffeId.isEmpty() && !verified.spiffeId().equals(SpiffeId.parse(spiffeId))) {
        throw new IllegalStateException(
            "the server returned " + verified.spiffeId() + " instead of " + spiffeId);
      }
      return verified;
    }

    private static byte[] csr(KeyPair keys) {
      try {
        return new JcaPKCS10CertificationRequestBuilder(new X500Principal(""), keys.getPublic())
            .build(
                new JcaContentSignerBuilder(
                        KeyType.of(keys.getPublic()).orElseThrow().jcaSignatureAlgorithm())
                    .setProvider(CryptoProviders.detect().bouncyCastle())
                    .build(keys.getPrivate()))
            .getEncoded();
      } catch (IOException | OperatorCreationException e) {
        throw new IllegalStateException("cannot build the CSR", e);
      }
    }

    private void writeOutputs(
        List<X509Certificate> chain,
        KeyPair keys,
        List<X509Certificate> anchors,
        List<X509Certificate> federatedAnchors)
        throws IOException {
      Files.createDirectories(out);
      writeFile(out.resolve("svid.pem"), PemBundles.writeCertificates(chain), "rw-r--r--");
      StringWriter key = new StringWriter();
      try (JcaPEMWriter writer = new JcaPEMWriter(key)) {
        writer.writeObject(new PemObject("PRIVATE KEY", keys.getPrivate().getEncoded()));
      }
      writeFile(
          out.resolve("svid.key"), key.toString().getBytes(StandardCharsets.US_ASCII), "rw-------");
      writeFile(out.resolve("bundle.pem"), PemBundles.writeCertificates(anchors), "rw-r--r--");
      // A separate file, so that bundle.pem keeps meaning "my own trust domain" for existing users.
      writeFile(
          out.resolve("federated.pem"),
          PemBundles.writeCertificates(federatedAnchors),
          "rw-r--r--");
    }

    private static void writeFile(Path target, byte[] content, String permissions)
        throws IOException {
      Path temp =
          Files.createTempFile(
              target.getParent(),
              "." + target.getFileName(),
              ".tmp",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        Files.write(temp, content);
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString(permissions));
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(temp);
      }
    }

    private static List<X509Certificate> certificates(List<ByteString> ders) {
      try {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> certificates = new ArrayList<>();
        for (ByteString der : ders) {
          certificates.add(
              (X509Certificate)
                  factory.generateCertificate(new ByteArrayInputStream(der.toByteArray())));
        }
        return certificates;
      } catch (CertificateException e) {
        throw new UncheckedIOException(new IOException("the server returned a bad certificate", e));
      }
    }
  }
}
