package dev.trustbridge.ca.server;

import static dev.trustbridge.ca.server.TestServer.hasTrustDomain;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.authority.AuthorityKind;
import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.server.TestServer.Svid;
import dev.trustbridge.ca.server.TestServer.Workload;
import dev.trustbridge.proto.admin.v1.DeleteEntryRequest;
import dev.trustbridge.proto.admin.v1.EntryAdminGrpc;
import dev.trustbridge.proto.admin.v1.FederationAdminGrpc;
import dev.trustbridge.proto.admin.v1.GetRelationshipRequest;
import dev.trustbridge.proto.admin.v1.Relationship;
import dev.trustbridge.proto.ca.v1.BundlesResponse;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.TrustBundle;
import dev.trustbridge.proto.ca.v1.WatchBundlesRequest;
import dev.trustbridge.spiffe.id.SpiffeId;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

  /** {@code from} federates with {@code to}'s trust domain. */
  private void federate(TestServer from, TestServer to, String td, String profile)
      throws Exception {
    dev.trustbridge.spiffe.id.TrustDomain trustDomain =
        dev.trustbridge.spiffe.id.TrustDomain.parse(td);
    Relationship.Builder relationship;
    if (profile.equals("https_spiffe")) {
      relationship = to.httpsSpiffeRelationship(trustDomain);
    } else {
      relationship =
          Relationship.newBuilder()
              .setTrustDomain(td)
              .setBundleEndpointUrl(to.bundleEndpointUrl(trustDomain))
              .setProfile(profile)
              .setWebTrustAnchors(ByteString.copyFrom(Files.readAllBytes(caFileOf(td))));
    }
    Relationship refreshed = from.federate(relationship.build());
    assertTrue(refreshed.getState().getHasBundle(), refreshed.getState().getLastError());
    assertEquals("", refreshed.getState().getLastError());
  }

  private Path caFileOf(String td) {
    return dir.resolve(td + "-web-ca.pem");
  }

  // ---- the handshake ------------------------------------------------------------------------

  /** True if a TLS connection between the two workloads, each with its bundles, succeeds. */
  private static boolean mutualTls(
      Svid serverSvid,
      List<TrustBundle> serverBundles,
      SpiffeId expectedClient,
      Svid clientSvid,
      List<TrustBundle> clientBundles,
      SpiffeId expectedServer)
      throws Exception {
    return SpiffeHandshakes.mutualTls(
        SpiffeHandshakes.context(serverSvid, () -> serverBundles, expectedClient),
        SpiffeHandshakes.context(clientSvid, () -> clientBundles, expectedServer));
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

    Workload web = a.workloadThroughAgent(WEB_A, "b.example");
    Workload api = b.workloadThroughAgent(API_B, "a.example");
    assertTrue(hasTrustDomain(web.bundles(), "b.example"));
    assertTrue(hasTrustDomain(api.bundles(), "a.example"));
    assertEquals("a.example", web.bundles().get(0).getTrustDomain());

    assertTrue(mutualTls(api.svid(), api.fetch(), WEB_A, web.svid(), web.fetch(), API_B));
    assertTrue(mutualTls(web.svid(), web.fetch(), API_B, api.svid(), api.fetch(), WEB_A));

    // The grant goes: web no longer receives b.example's bundle, and cannot verify api.
    EntryAdminGrpc.newBlockingStub(a.admin())
        .deleteEntry(DeleteEntryRequest.newBuilder().setId(web.entry().getId()).build());
    a.entry(WEB_A, SpiffeId.parse(web.entry().getParentId()));
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
    Workload web = a.workloadThroughAgent(WEB_A, "b.example");
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
    Workload api = b.workloadThroughAgent(API_B, "a.example");
    assertTrue(mutualTls(web.svid(), web.fetch(), API_B, api.svid(), bundlesWithA(api), WEB_A));
  }

  /** api's own bundle plus a.example's, imported by hand on b (no relationship b -> a here). */
  private List<TrustBundle> bundlesWithA(Workload api) {
    b.importBundle("a.example", a.bundleDocument());
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
