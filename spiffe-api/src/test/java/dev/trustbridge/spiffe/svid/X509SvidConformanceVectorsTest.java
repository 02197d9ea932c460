package dev.trustbridge.spiffe.svid;

import static dev.trustbridge.spiffe.svid.CraftedCert.dns;
import static dev.trustbridge.spiffe.svid.CraftedCert.uri;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.KeyType;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Vectors written from the text of X509-SVID.md, as an outside conformance tester would: what the
 * spec says MAY be present must be accepted by both the producer check and the validator, and what
 * the spec says validators MUST reject is rejected. Each row names its section.
 */
class X509SvidConformanceVectorsTest {
  private static final TestPki PKI = TestPki.create(TestPki.EXAMPLE, TestPki.nowClock());
  private static final Instant NOW = PKI.clock().instant();
  private static final String LEAF_ID = "spiffe://example.org/ns/default/sa/web";
  private static final TestCaKey CRAFTED_CA_KEY = TestCaKey.of(KeyType.EC_P256, 97);

  private static final X509AuthoritySource BUNDLES =
      td ->
          td.equals(TestPki.EXAMPLE)
              ? Optional.<Collection<X509Certificate>>of(List.of(PKI.root()))
              : Optional.empty();

  private static X509SvidVerifier verifier() {
    return new X509SvidVerifier(BUNDLES, PKI.clock());
  }

  private static CraftedCert leaf(String uri) {
    return CraftedCert.leaf(uri, PKI.intermediate(), PKI.intermediateKey(), NOW);
  }

  /** The validator's rejection of {@code leaf} presented with our intermediate. */
  private static SvidVerificationException rejectionOf(X509Certificate leaf) {
    return assertThrows(
        SvidVerificationException.class,
        () -> verifier().verify(List.of(leaf, PKI.intermediate())));
  }

  private static Arguments vector(String name, Consumer<CraftedCert> change) {
    return arguments(name, change);
  }

  // ---- what a leaf MAY carry: accepted by our producer check and by our validator ----

  static Stream<Arguments> leafOptions() {
    return Stream.of(
        vector(
            "§2 MAY other SAN types: IP address",
            c -> c.sans.add(new GeneralName(GeneralName.iPAddress, "10.0.0.1"))),
        vector(
            "§2 MAY other SAN types: email",
            c -> c.sans.add(new GeneralName(GeneralName.rfc822Name, "web@example.org"))),
        vector(
            "§2 MAY other SAN types: DNS, IPv6 and email before the URI SAN",
            c -> {
              c.sans.add(0, dns("web.example.org"));
              c.sans.add(0, new GeneralName(GeneralName.iPAddress, "2001:db8::1"));
              c.sans.add(0, new GeneralName(GeneralName.rfc822Name, "web@example.org"));
            }),
        vector(
            "§4.3 leaf MAY set keyEncipherment (EC key)",
            c -> c.keyUsage = ds(KeyUsage.keyEncipherment)),
        vector("§4.3 leaf MAY set keyAgreement", c -> c.keyUsage = ds(KeyUsage.keyAgreement)),
        vector(
            "§4.3 leaf MAY set keyEncipherment and keyAgreement",
            c -> c.keyUsage = ds(KeyUsage.keyEncipherment | KeyUsage.keyAgreement)),
        vector("§4.4 EKU MAY be critical", c -> c.extendedKeyUsageCritical = true),
        vector(
            "§4.4 EKU with both purposes and one more",
            c ->
                c.extendedKeyUsage =
                    new KeyPurposeId[] {
                      KeyPurposeId.id_kp_clientAuth,
                      KeyPurposeId.id_kp_codeSigning,
                      KeyPurposeId.id_kp_serverAuth
                    }),
        vector(
            "§3.1 Subject present, SAN not critical, EKU critical",
            c -> {
              c.subject = new X500Name("CN=web,O=example");
              c.sanCritical = false;
              c.extendedKeyUsageCritical = true;
            }));
  }

  private static int ds(int more) {
    return KeyUsage.digitalSignature | more;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("leafOptions")
  void leafWithWhatTheSpecAllows_passesProducerCheckAndIsAccepted(
      String name, Consumer<CraftedCert> change) {
    CraftedCert c = leaf(LEAF_ID);
    change.accept(c);
    X509Certificate cert = c.build();
    assertEquals(
        SpiffeId.parse(LEAF_ID), X509SvidProfileChecker.checkLeaf(cert, PKI.intermediate()));
    assertEquals(
        SpiffeId.parse(LEAF_ID), verifier().verify(List.of(cert, PKI.intermediate())).spiffeId());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("leafOptions")
  void verify_leafWithWhatTheSpecAllowsSignedByTheRoot_isAccepted(
      String name, Consumer<CraftedCert> change) {
    CraftedCert c = CraftedCert.leaf(LEAF_ID, PKI.root(), PKI.rootKey(), NOW);
    change.accept(c);
    assertEquals(PKI.root(), verifier().verify(List.of(c.build())).trustAnchor());
  }

  // ---- what a signing certificate MAY carry ----

  static Stream<Arguments> caOptions() {
    return Stream.of(
        vector("§4.3 CA MAY omit cRLSign", c -> c.keyUsage = KeyUsage.keyCertSign),
        vector(
            "§4.4 CA MAY include EKU",
            c ->
                c.extendedKeyUsage =
                    new KeyPurposeId[] {
                      KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                    }),
        vector(
            "§4.4 CA MAY include a critical EKU",
            c -> {
              c.extendedKeyUsage =
                  new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth};
              c.extendedKeyUsageCritical = true;
            }),
        vector(
            "§4.1 CA MAY set pathLenConstraint 0",
            c -> c.basicConstraints = new BasicConstraints(0)),
        vector(
            "§2 CA MAY carry a DNS SAN beside its URI SAN",
            c -> c.sans.add(dns("ca.example.org"))));
  }

  private static CraftedCert intermediate() {
    CraftedCert c = CraftedCert.ca("spiffe://example.org", PKI.root(), PKI.rootKey(), NOW);
    c.publicKey = CRAFTED_CA_KEY.publicKey();
    return c;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("caOptions")
  void caWithWhatTheSpecAllows_passesProducerCheckAndChainsALeaf(
      String name, Consumer<CraftedCert> change) {
    CraftedCert ca = intermediate();
    change.accept(ca);
    X509Certificate caCert = ca.build();
    assertEquals(TestPki.EXAMPLE.id(), X509SvidProfileChecker.checkCa(caCert, PKI.root()));
    X509Certificate leafCert = CraftedCert.leaf(LEAF_ID, caCert, CRAFTED_CA_KEY, NOW).build();
    X509SvidProfileChecker.checkLeaf(leafCert, caCert);
    assertEquals(SpiffeId.parse(LEAF_ID), verifier().verify(List.of(leafCert, caCert)).spiffeId());
  }

  // ---- §2 and §5.2: what a validator MUST reject ----

  static Stream<Arguments> invalidLeafUris() {
    return Stream.of(
        arguments("§5.2 scheme must be spiffe: SPIFFE://", "SPIFFE://example.org/web"),
        arguments("§5.2 scheme must be spiffe: urn", "urn:spiffe:example.org:web"),
        arguments("§5.2 non-root path: trailing slash on the root", "spiffe://example.org/"),
        arguments("SPIFFE-ID §2.2 trailing slash", "spiffe://example.org/web/"),
        arguments("SPIFFE-ID §2 query", "spiffe://example.org/web?x=1"),
        arguments("SPIFFE-ID §2 fragment", "spiffe://example.org/web#x"),
        arguments("SPIFFE-ID §2.1 port", "spiffe://example.org:8443/web"),
        arguments("SPIFFE-ID §2.1 userinfo", "spiffe://admin@example.org/web"),
        arguments("SPIFFE-ID §2.2 dot-dot segment", "spiffe://example.org/ns/../web"),
        arguments("SPIFFE-ID §2.2 empty segment", "spiffe://example.org/ns//web"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("invalidLeafUris")
  void leafWithInvalidSpiffeId_isRejectedByValidatorAndProducerCheck(String name, String uri) {
    CraftedCert c = leaf(LEAF_ID);
    c.sans.set(0, uri(uri));
    X509Certificate cert = c.build();
    SvidVerificationException e = rejectionOf(cert);
    assertEquals(ErrorCode.UNAUTHENTICATED, e.code());
    assertThrows(
        SvidProfileException.class,
        () -> X509SvidProfileChecker.checkLeaf(cert, PKI.intermediate()));
  }

  static Stream<Arguments> moreThanOneUriSan() {
    return Stream.of(
        vector("§2 the same SPIFFE ID twice", c -> c.sans.add(uri(LEAF_ID))),
        vector(
            "§2 a second URI SAN of another scheme before the SPIFFE ID",
            c -> c.sans.add(0, uri("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"))),
        vector(
            "§2 a second SPIFFE ID of another trust domain",
            c -> c.sans.add(uri("spiffe://other.org/ns/default/sa/web"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("moreThanOneUriSan")
  void verify_leafWithMoreThanOneUriSan_isRejected(String name, Consumer<CraftedCert> change) {
    CraftedCert c = leaf(LEAF_ID);
    change.accept(c);
    X509Certificate cert = c.build();
    SvidVerificationException e = rejectionOf(cert);
    assertEquals(X509SvidVerifier.URI_SAN_COUNT, e.getMessage());
  }

  static Stream<Arguments> signingCertificatesAsPeers() {
    return Stream.of(
        arguments("§3.2 the intermediate alone", List.of(PKI.intermediate())),
        arguments("§3.2 the intermediate with its root", List.of(PKI.intermediate(), PKI.root())),
        arguments("§3.2 the root itself", List.of(PKI.root())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("signingCertificatesAsPeers")
  void verify_signingCertificatePresentedForAuthentication_isRejected(
      String name, List<X509Certificate> chain) {
    SvidVerificationException e =
        assertThrows(SvidVerificationException.class, () -> verifier().verify(chain));
    assertEquals(X509SvidVerifier.LEAF_IS_CA, e.getMessage());
  }

  static Stream<Arguments> leafUsagesValidatorsMustReject() {
    return Stream.of(
        arguments(
            "§5.2 keyCertSign with digitalSignature",
            ds(KeyUsage.keyCertSign),
            X509SvidVerifier.LEAF_KEY_CERT_SIGN),
        arguments(
            "§5.2 cRLSign with digitalSignature",
            ds(KeyUsage.cRLSign),
            X509SvidVerifier.LEAF_CRL_SIGN),
        arguments(
            "§5.2 keyCertSign and cRLSign only",
            KeyUsage.keyCertSign | KeyUsage.cRLSign,
            X509SvidVerifier.LEAF_KEY_CERT_SIGN));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("leafUsagesValidatorsMustReject")
  void verify_leafWithSigningKeyUsage_isRejected(String name, int keyUsage, String message) {
    CraftedCert c = leaf(LEAF_ID);
    c.keyUsage = keyUsage;
    X509Certificate cert = c.build();
    SvidVerificationException e = rejectionOf(cert);
    assertEquals(message, e.getMessage());
  }

  static Stream<Arguments> leafTrustDomains() {
    return Stream.of(
        arguments("Trust Domain §3: a trust domain without a bundle", "spiffe://other.org/web"),
        arguments(
            "SPIFFE-ID §2.1 no DNS interpretation: a sub-domain is another trust domain",
            "spiffe://sub.example.org/web"),
        arguments(
            "SPIFFE-ID §2.1 no DNS interpretation: a trailing dot is another trust domain",
            "spiffe://example.org./web"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("leafTrustDomains")
  void verify_leafOfATrustDomainWithoutBundle_isRejected(String name, String uri) {
    X509Certificate cert = leaf(uri).build();
    SvidVerificationException e = rejectionOf(cert);
    assertEquals(X509SvidVerifier.NO_AUTHORITIES, e.getMessage());
  }

  @Test
  void verify_uriNameConstraintOverALeafWithoutServerBasedHost_isRejectedNotThrown() {
    // §5.1 path validation with a URI name constraint (§4.2) over a leaf whose SPIFFE ID host is
    // not a server-based URI host for java.net.URI: the JDK's PKIX code throws a
    // NullPointerException; a peer's chain must only ever fail verification.
    String td = "spiffe://999.999.999.999";
    CraftedCert ca = CraftedCert.ca(td, PKI.root(), PKI.rootKey(), NOW);
    ca.publicKey = CRAFTED_CA_KEY.publicKey();
    ca.nameConstraints =
        new NameConstraints(
            new GeneralSubtree[] {
              new GeneralSubtree(
                  new GeneralName(GeneralName.uniformResourceIdentifier, "999.999.999.999"))
            },
            null);
    X509Certificate caCert = ca.build();
    X509Certificate leafCert = CraftedCert.leaf(td + "/web", caCert, CRAFTED_CA_KEY, NOW).build();
    X509SvidVerifier verifier =
        new X509SvidVerifier(
            t -> Optional.<Collection<X509Certificate>>of(List.of(PKI.root())), PKI.clock());
    SvidVerificationException e =
        assertThrows(
            SvidVerificationException.class, () -> verifier.verify(List.of(leafCert, caCert)));
    assertEquals(X509SvidVerifier.PATH_INVALID, e.getMessage());
  }

  @Test
  void verify_chainThroughASigningCertificateOfAnotherTrustDomain_isAcceptedWithTheLeafsBundle() {
    // §3.2: a signing certificate MAY issue signing certificates of other trust domains; the leaf
    // is validated with the bundle of its own trust domain (Trust Domain §3), here one that
    // holds the issuing root.
    CraftedCert ca = CraftedCert.ca("spiffe://other.org", PKI.root(), PKI.rootKey(), NOW);
    ca.publicKey = CRAFTED_CA_KEY.publicKey();
    X509Certificate caCert = ca.build();
    X509Certificate leafCert =
        CraftedCert.leaf("spiffe://other.org/web", caCert, CRAFTED_CA_KEY, NOW).build();
    X509SvidVerifier verifier =
        new X509SvidVerifier(
            t ->
                t.equals(TestPki.OTHER)
                    ? Optional.<Collection<X509Certificate>>of(List.of(PKI.root()))
                    : Optional.empty(),
            PKI.clock());
    assertEquals(
        SpiffeId.parse("spiffe://other.org/web"),
        verifier.verify(List.of(leafCert, caCert)).spiffeId());
  }
}
