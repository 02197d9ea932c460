package dev.trustbridge.ca.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.authority.AuthorityKind;
import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.server.TestServer.Csr;
import dev.trustbridge.ca.server.TestServer.Svid;
import dev.trustbridge.proto.admin.v1.BundleAdminGrpc;
import dev.trustbridge.proto.admin.v1.CreateEntryRequest;
import dev.trustbridge.proto.admin.v1.CreateJoinTokenRequest;
import dev.trustbridge.proto.admin.v1.DeleteEntryRequest;
import dev.trustbridge.proto.admin.v1.Entry;
import dev.trustbridge.proto.admin.v1.EntryAdminGrpc;
import dev.trustbridge.proto.admin.v1.FederationAdminGrpc;
import dev.trustbridge.proto.admin.v1.GetBundleRequest;
import dev.trustbridge.proto.admin.v1.GetRelationshipRequest;
import dev.trustbridge.proto.admin.v1.ImportBundleRequest;
import dev.trustbridge.proto.admin.v1.Relationship;
import dev.trustbridge.proto.admin.v1.TokenAdminGrpc;
import dev.trustbridge.proto.ca.v1.BundlesResponse;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.FetchBundlesRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.proto.ca.v1.TrustBundle;
import dev.trustbridge.proto.ca.v1.WatchBundlesRequest;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.KeyType;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.exception.BundleNotFoundException;
import io.spiffe.provider.SpiffeSslContextFactory;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.workloadapi.X509Source;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two Trustbridge servers of different trust domains, federated both ways over real HTTPS on
 * loopback: workloads of each mesh complete an mTLS handshake with java-spiffe's provider using
 * their SVIDs and the federated bundles, and fail it once the grant or the relationship is gone.
 */
class FederationEndToEndTest {
  private static final BouncyCastleProvider BC = new BouncyCastleProvider();
  private static final SpiffeId WEB_A = SpiffeId.parse("spiffe://a.example/ns/default/sa/web");
  private static final SpiffeId API_B = SpiffeId.parse("spiffe://b.example/ns/default/sa/api");

  @TempDir Path dir;
  private TestServer a;
  private TestServer b;

  @AfterEach
  void stop() {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
  }

  private TestServer start(String td, String profile) throws Exception {
    String endpoint;
    if (profile.equals("https_web")) {
      Path[] files = webCertificate(td);
      endpoint =
          "    bundle_endpoint:\n      listen: 127.0.0.1:0\n      profile: https_web\n"
              + "      certificate_file: "
              + files[0]
              + "\n      key_file: "
              + files[1]
              + "\n";
    } else {
      endpoint = "    bundle_endpoint:\n      listen: 127.0.0.1:0\n";
    }
    return new TestServer(
        dir.resolve(td),
        "trust_domains:\n  - name: " + td + "\n    bundle_refresh_hint: 1m\n" + endpoint,
        new MutableClock(Instant.now()));
  }

  private Path webCaFile;

  /** An operator CA and a server certificate for 127.0.0.1, as PEM files. */
  private Path[] webCertificate(String td) throws Exception {
    KeyPair caKeys = ecKeys();
    X509Certificate ca =
        certificate(
            new X500Name("CN=web ca " + td), caKeys, new X500Name("CN=web ca " + td), caKeys, true);
    KeyPair serverKeys = ecKeys();
    X509Certificate server =
        certificate(
            new X500Name("CN=127.0.0.1"),
            serverKeys,
            new X500Name("CN=web ca " + td),
            caKeys,
            false);
    Path cert = dir.resolve(td + "-web.pem");
    Path key = dir.resolve(td + "-web.key");
    Path caFile = dir.resolve(td + "-web-ca.pem");
    write(cert, server);
    write(key, serverKeys.getPrivate());
    write(caFile, ca);
    webCaFile = caFile;
    return new Path[] {cert, key};
  }

  private static KeyPair ecKeys() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BC);
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static X509Certificate certificate(
      X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys, boolean ca)
      throws Exception {
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            issuer,
            BigInteger.valueOf(now.toEpochMilli()),
            Date.from(now.minusSeconds(60)),
            Date.from(now.plus(Duration.ofDays(1))),
            subject,
            subjectKeys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    if (ca) {
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else {
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
    }
    return new JcaX509CertificateConverter()
        .setProvider(BC)
        .getCertificate(
            builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA")
                    .setProvider(BC)
                    .build(issuerKeys.getPrivate())));
  }

  private static void write(Path file, Object pem) throws Exception {
    try (JcaPEMWriter writer = new JcaPEMWriter(Files.newBufferedWriter(file))) {
      writer.writeObject(pem);
    }
  }

  // ---- admin helpers ------------------------------------------------------------------------

  private static byte[] bundleDocument(TestServer server) {
    return BundleAdminGrpc.newBlockingStub(server.admin())
        .getBundle(GetBundleRequest.getDefaultInstance())
        .getSpiffeBundle()
        .toByteArray();
  }

  /** {@code from} federates with {@code to}'s trust domain. */
  private void federate(TestServer from, TestServer to, String td, String profile)
      throws Exception {
    Relationship.Builder relationship =
        Relationship.newBuilder()
            .setTrustDomain(td)
            .setBundleEndpointUrl(
                "https://127.0.0.1:"
                    + to.server
                        .bundleEndpointPort(dev.trustbridge.spiffe.id.TrustDomain.parse(td))
                        .orElseThrow()
                    + "/")
            .setProfile(profile);
    if (profile.equals("https_spiffe")) {
      relationship
          .setEndpointSpiffeId("spiffe://" + td + "/trustbridge/server")
          .setBootstrapBundle(ByteString.copyFrom(bundleDocument(to)));
    } else {
      relationship.setWebTrustAnchors(ByteString.copyFrom(Files.readAllBytes(caFileOf(td))));
    }
    FederationAdminGrpc.newBlockingStub(from.admin()).createRelationship(relationship.build());
    Relationship refreshed =
        FederationAdminGrpc.newBlockingStub(from.admin())
            .refreshRelationship(GetRelationshipRequest.newBuilder().setTrustDomain(td).build());
    assertTrue(refreshed.getState().getHasBundle(), refreshed.getState().getLastError());
    assertEquals("", refreshed.getState().getLastError());
  }

  private Path caFileOf(String td) {
    return dir.resolve(td + "-web-ca.pem");
  }

  private Entry entry(TestServer server, SpiffeId id, SpiffeId parent, String... federatesWith) {
    return EntryAdminGrpc.newBlockingStub(server.admin())
        .createEntry(
            CreateEntryRequest.newBuilder()
                .setEntry(
                    Entry.newBuilder()
                        .setSpiffeId(id.toString())
                        .setParentId(parent.toString())
                        .addAllFederatesWith(List.of(federatesWith)))
                .build());
  }

  /** Bootstraps an agent with a join token and returns a workload SVID via that agent. */
  private Workload workload(TestServer server, SpiffeId id, String... federatesWith)
      throws Exception {
    SpiffeId agentId = SpiffeId.of(id.trustDomain(), "/agent/" + id.path().replace('/', '-'));
    String token =
        TokenAdminGrpc.newBlockingStub(server.admin())
            .createJoinToken(
                CreateJoinTokenRequest.newBuilder().setSpiffeId(agentId.toString()).build())
            .getToken();
    Csr agentCsr = TestServer.csr(KeyType.EC_P256);
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "JoinToken " + token);
    SignX509SvidResponse agent =
        CertificateAuthorityGrpc.newBlockingStub(server.anonymous())
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
            .signX509Svid(SignX509SvidRequest.newBuilder().setCsr(agentCsr.bytes()).build());
    Svid agentSvid = new Svid(TestServer.chain(agent), agentCsr.keys());
    Entry created = entry(server, id, agentId, federatesWith);
    Csr csr = TestServer.csr(KeyType.EC_P256);
    SignX509SvidResponse response =
        CertificateAuthorityGrpc.newBlockingStub(server.withSvid(agentSvid))
            .signX509Svid(
                SignX509SvidRequest.newBuilder()
                    .setCsr(csr.bytes())
                    .setSpiffeId(id.toString())
                    .build());
    Svid svid = new Svid(TestServer.chain(response), csr.keys());
    return new Workload(server, svid, created, response.getBundlesList());
  }

  private record Workload(TestServer server, Svid svid, Entry entry, List<TrustBundle> bundles) {
    List<TrustBundle> fetch() {
      return CertificateAuthorityGrpc.newBlockingStub(server.withSvid(svid))
          .fetchBundles(FetchBundlesRequest.getDefaultInstance())
          .getBundlesList();
    }
  }

  // ---- the handshake ------------------------------------------------------------------------

  private static X509Source source(Svid svid, List<TrustBundle> bundles) throws Exception {
    Map<io.spiffe.spiffeid.TrustDomain, X509Bundle> byTrustDomain = new HashMap<>();
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
      byTrustDomain.put(td, new X509Bundle(td, anchors));
    }
    byte[] chain = new byte[0];
    java.io.ByteArrayOutputStream der = new java.io.ByteArrayOutputStream();
    for (X509Certificate certificate : svid.chain()) {
      der.write(certificate.getEncoded());
    }
    chain = der.toByteArray();
    X509Svid x509Svid = X509Svid.parseRaw(chain, svid.keys().getPrivate().getEncoded());
    return new X509Source() {
      @Override
      public X509Svid getX509Svid() {
        return x509Svid;
      }

      @Override
      public X509Bundle getBundleForTrustDomain(io.spiffe.spiffeid.TrustDomain td)
          throws BundleNotFoundException {
        X509Bundle bundle = byTrustDomain.get(td);
        if (bundle == null) {
          throw new BundleNotFoundException("no bundle for " + td);
        }
        return bundle;
      }

      @Override
      public void close() {}
    };
  }

  /** True if a TLS connection between the two workloads, each with its bundles, succeeds. */
  private static boolean mutualTls(
      Svid serverSvid,
      List<TrustBundle> serverBundles,
      SpiffeId expectedClient,
      Svid clientSvid,
      List<TrustBundle> clientBundles,
      SpiffeId expectedServer)
      throws Exception {
    SSLContext serverContext =
        SpiffeSslContextFactory.getSslContext(
            SpiffeSslContextFactory.SslContextOptions.builder()
                .x509Source(source(serverSvid, serverBundles))
                .acceptedSpiffeIdsSupplier(() -> Set.of(expectedClient.toJavaSpiffe()))
                .build());
    SSLContext clientContext =
        SpiffeSslContextFactory.getSslContext(
            SpiffeSslContextFactory.SslContextOptions.builder()
                .x509Source(source(clientSvid, clientBundles))
                .acceptedSpiffeIdsSupplier(() -> Set.of(expectedServer.toJavaSpiffe()))
                .build());
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

  private static boolean hasTrustDomain(List<TrustBundle> bundles, String td) {
    return bundles.stream().anyMatch(b -> b.getTrustDomain().equals(td));
  }

  // ---- tests --------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"https_spiffe", "https_web"})
  void crossMeshMtls_succeedsWithGrants_andFailsWhenGrantOrRelationshipIsRemoved(String profile)
      throws Exception {
    a = start("a.example", profile);
    Path caA = webCaFile;
    b = start("b.example", profile);
    if (profile.equals("https_web")) {
      Files.copy(caA, caFileOf("a.example"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    federate(a, b, "b.example", profile);
    federate(b, a, "a.example", profile);

    Workload web = workload(a, WEB_A, "b.example");
    Workload api = workload(b, API_B, "a.example");
    assertTrue(hasTrustDomain(web.bundles(), "b.example"));
    assertTrue(hasTrustDomain(api.bundles(), "a.example"));
    assertEquals("a.example", web.bundles().get(0).getTrustDomain());

    assertTrue(mutualTls(api.svid(), api.fetch(), WEB_A, web.svid(), web.fetch(), API_B));
    assertTrue(mutualTls(web.svid(), web.fetch(), API_B, api.svid(), api.fetch(), WEB_A));

    // The grant goes: web no longer receives b.example's bundle, and cannot verify api.
    EntryAdminGrpc.newBlockingStub(a.admin())
        .deleteEntry(DeleteEntryRequest.newBuilder().setId(web.entry().getId()).build());
    entry(a, WEB_A, SpiffeId.parse(web.entry().getParentId()));
    List<TrustBundle> webWithoutGrant = web.fetch();
    assertFalse(hasTrustDomain(webWithoutGrant, "b.example"));
    assertFalse(mutualTls(api.svid(), api.fetch(), WEB_A, web.svid(), webWithoutGrant, API_B));

    // The relationship goes on b's side: api loses a.example's bundle even though its grant stays.
    FederationAdminGrpc.newBlockingStub(b.admin())
        .deleteRelationship(
            GetRelationshipRequest.newBuilder().setTrustDomain("a.example").build());
    List<TrustBundle> apiAfter = api.fetch();
    assertFalse(hasTrustDomain(apiAfter, "a.example"));
    assertFalse(mutualTls(web.svid(), web.fetch(), API_B, api.svid(), apiAfter, WEB_A));
  }

  @Test
  void aPeersNewRoot_reachesTheOtherSideBeforeItSignsAnything() throws Exception {
    a = start("a.example", "https_spiffe");
    b = start("b.example", "https_spiffe");
    federate(a, b, "b.example", "https_spiffe");
    Workload web = workload(a, WEB_A, "b.example");
    Iterator<BundlesResponse> watch =
        CertificateAuthorityGrpc.newBlockingStub(a.withSvid(web.svid()))
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .watchBundles(WatchBundlesRequest.getDefaultInstance());
    BundlesResponse first = watch.next();
    int rootsBefore =
        first.getBundlesList().stream()
            .filter(x -> x.getTrustDomain().equals("b.example"))
            .findFirst()
            .orElseThrow()
            .getX509AuthoritiesCount();

    // b prepares a new root: it is published, but signs nothing yet.
    b.server
        .authority(dev.trustbridge.spiffe.id.TrustDomain.parse("b.example"))
        .prepare(AuthorityKind.ROOT);
    FederationAdminGrpc.newBlockingStub(a.admin())
        .refreshRelationship(
            GetRelationshipRequest.newBuilder().setTrustDomain("b.example").build());

    BundlesResponse pushed = watch.next();
    TrustBundle bBundle =
        pushed.getBundlesList().stream()
            .filter(x -> x.getTrustDomain().equals("b.example"))
            .findFirst()
            .orElseThrow();
    assertEquals(rootsBefore + 1, bBundle.getX509AuthoritiesCount());

    // Only now does b activate it; a workload of b signed by the new root is trusted by web.
    b.server
        .authority(dev.trustbridge.spiffe.id.TrustDomain.parse("b.example"))
        .activate(AuthorityKind.ROOT, true);
    Workload api = workload(b, API_B, "a.example");
    assertTrue(mutualTls(web.svid(), web.fetch(), API_B, api.svid(), bundlesWithA(api), WEB_A));
  }

  /** api's own bundle plus a.example's, imported by hand on b (no relationship b -> a here). */
  private List<TrustBundle> bundlesWithA(Workload api) {
    BundleAdminGrpc.newBlockingStub(b.admin())
        .importBundle(
            ImportBundleRequest.newBuilder()
                .setTrustDomain("a.example")
                .setBundle(ByteString.copyFrom(bundleDocument(a)))
                .build());
    List<TrustBundle> fetched = api.fetch();
    assertTrue(hasTrustDomain(fetched, "a.example"));
    return fetched;
  }

  @Test
  void relationshipWithAHostedTrustDomain_isRefused() throws Exception {
    a = start("a.example", "https_spiffe");
    assertThrows(
        io.grpc.StatusRuntimeException.class,
        () ->
            FederationAdminGrpc.newBlockingStub(a.admin())
                .createRelationship(
                    Relationship.newBuilder()
                        .setTrustDomain("a.example")
                        .setBundleEndpointUrl("https://127.0.0.1:1/")
                        .setProfile("https_web")
                        .build()));
  }
}
