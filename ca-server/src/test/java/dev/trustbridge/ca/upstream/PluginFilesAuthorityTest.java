package dev.trustbridge.ca.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.trustbridge.ca.authority.AuthorityFixture;
import dev.trustbridge.ca.authority.AuthorityKind;
import dev.trustbridge.ca.authority.AuthorityState;
import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.authority.TrustDomainAuthority;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.InMemoryKeyManager;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Plug-in CA files (Istio's cacerts) as a trust domain's upstream: checked at start with precise
 * refusals, reloaded when they change, the old root kept while the old CA's leaves may be valid,
 * and an inconsistent replacement refused with the old CA kept.
 */
class PluginFilesAuthorityTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final TrustDomain TD = TrustDomain.parse("cluster.local");
  private static final Duration CA_TTL = Duration.ofDays(20);

  @TempDir Path dir;
  private MutableClock clock;
  private AuthorityFixture fixture;
  private PluginCaFixture.Ca root;
  private PluginCaFixture.Ca ca;

  @BeforeEach
  void open() throws Exception {
    clock = new MutableClock(T0);
    fixture = AuthorityFixture.open(TD, dir, clock);
    root = PluginCaFixture.root("Istio root 1", T0, Duration.ofDays(3650));
    ca = PluginCaFixture.ca("Istio CA 1", root, TD.name(), T0, CA_TTL);
  }

  @AfterEach
  void close() {
    fixture.close();
  }

  private Path cacerts() {
    return dir.resolve("cacerts");
  }

  private PluginFiles files() {
    return PluginFiles.open(
        TD, PluginFiles.Paths.istio(cacerts()), CryptoProviders.bouncyCastleOnly(), clock);
  }

  private TrustDomainAuthority authority() {
    return fixture.initialized(files(), new InMemoryKeyManager());
  }

  private String refusal() {
    TrustbridgeException e = assertThrows(TrustbridgeException.class, this::files);
    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    return e.getMessage();
  }

  @Test
  void consistentSet_isAccepted_andLeavesChainToTheRootBundle() throws Exception {
    PluginCaFixture.write(
        cacerts(), List.of(root.certificate()), List.of(), ca.certificate(), ca.keys(), T0);

    TrustDomainAuthority authority = authority();

    assertEquals(ca.certificate(), authority.signer().ca().certificate());
    assertEquals(List.of(root.certificate()), authority.bundle().x509Authorities());
    assertTrue(fixture.validates(fixture.issue(authority), authority.bundle()));
    assertTrue(
        fixture.journal().stream()
            .anyMatch(
                r -> r.kind() == AuthorityKind.INTERMEDIATE && r.keyId().startsWith("plugin:")));
  }

  @Test
  void threeLevelSet_sendsTheMiddleCaInTheChain() throws Exception {
    PluginCaFixture.Ca middle = PluginCaFixture.ca("Istio middle", root, TD.name(), T0, CA_TTL);
    PluginCaFixture.Ca leafCa =
        PluginCaFixture.ca("Istio cluster CA", middle, TD.name(), T0, CA_TTL);
    PluginCaFixture.write(
        cacerts(),
        List.of(root.certificate()),
        List.of(middle.certificate()),
        leafCa.certificate(),
        leafCa.keys(),
        T0);

    TrustDomainAuthority authority = authority();

    assertEquals(List.of(leafCa.certificate(), middle.certificate()), authority.signer().chain());
    assertTrue(fixture.validates(fixture.issue(authority), authority.bundle()));
  }

  @Test
  void keyOfAnotherCertificate_isRefusedAtStart() throws Exception {
    PluginCaFixture.write(
        cacerts(),
        List.of(root.certificate()),
        List.of(),
        ca.certificate(),
        PluginCaFixture.ecKeys(),
        T0);

    assertEquals(
        "plug-in CA files of cluster.local refused: "
            + PluginFiles.KEY_MISMATCH
            + " ("
            + PluginFiles.Paths.istio(cacerts()).caKey()
            + " and "
            + PluginFiles.Paths.istio(cacerts()).caCert()
            + ")",
        refusal());
  }

  @Test
  void chainNotToTheRootBundle_isRefusedAtStart() throws Exception {
    PluginCaFixture.Ca otherRoot = PluginCaFixture.root("Another root", T0, Duration.ofDays(3650));
    PluginCaFixture.write(
        cacerts(), List.of(otherRoot.certificate()), List.of(), ca.certificate(), ca.keys(), T0);

    assertTrue(refusal().contains(PluginFiles.NOT_CHAINED));
  }

  @Test
  void caCertificateThatIsNotACa_isRefusedAtStart() throws Exception {
    PluginCaFixture.Ca notCa =
        PluginCaFixture.custom(
            "Not a CA", root, T0, CA_TTL, false, Optional.of("spiffe://cluster.local"));
    PluginCaFixture.write(
        cacerts(), List.of(root.certificate()), List.of(), notCa.certificate(), notCa.keys(), T0);

    assertTrue(refusal().contains(PluginFiles.NOT_A_CA));
  }

  @Test
  void caCertificateWithoutTheTrustDomainId_isRefusedAtStart() throws Exception {
    PluginCaFixture.Ca istioDefault =
        PluginCaFixture.custom("No SPIFFE ID", root, T0, CA_TTL, true, Optional.empty());
    PluginCaFixture.Ca otherDomain =
        PluginCaFixture.custom(
            "Other domain", root, T0, CA_TTL, true, Optional.of("spiffe://other.example"));
    PluginCaFixture.write(
        cacerts(),
        List.of(root.certificate()),
        List.of(),
        istioDefault.certificate(),
        istioDefault.keys(),
        T0);
    assertTrue(refusal().contains(PluginFiles.NO_TRUST_DOMAIN_ID));

    PluginCaFixture.write(
        cacerts(),
        List.of(root.certificate()),
        List.of(),
        otherDomain.certificate(),
        otherDomain.keys(),
        T0.plusSeconds(1));
    String message = refusal();
    assertTrue(message.contains(PluginFiles.NO_TRUST_DOMAIN_ID), message);
    assertTrue(message.contains("other.example"), message);
  }

  @Test
  void replacedWithANewConsistentSet_usesTheNewCa_andKeepsTheOldRootWhileNeeded() throws Exception {
    PluginCaFixture.write(
        cacerts(), List.of(root.certificate()), List.of(), ca.certificate(), ca.keys(), T0);
    TrustDomainAuthority authority = authority();
    clock.advance(Duration.ofDays(5));
    List<X509Certificate> oldLeaf = fixture.issue(authority);

    PluginCaFixture.Ca newRoot =
        PluginCaFixture.root("Istio root 2", clock.instant(), Duration.ofDays(3650));
    PluginCaFixture.Ca newCa =
        PluginCaFixture.ca("Istio CA 2", newRoot, TD.name(), clock.instant(), CA_TTL);
    PluginCaFixture.write(
        cacerts(),
        List.of(newRoot.certificate()),
        List.of(),
        newCa.certificate(),
        newCa.keys(),
        T0.plusSeconds(60));
    clock.advance(Duration.ofMinutes(1));
    authority.rotateIfDue();

    assertEquals(newCa.certificate(), authority.signer().ca().certificate());
    assertEquals(
        List.of(root.certificate(), newRoot.certificate()), authority.bundle().x509Authorities());
    assertTrue(fixture.validates(oldLeaf, authority.bundle()));
    assertTrue(fixture.validates(fixture.issue(authority), authority.bundle()));
    assertEquals(
        1,
        fixture.journal().stream()
            .filter(r -> r.kind() == AuthorityKind.INTERMEDIATE)
            .filter(r -> r.state() == AuthorityState.OLD)
            .count());

    // Once the old CA has expired, no leaf can chain to the old root: it leaves the bundle.
    clock.set(ca.certificate().getNotAfter().toInstant().plusSeconds(1));
    authority.rotateIfDue();
    assertEquals(List.of(newRoot.certificate()), authority.bundle().x509Authorities());

    // A restart reads the same files and the same journal.
    TrustDomainAuthority restarted = authority();
    assertEquals(newCa.certificate(), restarted.signer().ca().certificate());
    assertEquals(List.of(newRoot.certificate()), restarted.bundle().x509Authorities());
  }

  @Test
  void replacedWithAnInconsistentSet_keepsTheOldCa_andLogsWhy() throws Exception {
    PluginCaFixture.write(
        cacerts(), List.of(root.certificate()), List.of(), ca.certificate(), ca.keys(), T0);
    TrustDomainAuthority authority = authority();
    SpiffeBundle before = authority.bundle();
    PluginCaFixture.Ca newCa = PluginCaFixture.ca("Istio CA 2", root, TD.name(), T0, CA_TTL);
    Logger logger = (Logger) LoggerFactory.getLogger(PluginFiles.class);
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    logger.addAppender(log);
    try {
      // The new certificate with the old key: a half-finished replacement.
      PluginCaFixture.write(
          cacerts(),
          List.of(root.certificate()),
          List.of(),
          newCa.certificate(),
          ca.keys(),
          T0.plusSeconds(60));
      authority.rotateIfDue();
      authority.rotateIfDue();
    } finally {
      logger.detachAppender(log);
    }

    assertEquals(ca.certificate(), authority.signer().ca().certificate());
    assertEquals(before, authority.bundle());
    assertTrue(fixture.validates(fixture.issue(authority), authority.bundle()));
    List<String> errors =
        log.list.stream()
            .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR)
            .map(ILoggingEvent::getFormattedMessage)
            .toList();
    assertEquals(1, errors.size(), errors.toString()); // once per change, not every tick
    assertTrue(errors.get(0).contains(PluginFiles.KEY_MISMATCH), errors.get(0));
  }

  @Test
  void pluginCa_cannotBePreparedOrTainted_theFilesAreReplacedInstead() throws Exception {
    PluginCaFixture.write(
        cacerts(), List.of(root.certificate()), List.of(), ca.certificate(), ca.keys(), T0);
    TrustDomainAuthority authority = authority();
    String id =
        fixture.journal().stream()
            .filter(r -> r.kind() == AuthorityKind.INTERMEDIATE)
            .findFirst()
            .orElseThrow()
            .id();

    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        assertThrows(
                TrustbridgeException.class, () -> authority.prepare(AuthorityKind.INTERMEDIATE))
            .code());
    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        assertThrows(TrustbridgeException.class, () -> authority.taint(id)).code());
  }
}
