package dev.trustbridge.spiffe.svid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.KeyType;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * End-to-end vectors for SPIFFE-ID.md §2.1 and §2.3 through issuance and validation: a trust domain
 * name that is valid under the spec but is not a DNS host name (§2.1: no DNS or IP processing), and
 * an ID of the full 2048 bytes (§2.3: MUST be supported), must give a root our producer check
 * accepts, that survives the bundle document, and a leaf our validator accepts against it.
 */
class IssuanceConformanceVectorsTest {
  private static final Clock CLOCK = TestPki.nowClock();
  private static final TestCaKey ROOT_KEY = TestCaKey.of(KeyType.EC_P256, 40);
  private static final TestCaKey INTERMEDIATE_KEY = TestCaKey.of(KeyType.EC_P256, 41);
  private static final TestCaKey LEAF_KEY = TestCaKey.of(KeyType.EC_P256, 42);

  /** A trust domain of exactly 255 bytes, in 63-byte labels. */
  private static final String LONGEST_TRUST_DOMAIN =
      "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(63);

  /** {@code spiffe://<td>} followed by {@code /p} segments (and one {@code /pq}) to n bytes. */
  private static String idOfBytes(String trustDomain, int n) {
    StringBuilder id = new StringBuilder("spiffe://").append(trustDomain).append("/w");
    while (id.length() <= n - 2) {
      id.append("/p");
    }
    if (id.length() < n) {
      id.append('q');
    }
    assertEquals(n, id.toString().getBytes(StandardCharsets.UTF_8).length);
    return id.toString();
  }

  static Stream<Arguments> ids() {
    return Stream.concat(
        constrainableIds(),
        Stream.of(
            arguments("§2.1 out-of-range dotted quad", "spiffe://999.999.999.999/ns/web"),
            arguments("§2.1 digits only", "spiffe://0/ns/web"),
            arguments("§2.1 leading dash", "spiffe://-leading.example/ns/web"),
            arguments("§2.1 label ending with a dash", "spiffe://trailing-.example/ns/web"),
            arguments("§2.1 empty label", "spiffe://a..b/ns/web"),
            arguments("§2.1 leading dot", "spiffe://.example.org/ns/web"),
            arguments("§2.1 underscore", "spiffe://under_score.example/ns/web"),
            arguments("§2.1 a single dot", "spiffe://./ns/web"),
            arguments(
                "§2.1 a 64-character label", "spiffe://" + "l".repeat(64) + ".example/ns/web"),
            arguments(
                "§2.3 a 255-byte trust domain in an ID of exactly 2048 bytes",
                idOfBytes(LONGEST_TRUST_DOMAIN, 2048))));
  }

  /** IDs whose trust domain name a URI name constraint can carry. */
  static Stream<Arguments> constrainableIds() {
    return Stream.of(
        arguments("§2.1 a DNS-style name", "spiffe://prod-1.example.org/ns/web"),
        arguments("§2.1 IPv4 dotted quad", "spiffe://192.168.0.1/ns/web"),
        arguments("§2.1 IPv4 with zero padding, not normalised", "spiffe://192.168.000.001/ns/web"),
        arguments("§2.1 labels starting with digits", "spiffe://3com.1a.example/ns/web"),
        arguments("§2.1 an IDNA A-label", "spiffe://xn--bcher-kva.example/ns/web"),
        arguments("§2.1 a 63-character label", "spiffe://" + "l".repeat(63) + ".example/ns/web"),
        arguments("§2.3 an ID of exactly 2048 bytes", idOfBytes("example.org", 2048)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ids")
  void issueAndValidate_validSpiffeId_passesBothFacesAndTheBundle(String name, String uri) {
    issueAndValidate(uri, false);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("constrainableIds")
  void issueAndValidate_withUriNameConstraints_passesBothFacesAndTheBundle(
      String name, String uri) {
    issueAndValidate(uri, true);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "999.999.999.999",
        "0",
        "1.2.3",
        "-leading.example",
        "trailing-.example",
        "a..b",
        ".example.org",
        "example.org.",
        "example.123",
        "."
      })
  void uriNameConstraints_forATrustDomainValidatorsCannotMatch_isRefused(String trustDomain) {
    // X509-SVID §4.2 (MAY, with caution): a constraint the JDK cannot parse or crashes on would
    // make the CA unusable; such names stay valid trust domains, just without name constraints.
    CaCertificateBuilder builder =
        CaCertificateBuilder.selfSigned(TrustDomain.parse(trustDomain), ROOT_KEY, CLOCK);
    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> builder.uriNameConstraints(true));
    assertEquals(CaCertificateBuilder.NAME_CONSTRAINTS_UNSUPPORTED, e.getMessage());
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
  }

  private static void issueAndValidate(String uri, boolean nameConstraints) {
    SpiffeId id = SpiffeId.parse(uri);
    TrustDomain td = id.trustDomain();
    X509Certificate root =
        CaCertificateBuilder.selfSigned(td, ROOT_KEY, CLOCK)
            .uriNameConstraints(nameConstraints)
            .ttl(Duration.ofDays(30))
            .build();
    assertEquals(td.id(), X509SvidProfileChecker.checkCa(root, root));
    X509Certificate intermediate =
        CaCertificateBuilder.intermediate(
                td, INTERMEDIATE_KEY.publicKey(), IssuingCa.of(root, ROOT_KEY), CLOCK)
            .uriNameConstraints(nameConstraints)
            .ttl(Duration.ofDays(7))
            .build();
    assertEquals(td.id(), X509SvidProfileChecker.checkCa(intermediate, root));

    X509Certificate leaf =
        X509SvidBuilder.newBuilder(IssuingCa.of(intermediate, INTERMEDIATE_KEY), CLOCK)
            .spiffeId(id)
            .publicKey(LEAF_KEY.publicKey())
            .ttl(Duration.ofHours(1))
            .build();
    assertEquals(id, X509SvidProfileChecker.checkLeaf(leaf, intermediate));

    // Published and read back as the peer would, then used as the trust domain's authorities.
    SpiffeBundle published = SpiffeBundle.builder(td).addX509Authority(root).build();
    SpiffeBundle read = SpiffeBundleCodec.parse(td, SpiffeBundleCodec.write(published));
    assertEquals(List.of(root), read.x509Authorities());
    X509AuthoritySource source =
        t ->
            t.equals(td)
                ? Optional.<Collection<X509Certificate>>of(read.x509Authorities())
                : Optional.empty();
    VerifiedX509Svid verified =
        new X509SvidVerifier(source, CLOCK).verify(List.of(leaf, intermediate));
    assertEquals(id, verified.spiffeId());
    assertEquals(uri, verified.spiffeId().toString());
  }
}
