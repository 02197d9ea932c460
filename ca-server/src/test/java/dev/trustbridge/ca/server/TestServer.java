package dev.trustbridge.ca.server;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.config.ServerConfig;
import dev.trustbridge.ca.tls.ClientTls;
import dev.trustbridge.ca.tls.RotatingKeyManager;
import dev.trustbridge.proto.admin.v1.BundleAdminGrpc;
import dev.trustbridge.proto.admin.v1.CreateEntryRequest;
import dev.trustbridge.proto.admin.v1.CreateJoinTokenRequest;
import dev.trustbridge.proto.admin.v1.Entry;
import dev.trustbridge.proto.admin.v1.EntryAdminGrpc;
import dev.trustbridge.proto.admin.v1.FederationAdminGrpc;
import dev.trustbridge.proto.admin.v1.GetBundleRequest;
import dev.trustbridge.proto.admin.v1.GetRelationshipRequest;
import dev.trustbridge.proto.admin.v1.ImportBundleRequest;
import dev.trustbridge.proto.admin.v1.Relationship;
import dev.trustbridge.proto.admin.v1.TokenAdminGrpc;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.FetchBundlesRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.proto.ca.v1.TrustBundle;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * A real Trustbridge server on 127.0.0.1 port 0 for end-to-end tests, and client helpers: the
 * channels, agents and workloads every such test needs, so that each test speaks only of what it
 * checks. Not final: a test fixture may add its own helpers to it (the policy tests' mesh does).
 */
public class TestServer implements AutoCloseable {
  public final Path dataDir;

  /**
   * What the server runs on: usually a {@link dev.trustbridge.ca.authority.MutableClock} that the
   * test moves by hand; the system clock where servers poll each other and must see real time.
   */
  public final Clock clock;

  public final TrustbridgeServer server;
  private final List<ManagedChannel> channels = new ArrayList<>();

  public TestServer(Path dataDir, String extraYaml, Clock clock) {
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

  /** The SPIFFE bundle document of the server's trust domain, as a peer would import it. */
  public byte[] bundleDocument() {
    return BundleAdminGrpc.newBlockingStub(admin())
        .getBundle(GetBundleRequest.getDefaultInstance())
        .getSpiffeBundle()
        .toByteArray();
  }

  /** Makes {@code td} a known peer by importing a bundle document for it, without federating. */
  public void importBundle(String td, byte[] document) {
    BundleAdminGrpc.newBlockingStub(admin())
        .importBundle(
            ImportBundleRequest.newBuilder()
                .setTrustDomain(td)
                .setBundle(ByteString.copyFrom(document))
                .build());
  }

  /** Where a peer fetches {@code td}'s bundle from this server. */
  public String bundleEndpointUrl(TrustDomain td) {
    return "https://127.0.0.1:" + server.bundleEndpointPort(td).orElseThrow() + "/";
  }

  /**
   * A relationship with this server's {@code td} over https_spiffe, bootstrapped with the bundle an
   * operator would copy from it.
   */
  public Relationship.Builder httpsSpiffeRelationship(TrustDomain td) {
    return Relationship.newBuilder()
        .setTrustDomain(td.name())
        .setBundleEndpointUrl(bundleEndpointUrl(td))
        .setProfile("https_spiffe")
        .setEndpointSpiffeId("spiffe://" + td.name() + "/trustbridge/server")
        .setBootstrapBundle(ByteString.copyFrom(bundleDocument()));
  }

  /**
   * Creates the relationship and refreshes it at once, so that the peer's bundle is here before the
   * test goes on rather than at the next scheduled refresh; returns the refreshed state.
   */
  public Relationship federate(Relationship relationship) {
    FederationAdminGrpc.newBlockingStub(admin()).createRelationship(relationship);
    return FederationAdminGrpc.newBlockingStub(admin())
        .refreshRelationship(
            GetRelationshipRequest.newBuilder()
                .setTrustDomain(relationship.getTrustDomain())
                .build());
  }

  public String joinToken(SpiffeId id) {
    return TokenAdminGrpc.newBlockingStub(admin())
        .createJoinToken(CreateJoinTokenRequest.newBuilder().setSpiffeId(id.toString()).build())
        .getToken();
  }

  /** An anonymous caller's first signing request, authenticated by a join token alone. */
  public SignX509SvidResponse signWithJoinToken(String token, Csr csr) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "JoinToken " + token);
    return CertificateAuthorityGrpc.newBlockingStub(anonymous())
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .signX509Svid(SignX509SvidRequest.newBuilder().setCsr(csr.bytes()).build());
  }

  /** An agent's SVID for {@code id}, bootstrapped with a fresh join token. */
  public Svid bootstrapAgent(SpiffeId id) throws Exception {
    Csr csr = csr(KeyType.EC_P256);
    return new Svid(chain(signWithJoinToken(joinToken(id), csr)), csr.keys());
  }

  /** Registers {@code id} under {@code parent}, with the peers whose bundles it receives. */
  public Entry entry(SpiffeId id, SpiffeId parent, String... federatesWith) {
    return createEntry(
        Entry.newBuilder()
            .setSpiffeId(id.toString())
            .setParentId(parent.toString())
            .addAllFederatesWith(List.of(federatesWith)));
  }

  public Entry createEntry(Entry.Builder entry) {
    return EntryAdminGrpc.newBlockingStub(admin())
        .createEntry(CreateEntryRequest.newBuilder().setEntry(entry).build());
  }

  /** {@code caller} (an agent) asks for an SVID for {@code id} over {@code csr}. */
  public SignX509SvidResponse signFor(Svid caller, Csr csr, SpiffeId id) {
    return CertificateAuthorityGrpc.newBlockingStub(withSvid(caller))
        .signX509Svid(
            SignX509SvidRequest.newBuilder()
                .setCsr(csr.bytes())
                .setSpiffeId(id.toString())
                .build());
  }

  /**
   * Bootstraps an agent of its own for {@code id} with a join token, registers {@code id} under it
   * and returns the workload with the SVID obtained via that agent, as a deployment would.
   */
  public Workload workloadThroughAgent(SpiffeId id, String... federatesWith) throws Exception {
    SpiffeId agentId = SpiffeId.of(id.trustDomain(), "/agent/" + id.path().replace('/', '-'));
    Svid agent = bootstrapAgent(agentId);
    Entry created = entry(id, agentId, federatesWith);
    Csr csr = csr(KeyType.EC_P256);
    SignX509SvidResponse response = signFor(agent, csr, id);
    return new Workload(this, id, created, new Svid(chain(response), csr.keys()), response);
  }

  /** A registered workload with its SVID and the response that signed it. */
  public record Workload(
      TestServer server, SpiffeId id, Entry entry, Svid svid, SignX509SvidResponse signed) {
    /** The bundles it received when it was signed. */
    public List<TrustBundle> bundles() {
      return signed.getBundlesList();
    }

    /** Its bundles as the server hands them out now, after whatever changed since it was signed. */
    public List<TrustBundle> fetch() {
      return CertificateAuthorityGrpc.newBlockingStub(server.withSvid(svid))
          .fetchBundles(FetchBundlesRequest.getDefaultInstance())
          .getBundlesList();
    }
  }

  public static boolean hasTrustDomain(List<TrustBundle> bundles, String td) {
    return bundles.stream().anyMatch(b -> b.getTrustDomain().equals(td));
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
