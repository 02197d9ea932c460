package dev.trustbridge.ca.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.config.ServerConfig;
import dev.trustbridge.ca.policy.javaspiffe.PolicyTrustManager;
import dev.trustbridge.ca.server.TrustbridgeServer;
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
import dev.trustbridge.proto.admin.v1.PolicyAdminGrpc;
import dev.trustbridge.proto.admin.v1.PolicyDocument;
import dev.trustbridge.proto.admin.v1.Relationship;
import dev.trustbridge.proto.admin.v1.SetPolicyRequest;
import dev.trustbridge.proto.admin.v1.TokenAdminGrpc;
import dev.trustbridge.proto.ca.v1.BundlesResponse;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.FetchBundlesRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.proto.ca.v1.TrustBundle;
import dev.trustbridge.proto.ca.v1.WatchBundlesRequest;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.policy.Policy;
import dev.trustbridge.spiffe.policy.PolicyCodec;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.exception.BundleNotFoundException;
import io.spiffe.provider.SpiffeKeyManager;
import io.spiffe.provider.SpiffeSslContextFactory;
import io.spiffe.provider.SpiffeTrustManager;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.workloadapi.X509Source;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Real Trustbridge servers on loopback for the policy end-to-end tests, with the helpers of {@code
 * server.TestServer} and {@code server.FederationEndToEndTest} (copied: those are package-private
 * there): federation, workloads obtained through an agent, agents that watch their bundles and
 * policy, and a java-spiffe mTLS handshake whose accepting side enforces the policy with {@link
 * PolicyTrustManager}.
 */
final class Mesh {
  private Mesh() {}

  /** One server hosting {@code trustDomains}, the first with a bundle endpoint. */
  static final class Node implements AutoCloseable {
    final TrustbridgeServer server;
    final TrustDomain trustDomain;
    private final List<ManagedChannel> channels = new ArrayList<>();

    Node(Path dataDir, String... trustDomains) {
      StringBuilder yaml =
          new StringBuilder(
              "server:\n  data_dir: "
                  + dataDir
                  + "\n  grpc:\n    listen: 127.0.0.1:0\n"
                  + "  metrics:\n    listen: 127.0.0.1:0\n");
      yaml.append("trust_domains:\n");
      for (int i = 0; i < trustDomains.length; i++) {
        yaml.append("  - name: ").append(trustDomains[i]).append('\n');
        yaml.append("    bundle_refresh_hint: 1m\n");
        if (i == 0) {
          yaml.append("    bundle_endpoint:\n      listen: 127.0.0.1:0\n");
        }
      }
      this.trustDomain = TrustDomain.parse(trustDomains[0]);
      this.server =
          TrustbridgeServer.start(ServerConfig.parse(yaml.toString(), dataDir), Clock.systemUTC());
    }

    String target() {
      return "127.0.0.1:" + server.grpcPort();
    }

    List<X509Certificate> anchors() {
      return ClientTls.readCertificates(server.adminDir().resolve("bundle.pem"));
    }

    ManagedChannel anonymous() {
      return track(ClientTls.channel(target(), anchors(), Optional.empty()));
    }

    ManagedChannel admin() {
      return track(
          ClientTls.channel(
              target(),
              anchors(),
              Optional.of(
                  new RotatingKeyManager.Credential(
                      ClientTls.readChain(server.adminDir().resolve("svid.pem")),
                      ClientTls.readPrivateKey(server.adminDir().resolve("svid.key"))))));
    }

    ManagedChannel withSvid(Svid svid) {
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

    PolicyAdminGrpc.PolicyAdminBlockingStub policyAdmin() {
      return PolicyAdminGrpc.newBlockingStub(admin());
    }

    /** Sets the whole policy; returns the stored document. */
    PolicyDocument setPolicy(Policy policy) {
      return policyAdmin()
          .setPolicy(
              SetPolicyRequest.newBuilder()
                  .setPolicy(ByteString.copyFrom(PolicyCodec.write(policy)))
                  .build());
    }

    byte[] bundleDocument() {
      return BundleAdminGrpc.newBlockingStub(admin())
          .getBundle(GetBundleRequest.getDefaultInstance())
          .getSpiffeBundle()
          .toByteArray();
    }

    /** Makes {@code td} a known peer by importing a bundle document for it. */
    void importBundle(String td, byte[] document) {
      BundleAdminGrpc.newBlockingStub(admin())
          .importBundle(
              ImportBundleRequest.newBuilder()
                  .setTrustDomain(td)
                  .setBundle(ByteString.copyFrom(document))
                  .build());
    }

    /** This node federates (https_spiffe) with {@code peer}'s first trust domain. */
    void federateWith(Node peer) {
      String td = peer.trustDomain.name();
      FederationAdminGrpc.newBlockingStub(admin())
          .createRelationship(
              Relationship.newBuilder()
                  .setTrustDomain(td)
                  .setBundleEndpointUrl(
                      "https://127.0.0.1:"
                          + peer.server.bundleEndpointPort(peer.trustDomain).orElseThrow()
                          + "/")
                  .setProfile("https_spiffe")
                  .setEndpointSpiffeId("spiffe://" + td + "/trustbridge/server")
                  .setBootstrapBundle(ByteString.copyFrom(peer.bundleDocument()))
                  .build());
      Relationship refreshed =
          FederationAdminGrpc.newBlockingStub(admin())
              .refreshRelationship(GetRelationshipRequest.newBuilder().setTrustDomain(td).build());
      assertTrue(refreshed.getState().getHasBundle(), refreshed.getState().getLastError());
    }

    /**
     * Bootstraps an agent with a join token, registers {@code id} under it and returns the
     * workload's SVID obtained via that agent.
     */
    Workload workload(SpiffeId id, String... federatesWith) throws Exception {
      SpiffeId agentId = SpiffeId.of(id.trustDomain(), "/agent/" + id.path().replace('/', '-'));
      String token =
          TokenAdminGrpc.newBlockingStub(admin())
              .createJoinToken(
                  CreateJoinTokenRequest.newBuilder().setSpiffeId(agentId.toString()).build())
              .getToken();
      Csr agentCsr = csr();
      Metadata headers = new Metadata();
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "JoinToken " + token);
      SignX509SvidResponse agent =
          CertificateAuthorityGrpc.newBlockingStub(anonymous())
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
              .signX509Svid(SignX509SvidRequest.newBuilder().setCsr(agentCsr.bytes()).build());
      Svid agentSvid = new Svid(chain(agent), agentCsr.keys());
      EntryAdminGrpc.newBlockingStub(admin())
          .createEntry(
              CreateEntryRequest.newBuilder()
                  .setEntry(
                      Entry.newBuilder()
                          .setSpiffeId(id.toString())
                          .setParentId(agentId.toString())
                          .addAllFederatesWith(List.of(federatesWith)))
                  .build());
      Csr csr = csr();
      SignX509SvidResponse response =
          CertificateAuthorityGrpc.newBlockingStub(withSvid(agentSvid))
              .signX509Svid(
                  SignX509SvidRequest.newBuilder()
                      .setCsr(csr.bytes())
                      .setSpiffeId(id.toString())
                      .build());
      Svid svid = new Svid(chain(response), csr.keys());
      return new Workload(this, id, svid, response, withSvid(svid));
    }

    @Override
    public void close() {
      channels.forEach(ClientTls::shutdown);
      server.close();
    }
  }

  record Csr(KeyPair keys, byte[] der) {
    ByteString bytes() {
      return ByteString.copyFrom(der);
    }
  }

  record Svid(List<X509Certificate> chain, KeyPair keys) {}

  static Csr csr() throws Exception {
    KeyPair keys =
        CryptoProviders.bouncyCastleOnly().keyPairGenerator(KeyType.EC_P256).generateKeyPair();
    byte[] der =
        new JcaPKCS10CertificationRequestBuilder(new X500Principal(""), keys.getPublic())
            .build(
                new JcaContentSignerBuilder(KeyType.EC_P256.jcaSignatureAlgorithm())
                    .setProvider(CryptoProviders.bouncyCastleOnly().bouncyCastle())
                    .build(keys.getPrivate()))
            .getEncoded();
    return new Csr(keys, der);
  }

  static List<X509Certificate> chain(SignX509SvidResponse response) throws Exception {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    List<X509Certificate> chain = new ArrayList<>();
    for (ByteString der : response.getCertChainList()) {
      chain.add(
          (X509Certificate)
              factory.generateCertificate(new ByteArrayInputStream(der.toByteArray())));
    }
    return chain;
  }

  /** A workload with its SVID and the bundles it received when it was signed. */
  record Workload(
      Node node, SpiffeId id, Svid svid, SignX509SvidResponse signed, ManagedChannel channel) {
    BundlesResponse fetch() {
      return ca().fetchBundles(FetchBundlesRequest.getDefaultInstance());
    }

    CertificateAuthorityGrpc.CertificateAuthorityBlockingStub ca() {
      return CertificateAuthorityGrpc.newBlockingStub(channel);
    }

    /** Starts an agent for this workload that watches its bundles and policy. */
    Agent watch() throws Exception {
      Agent agent = new Agent(this);
      CertificateAuthorityGrpc.newStub(channel)
          .watchBundles(WatchBundlesRequest.getDefaultInstance(), agent);
      BundlesResponse first = agent.updates.poll(10, TimeUnit.SECONDS);
      assertTrue(first != null, "no first WatchBundles response");
      return agent;
    }
  }

  static boolean hasTrustDomain(BundlesResponse response, String td) {
    return response.getBundlesList().stream().anyMatch(b -> b.getTrustDomain().equals(td));
  }

  static boolean hasTrustDomain(List<TrustBundle> bundles, String td) {
    return bundles.stream().anyMatch(b -> b.getTrustDomain().equals(td));
  }

  /**
   * What an agent holds for its workload: the latest bundles and compiled policy from WatchBundles,
   * and every update in arrival order.
   */
  static final class Agent implements StreamObserver<BundlesResponse> {
    final Workload workload;
    final AtomicReference<List<TrustBundle>> bundles = new AtomicReference<>(List.of());
    final AtomicReference<Policy> policy = new AtomicReference<>();
    final BlockingQueue<BundlesResponse> updates = new LinkedBlockingQueue<>();

    Agent(Workload workload) {
      this.workload = workload;
    }

    @Override
    public void onNext(BundlesResponse response) {
      bundles.set(response.getBundlesList());
      policy.set(PolicyCodec.parse(response.getPolicy().toByteArray()));
      updates.add(response);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}

    /** Waits for an update carrying {@code version}; returns the milliseconds waited. */
    long awaitPolicyVersion(long version, long timeoutMillis) throws InterruptedException {
      long start = System.nanoTime();
      long deadline = start + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      while (true) {
        long left = deadline - System.nanoTime();
        BundlesResponse next = updates.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
        if (next == null) {
          throw new AssertionError("no policy version " + version + " within " + timeoutMillis);
        }
        if (next.getPolicyVersion() == version) {
          assertEquals(version, PolicyCodec.parse(next.getPolicy().toByteArray()).version());
          return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
      }
    }

    /**
     * An SSL context for this workload accepting connections: java-spiffe's key and trust managers
     * over the agent's current bundles, with the policy enforced by {@link PolicyTrustManager} on
     * the agent's current compiled policy. Built once; updates apply to later handshakes.
     */
    SSLContext serverContext() throws Exception {
      X509Source source = source(workload.svid(), bundles::get);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(
          new KeyManager[] {new SpiffeKeyManager(source)},
          new TrustManager[] {
            new PolicyTrustManager(new SpiffeTrustManager(source), workload::id, policy::get)
          },
          null);
      return context;
    }
  }

  static X509Source source(Svid svid, java.util.function.Supplier<List<TrustBundle>> bundles)
      throws Exception {
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
    } catch (java.security.cert.CertificateException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A client context for {@code client}, accepting only {@code expectedServer}. */
  static SSLContext clientContext(Workload client, SpiffeId expectedServer) throws Exception {
    BundlesResponse bundles = client.fetch();
    return SpiffeSslContextFactory.getSslContext(
        SpiffeSslContextFactory.SslContextOptions.builder()
            .x509Source(source(client.svid(), bundles::getBundlesList))
            .acceptedSpiffeIdsSupplier(() -> Set.of(expectedServer.toJavaSpiffe()))
            .build());
  }

  /** True if a one-byte echo over mutual TLS between the two contexts succeeds on both sides. */
  static boolean mutualTls(SSLContext serverContext, SSLContext clientContext) throws Exception {
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
