package dev.trustbridge.ca.issuance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditQuery;
import dev.trustbridge.ca.authn.Caller;
import dev.trustbridge.ca.authority.AuthorityFixture;
import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.authority.TrustDomainAuthority;
import dev.trustbridge.ca.entry.RegistrationEntry;
import dev.trustbridge.ca.issuance.X509SvidIssuer.LeafPolicy;
import dev.trustbridge.ca.issuance.X509SvidIssuer.TtlOverMax;
import dev.trustbridge.ca.store.JdbcDatastore;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.VerifiedX509Svid;
import dev.trustbridge.spiffe.svid.X509SvidProfileChecker;
import dev.trustbridge.spiffe.svid.X509SvidVerifier;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class X509SvidIssuerTest {
  private static final Provider BC = new BouncyCastleProvider();
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final TrustDomain TD = TrustDomain.parse("td");
  private static final SpiffeId NODE_1 = SpiffeId.parse("spiffe://td/agent/node-1");
  private static final SpiffeId WEB = SpiffeId.parse("spiffe://td/workload/web");
  private static final SpiffeId ADMIN = SpiffeId.parse("spiffe://td/admin");
  private static final SpiffeId ZTUNNEL = SpiffeId.parse("spiffe://td/ns/istio-system/sa/ztunnel");
  private static final SpiffeId SA_WEB = SpiffeId.parse("spiffe://td/ns/default/sa/web");
  private static final TrustDomain PARTNER = TrustDomain.parse("partner.example");
  private static final Duration DEFAULT_TTL = Duration.ofHours(1);
  private static final Duration MAX_TTL = AuthorityFixture.MAX_LEAF_TTL;
  private static final Duration INTERMEDIATE_TTL = Duration.ofDays(30);
  private static final Set<KeyType> EC_AND_RSA_2048 =
      Set.of(KeyType.EC_P256, KeyType.EC_P384, KeyType.RSA_2048);

  @TempDir Path dir;

  private MutableClock clock;
  private AuthorityFixture fixture;
  private JdbcDatastore datastore;
  private TrustDomainAuthority authority;
  private SimpleMeterRegistry metrics;

  @BeforeEach
  void open() {
    clock = new MutableClock(T0);
    fixture = AuthorityFixture.open(TD, dir, clock).ttls(Duration.ofDays(365), INTERMEDIATE_TTL);
    datastore = fixture.datastore();
    authority = fixture.initialized();
    metrics = new SimpleMeterRegistry();
  }

  @AfterEach
  void close() {
    fixture.close();
  }

  private X509SvidIssuer issuer(TtlOverMax overMax, Set<KeyType> allowed) {
    return issuer(overMax, allowed, datastore.auditLog());
  }

  private X509SvidIssuer issuer(
      TtlOverMax overMax, Set<KeyType> allowed, dev.trustbridge.ca.audit.AuditLog audit) {
    return new X509SvidIssuer(
        Map.of(TD, authority),
        Map.of(TD, new LeafPolicy(DEFAULT_TTL, MAX_TTL, overMax, allowed, false)),
        new Authorizer(datastore.entries(), Set.of(TD), Set.of(ZTUNNEL)),
        new CsrValidator(
            65536, EnumSet.allOf(KeyType.class), CryptoProviders.bouncyCastleOnly()::verify),
        audit,
        clock,
        metrics);
  }

  private X509SvidIssuer issuer() {
    return issuer(TtlOverMax.REJECT, EC_AND_RSA_2048);
  }

  private void entry(SpiffeId id, SpiffeId parent, Optional<Duration> ttl, List<String> dns) {
    datastore
        .entries()
        .create(RegistrationEntry.unassigned(id, parent, ttl, dns, false, Set.of(PARTNER), T0));
  }

  private static Caller.Svid svid(SpiffeId id) {
    return new Caller.Svid(id, T0.plus(Duration.ofHours(1)));
  }

  private static KeyPair ecKeys() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BC);
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static KeyPair rsaKeys() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA", BC);
    generator.initialize(2048);
    return generator.generateKeyPair();
  }

  private static byte[] csr(KeyPair keys) throws Exception {
    return csr(keys, new X500Principal(""), List.of());
  }

  private static byte[] csr(KeyPair keys, X500Principal subject, List<GeneralName> sans)
      throws Exception {
    JcaPKCS10CertificationRequestBuilder builder =
        new JcaPKCS10CertificationRequestBuilder(subject, keys.getPublic());
    if (!sans.isEmpty()) {
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(
          Extension.subjectAlternativeName,
          true,
          new GeneralNames(sans.toArray(GeneralName[]::new)));
      builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
    }
    String algorithm =
        keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    return builder
        .build(new JcaContentSignerBuilder(algorithm).setProvider(BC).build(keys.getPrivate()))
        .getEncoded();
  }

  private VerifiedX509Svid verify(List<X509Certificate> chain) {
    Collection<X509Certificate> roots = authority.bundle().x509Authorities();
    return new X509SvidVerifier(td -> td.equals(TD) ? Optional.of(roots) : Optional.empty(), clock)
        .verify(chain);
  }

  private static List<String> sans(X509Certificate leaf, int type) throws Exception {
    List<String> values = new ArrayList<>();
    for (List<?> san : leaf.getSubjectAlternativeNames()) {
      if ((Integer) san.get(0) == type) {
        values.add((String) san.get(1));
      }
    }
    return values;
  }

  private static TrustbridgeException assertRefused(ErrorCode code, String message, Executable c) {
    TrustbridgeException e = assertThrows(TrustbridgeException.class, c);
    assertEquals(code, e.code(), e.getMessage());
    assertEquals(message, e.getMessage());
    return e;
  }

  private List<AuditEvent> signEvents() {
    return datastore.auditLog().query(AuditQuery.newest().withAction("x509.sign"));
  }

  private double counter(String name, String tag, String value) {
    var counter = metrics.find(name).tag(tag, value).counter();
    return counter == null ? 0 : counter.count();
  }

  @Test
  void issue_ownId_leafCarriesExactlyThatIdAndTheCsrKey_andVerifiesAgainstTheBundle()
      throws Exception {
    KeyPair keys = ecKeys();

    X509SvidIssuer.Issued issued =
        issuer().issue(svid(WEB), Optional.empty(), csr(keys), Duration.ZERO);

    X509Certificate leaf = issued.leaf();
    assertEquals(WEB, issued.spiffeId());
    assertEquals(List.of(WEB.toString()), sans(leaf, GeneralName.uniformResourceIdentifier));
    assertArrayEquals(keys.getPublic().getEncoded(), leaf.getPublicKey().getEncoded());
    assertEquals(List.of(leaf, authority.signer().ca().certificate()), issued.chain());
    VerifiedX509Svid verified = verify(issued.chain());
    assertEquals(WEB, verified.spiffeId());
    assertEquals(authority.bundle().x509Authorities().get(0), verified.trustAnchor());
    X509SvidProfileChecker.checkLeaf(leaf, authority.signer().ca().certificate());
    assertEquals(leaf.getSerialNumber().toString(16), issued.serialHex());
    assertEquals(leaf.getNotAfter().toInstant(), issued.expiresAt());
  }

  @Test
  void issue_csrAskingForAnotherIdAndNames_getsOnlyTheAuthorizedIdAndEntryDnsNames()
      throws Exception {
    entry(WEB, NODE_1, Optional.empty(), List.of("web.local", "web.default.svc"));
    KeyPair keys = ecKeys();
    byte[] request =
        csr(
            keys,
            new X500Principal("CN=admin, O=Evil"),
            List.of(
                new GeneralName(GeneralName.uniformResourceIdentifier, ADMIN.toString()),
                new GeneralName(GeneralName.dNSName, "evil.example")));

    X509SvidIssuer.Issued issued =
        issuer().issue(svid(NODE_1), Optional.of(WEB), request, Duration.ZERO);

    X509Certificate leaf = issued.leaf();
    assertEquals(List.of(WEB.toString()), sans(leaf, GeneralName.uniformResourceIdentifier));
    assertEquals(List.of("web.local", "web.default.svc"), sans(leaf, GeneralName.dNSName));
    assertEquals("", leaf.getSubjectX500Principal().getName());
    assertArrayEquals(keys.getPublic().getEncoded(), leaf.getPublicKey().getEncoded());
    assertEquals(Set.of(PARTNER), issued.federatesWith());
    assertEquals(WEB, verify(issued.chain()).spiffeId());
  }

  @Test
  void issue_noOrNegativeRequestedTtl_getsTheDefaultTtl() throws Exception {
    for (Duration requested : List.of(Duration.ZERO, Duration.ofSeconds(-5))) {
      X509Certificate leaf =
          issuer().issue(svid(WEB), Optional.empty(), csr(ecKeys()), requested).leaf();

      assertEquals(T0.plus(DEFAULT_TTL), leaf.getNotAfter().toInstant());
      assertEquals(T0.minus(Duration.ofSeconds(30)), leaf.getNotBefore().toInstant());
    }
  }

  @Test
  void issue_entryTtl_replacesTheDefault_andCapsRequests() throws Exception {
    entry(WEB, NODE_1, Optional.of(Duration.ofMinutes(20)), List.of());

    X509Certificate byDefault =
        issuer().issue(svid(NODE_1), Optional.of(WEB), csr(ecKeys()), Duration.ZERO).leaf();
    assertEquals(T0.plus(Duration.ofMinutes(20)), byDefault.getNotAfter().toInstant());

    assertRefused(
        ErrorCode.INVALID_ARGUMENT,
        "requested TTL 1800s exceeds the maximum of 1200s",
        () ->
            issuer().issue(svid(NODE_1), Optional.of(WEB), csr(ecKeys()), Duration.ofMinutes(30)));
  }

  @Test
  void issue_requestedTtlWithinMax_isHonoured() throws Exception {
    X509Certificate leaf =
        issuer().issue(svid(WEB), Optional.empty(), csr(ecKeys()), Duration.ofHours(12)).leaf();

    assertEquals(T0.plus(Duration.ofHours(12)), leaf.getNotAfter().toInstant());
  }

  @Test
  void issue_requestedTtlAboveMax_isRejectedUnderReject() {
    assertRefused(
        ErrorCode.INVALID_ARGUMENT,
        "requested TTL 90000s exceeds the maximum of 86400s",
        () ->
            issuer(TtlOverMax.REJECT, EC_AND_RSA_2048)
                .issue(svid(WEB), Optional.empty(), csr(ecKeys()), Duration.ofHours(25)));
    assertEquals(AuditEvent.INVALID, signEvents().get(0).outcome());
  }

  @Test
  void issue_requestedTtlAboveMax_isClampedUnderClamp() throws Exception {
    X509Certificate leaf =
        issuer(TtlOverMax.CLAMP, EC_AND_RSA_2048)
            .issue(svid(WEB), Optional.empty(), csr(ecKeys()), Duration.ofDays(90))
            .leaf();

    assertEquals(T0.plus(MAX_TTL), leaf.getNotAfter().toInstant());
  }

  @Test
  void issue_nearTheIntermediatesEnd_leafNeverOutlivesIt() throws Exception {
    X509Certificate intermediate = authority.signer().ca().certificate();
    clock.set(intermediate.getNotAfter().toInstant().minus(Duration.ofHours(2)));

    X509SvidIssuer.Issued issued =
        issuer(TtlOverMax.CLAMP, EC_AND_RSA_2048)
            .issue(svid(WEB), Optional.empty(), csr(ecKeys()), MAX_TTL);

    assertEquals(intermediate.getNotAfter(), issued.leaf().getNotAfter());
    assertEquals(WEB, verify(issued.chain()).spiffeId());
  }

  @Test
  void issue_afterRotation_isSignedByTheNewIntermediateAndVerifiesWithTheSameBundle()
      throws Exception {
    X509Certificate before = authority.signer().ca().certificate();
    // Prepared at half of its life, activated at five sixths.
    clock.advance(INTERMEDIATE_TTL.dividedBy(2).plusSeconds(1));
    authority.rotateIfDue();
    clock.advance(INTERMEDIATE_TTL.dividedBy(3));
    authority.rotateIfDue();

    X509SvidIssuer.Issued issued =
        issuer().issue(svid(WEB), Optional.empty(), csr(ecKeys()), MAX_TTL);

    assertNotEquals(before, issued.chain().get(1));
    assertEquals(authority.signer().ca().certificate(), issued.chain().get(1));
    assertEquals(WEB, verify(issued.chain()).spiffeId());
    assertTrue(issued.expiresAt().isBefore(issued.chain().get(1).getNotAfter().toInstant()));
  }

  @Test
  void issue_keyTypeNotAllowedByThePolicy_isRefused() {
    assertRefused(
        ErrorCode.INVALID_ARGUMENT,
        "CSR key type RSA_2048 is not allowed by this server",
        () ->
            issuer(TtlOverMax.REJECT, Set.of(KeyType.EC_P256))
                .issue(svid(WEB), Optional.empty(), csr(rsaKeys()), Duration.ZERO));
  }

  @Test
  void issue_rsaKeyAllowedByThePolicy_isIssued() throws Exception {
    KeyPair keys = rsaKeys();

    X509Certificate leaf =
        issuer().issue(svid(WEB), Optional.empty(), csr(keys), Duration.ZERO).leaf();

    assertArrayEquals(keys.getPublic().getEncoded(), leaf.getPublicKey().getEncoded());
  }

  @Test
  void issue_unauthorizedId_isRefusedBeforeTheCsrIsLookedAt() {
    assertRefused(
        ErrorCode.PERMISSION_DENIED,
        Authorizer.DENIED,
        () ->
            issuer().issue(svid(NODE_1), Optional.of(ADMIN), new byte[] {1, 2, 3}, Duration.ZERO));
  }

  @Test
  void issueImpersonated_nodeAccount_getsTheTargetId_othersAreDenied() throws Exception {
    Caller.Jwt ztunnel =
        new Caller.Jwt(ZTUNNEL, "k8s", "system:serviceaccount:istio-system:ztunnel");

    X509SvidIssuer.Issued issued =
        issuer().issueImpersonated(ztunnel, SA_WEB, csr(ecKeys()), Duration.ZERO);

    assertEquals(
        List.of(SA_WEB.toString()), sans(issued.leaf(), GeneralName.uniformResourceIdentifier));
    assertRefused(
        ErrorCode.PERMISSION_DENIED,
        Authorizer.DENIED,
        () ->
            issuer()
                .issueImpersonated(
                    new Caller.Jwt(SA_WEB, "k8s", "system:serviceaccount:default:web"),
                    ZTUNNEL,
                    csr(ecKeys()),
                    Duration.ZERO));
    AuditEvent denied = signEvents().get(0);
    assertEquals("jwt:k8s:system:serviceaccount:default:web", denied.caller());
    assertEquals(ZTUNNEL.toString(), denied.subject());
    assertEquals(AuditEvent.DENIED, denied.outcome());
  }

  @Test
  void issue_everyIssuanceAndRefusal_isInTheAuditLog() throws Exception {
    X509SvidIssuer issuer = issuer();
    X509SvidIssuer.Issued issued =
        issuer.issue(svid(WEB), Optional.empty(), csr(ecKeys()), Duration.ZERO);
    clock.advance(Duration.ofSeconds(1));
    assertThrows(
        TrustbridgeException.class,
        () -> issuer.issue(svid(NODE_1), Optional.of(ADMIN), csr(ecKeys()), Duration.ZERO));
    clock.advance(Duration.ofSeconds(1));
    assertThrows(
        TrustbridgeException.class,
        () ->
            issuer.issue(
                svid(WEB),
                Optional.empty(),
                "garbage".getBytes(StandardCharsets.US_ASCII),
                Duration.ZERO));

    List<AuditEvent> events = signEvents(); // newest first
    assertEquals(3, events.size());

    AuditEvent invalid = events.get(0);
    assertEquals("svid:" + WEB, invalid.caller());
    assertEquals(WEB.toString(), invalid.subject());
    assertEquals(AuditEvent.INVALID, invalid.outcome());
    assertEquals(CsrValidator.NOT_PKCS10, invalid.detail());
    assertEquals(Optional.empty(), invalid.serial());

    AuditEvent denied = events.get(1);
    assertEquals("svid:" + NODE_1, denied.caller());
    assertEquals(ADMIN.toString(), denied.subject());
    assertEquals(AuditEvent.DENIED, denied.outcome());
    assertEquals(Authorizer.DENIED, denied.detail());
    assertEquals(Optional.empty(), denied.serial());
    assertEquals(Optional.empty(), denied.expiresAt());

    AuditEvent ok = events.get(2);
    assertEquals("svid:" + WEB, ok.caller());
    assertEquals(WEB.toString(), ok.subject());
    assertEquals(AuditEvent.OK, ok.outcome());
    assertEquals(T0, ok.at());
    assertEquals(Optional.of(issued.serialHex()), ok.serial());
    assertEquals(Optional.of(issued.leaf().getNotAfter().toInstant()), ok.expiresAt());
    assertFalse(ok.detail().isEmpty());
  }

  @Test
  void issue_countsIssuancesAndRefusalsByReason() throws Exception {
    X509SvidIssuer issuer = issuer();
    issuer.issue(svid(WEB), Optional.empty(), csr(ecKeys()), Duration.ZERO);
    issuer.issue(svid(WEB), Optional.empty(), csr(ecKeys()), Duration.ZERO);
    assertThrows(
        TrustbridgeException.class,
        () -> issuer.issue(svid(NODE_1), Optional.of(ADMIN), csr(ecKeys()), Duration.ZERO));
    assertThrows(
        TrustbridgeException.class,
        () -> issuer.issue(svid(WEB), Optional.empty(), csr(ecKeys()), Duration.ofDays(2)));

    assertEquals(2, counter("trustbridge_svid_issued", "trust_domain", "td"));
    assertEquals(1, counter("trustbridge_svid_refused", "reason", "permission_denied"));
    assertEquals(1, counter("trustbridge_svid_refused", "reason", "invalid_argument"));
    assertEquals(4, metrics.find("trustbridge_svid_sign_latency").timer().count());
  }

  @Test
  void issue_twice_givesDistinctRandomSerials() throws Exception {
    X509SvidIssuer issuer = issuer();
    X509Certificate a =
        issuer.issue(svid(WEB), Optional.empty(), csr(ecKeys()), Duration.ZERO).leaf();
    X509Certificate b =
        issuer.issue(svid(WEB), Optional.empty(), csr(ecKeys()), Duration.ZERO).leaf();

    assertNotEquals(a.getSerialNumber(), b.getSerialNumber());
    assertTrue(a.getSerialNumber().signum() > 0);
    assertTrue(a.getSerialNumber().bitLength() <= 128);
  }

  /** An audit log whose records are "stored" only when the test says so. */
  private static final class HeldAuditLog implements dev.trustbridge.ca.audit.AuditLog {
    final List<AuditEvent> events = new ArrayList<>();
    final List<java.util.concurrent.CompletableFuture<Void>> stored = new ArrayList<>();

    @Override
    public void append(AuditEvent event) {
      throw new AssertionError("issuance must not wait on a thread for its record");
    }

    @Override
    public synchronized java.util.concurrent.CompletableFuture<Void> appendAsync(AuditEvent event) {
      events.add(event);
      java.util.concurrent.CompletableFuture<Void> done =
          new java.util.concurrent.CompletableFuture<>();
      stored.add(done);
      return done;
    }

    @Override
    public List<AuditEvent> query(AuditQuery query) {
      return List.copyOf(events);
    }
  }

  private X509SvidIssuer issuer(dev.trustbridge.ca.audit.AuditLog audit) {
    return issuer(TtlOverMax.REJECT, EC_AND_RSA_2048, audit);
  }

  @Test
  void issueAsync_completesOnlyOnceTheAuditRecordIsStored() throws Exception {
    HeldAuditLog audit = new HeldAuditLog();
    java.util.concurrent.CompletableFuture<X509SvidIssuer.Issued> pending =
        issuer(audit).issueAsync(svid(WEB), Optional.empty(), csr(ecKeys()), Duration.ZERO);
    assertEquals(1, audit.events.size());
    assertEquals(AuditEvent.OK, audit.events.get(0).outcome());
    assertFalse(pending.isDone(), "no certificate before its record is durable");
    assertEquals(0.0, metrics.counter("trustbridge_svid_issued", "trust_domain", "td").count());

    audit.stored.get(0).complete(null);
    assertEquals(WEB, pending.get(5, java.util.concurrent.TimeUnit.SECONDS).spiffeId());
    assertEquals(1.0, metrics.counter("trustbridge_svid_issued", "trust_domain", "td").count());
  }

  @Test
  void issueAsync_aRecordThatCannotBeStored_failsTheIssuanceWithItsError() throws Exception {
    HeldAuditLog audit = new HeldAuditLog();
    java.util.concurrent.CompletableFuture<X509SvidIssuer.Issued> pending =
        issuer(audit).issueAsync(svid(WEB), Optional.empty(), csr(ecKeys()), Duration.ZERO);
    audit
        .stored
        .get(0)
        .completeExceptionally(
            new TrustbridgeException(ErrorCode.UNAVAILABLE, "datastore unavailable"));
    java.util.concurrent.ExecutionException failure =
        assertThrows(
            java.util.concurrent.ExecutionException.class,
            () -> pending.get(5, java.util.concurrent.TimeUnit.SECONDS));
    TrustbridgeException cause = (TrustbridgeException) failure.getCause();
    assertEquals(ErrorCode.UNAVAILABLE, cause.code());
    assertEquals(1, audit.events.size(), "no refusal record while the log is down");
    assertEquals(1.0, metrics.counter("trustbridge_svid_refused", "reason", "unavailable").count());
  }

  @Test
  void issueAsync_aRefusal_failsOnlyAfterItsRecordIsStored() throws Exception {
    HeldAuditLog audit = new HeldAuditLog();
    java.util.concurrent.CompletableFuture<X509SvidIssuer.Issued> pending =
        issuer(audit).issueAsync(svid(WEB), Optional.of(ADMIN), csr(ecKeys()), Duration.ZERO);
    assertEquals(AuditEvent.DENIED, audit.events.get(0).outcome());
    assertFalse(pending.isDone());
    audit.stored.get(0).complete(null);
    java.util.concurrent.ExecutionException failure =
        assertThrows(
            java.util.concurrent.ExecutionException.class,
            () -> pending.get(5, java.util.concurrent.TimeUnit.SECONDS));
    assertEquals(ErrorCode.PERMISSION_DENIED, ((TrustbridgeException) failure.getCause()).code());
  }
}
