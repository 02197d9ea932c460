package dev.trustbridge.spiffe.bundle;

import static dev.trustbridge.spiffe.bundle.TestAuthorities.ca;
import static dev.trustbridge.spiffe.bundle.TestAuthorities.x509Jwk;
import static dev.trustbridge.spiffe.bundle.TestJson.asObj;
import static dev.trustbridge.spiffe.bundle.TestJson.bundle;
import static dev.trustbridge.spiffe.bundle.TestJson.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.bundle.TestAuthorities.Kind;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The SPIFFE bundle map (SPIFFE_Trust_Domain_and_Bundle.md section 5). */
class SpiffeBundleMapCodecTest {
  static final TrustDomain A = TrustDomain.parse("a.example");
  static final TrustDomain B = TrustDomain.parse("b.example");

  static void assertRejected(String json, String message) {
    InvalidBundleException e =
        assertThrows(
            InvalidBundleException.class,
            () -> SpiffeBundleMapCodec.parse(json.getBytes(StandardCharsets.UTF_8)));
    assertEquals(message, e.getMessage());
  }

  static String validBundle() {
    return TestJson.write(bundle(x509Jwk(ca(Kind.EC_P256))));
  }

  @Test
  void twoTrustDomains_areReadAsSeparateBundles() {
    String json =
        "{\"trust_domains\":{\"b.example\":"
            + TestJson.write(bundle(x509Jwk(ca(Kind.RSA_2048))))
            + ",\"a.example\":"
            + validBundle()
            + "}}";
    BundleSet set = SpiffeBundleMapCodec.parse(json.getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of(A, B), List.copyOf(set.asMap().keySet()));
    assertEquals(List.of(ca(Kind.EC_P256).cert()), set.get(A).orElseThrow().x509Authorities());
    assertEquals(List.of(ca(Kind.RSA_2048).cert()), set.get(B).orElseThrow().x509Authorities());
    assertEquals(A, set.get(A).orElseThrow().trustDomain());
  }

  @Test
  void trustDomains_empty_isAnEmptySet() {
    assertTrue(
        SpiffeBundleMapCodec.parse("{\"trust_domains\":{}}".getBytes(StandardCharsets.UTF_8))
            .isEmpty());
  }

  @Test
  void trustDomains_missing_isRejected() {
    assertRejected("{}", InvalidBundleException.TRUST_DOMAINS_MISSING);
    assertRejected("{\"keys\":[]}", InvalidBundleException.TRUST_DOMAINS_MISSING);
  }

  @ParameterizedTest(name = "trust_domains = {0}")
  @ValueSource(strings = {"[]", "null", "\"a.example\"", "1"})
  void trustDomains_notAnObject_isRejected(String value) {
    assertRejected(
        "{\"trust_domains\":" + value + "}", InvalidBundleException.TRUST_DOMAINS_NOT_OBJECT);
  }

  @ParameterizedTest(name = "top level {0}")
  @ValueSource(strings = {"[]", "\"x\"", "null"})
  void topLevel_notAnObject_isRejected(String json) {
    assertRejected(json, InvalidBundleException.MAP_NOT_OBJECT);
  }

  @Test
  void duplicateTrustDomain_isRejected() {
    assertRejected(
        "{\"trust_domains\":{\"a.example\":{\"keys\":[]},\"a.example\":{\"keys\":[]}}}",
        InvalidBundleException.DUPLICATE_MEMBER);
  }

  @Test
  void duplicateTrustDomain_spelledWithEscape_isRejected() {
    assertRejected(
        "{\"trust_domains\":{\"a.example\":{\"keys\":[]},\"\\u0061.example\":{\"keys\":[]}}}",
        InvalidBundleException.DUPLICATE_MEMBER);
  }

  @ParameterizedTest(name = "key {0}")
  @ValueSource(
      strings = {
        "spiffe://a.example",
        "A.example",
        "",
        "a.example:443",
        "a b",
        "user@a.example",
        "a.example/path",
        "caf\u00e9.example"
      })
  void trustDomainKey_notABareValidName_isRejected(String key) {
    assertRejected(
        "{\"trust_domains\":{" + TestJson.write(key) + ":{\"keys\":[]}}}",
        InvalidBundleException.TRUST_DOMAIN_NAME_INVALID);
  }

  @Test
  void oneInvalidBundle_rejectsTheWholeMap() {
    String json =
        "{\"trust_domains\":{\"a.example\":" + validBundle() + ",\"b.example\":{\"key\":[]}}}";
    assertRejected(
        json,
        InvalidBundleException.inTrustDomain("b.example", InvalidBundleException.KEYS_MISSING));
    assertRejected(
        "{\"trust_domains\":{\"b.example\":[]}}",
        InvalidBundleException.inTrustDomain(
            "b.example", InvalidBundleException.BUNDLE_NOT_OBJECT));
    assertRejected(
        "{\"trust_domains\":{\"b.example\":{\"keys\":[],\"spiffe_sequence\":\"1\"}}}",
        InvalidBundleException.inTrustDomain(
            "b.example", InvalidBundleException.SEQUENCE_NOT_INTEGER));
  }

  @Test
  void perBundleRefreshHint_isNotRead() {
    BundleSet set =
        SpiffeBundleMapCodec.parse(
            "{\"trust_domains\":{\"a.example\":{\"keys\":[],\"spiffe_refresh_hint\":60,\"spiffe_sequence\":9}}}"
                .getBytes(StandardCharsets.UTF_8));
    SpiffeBundle b = set.get(A).orElseThrow();
    assertEquals(Optional.empty(), b.refreshHint());
    assertEquals(Optional.of(BigInteger.valueOf(9)), b.sequence());
  }

  @Test
  void unknownTopLevelMember_isIgnored() {
    BundleSet set =
        SpiffeBundleMapCodec.parse(
            "{\"trust_domains\":{},\"spiffe_refresh_hint\":5,\"x\":[1]}"
                .getBytes(StandardCharsets.UTF_8));
    assertTrue(set.isEmpty());
  }

  @Test
  void documentLevelRules_applyToMaps() {
    assertRejected("{\"trust_domains\":{}", InvalidBundleException.MALFORMED_JSON);
    assertRejected(
        "{\"trust_domains\":{},\"trust_domains\":{}}", InvalidBundleException.DUPLICATE_MEMBER);
    assertRejected(
        "{\"trust_domains\":{\"a.example\":{\"keys\":" + "[".repeat(40) + "]".repeat(40) + "}}}",
        InvalidBundleException.JSON_LIMITS);
    InvalidBundleException e =
        assertThrows(
            InvalidBundleException.class,
            () -> SpiffeBundleMapCodec.parse(new byte[] {'{', (byte) 0xFF, '}'}));
    assertEquals(InvalidBundleException.NOT_UTF8, e.getMessage());
  }

  @Test
  void writer_omitsRefreshHintsAndKeepsSequences_sortedByTrustDomain() {
    SpiffeBundle b =
        SpiffeBundle.builder(B)
            .addX509Authority(ca(Kind.EC_P256).cert())
            .sequence(BigInteger.valueOf(7))
            .refreshHint(Duration.ofSeconds(60))
            .build();
    SpiffeBundle a = SpiffeBundle.empty(A);
    byte[] out = SpiffeBundleMapCodec.write(BundleSet.of(b, a));
    Map<String, Object> doc = asObj(TestJson.read(out));
    assertEquals(List.of("trust_domains"), List.copyOf(doc.keySet()));
    Map<String, Object> tds = asObj(doc.get("trust_domains"));
    assertEquals(List.of("a.example", "b.example"), List.copyOf(tds.keySet()));
    Map<String, Object> written = asObj(tds.get("b.example"));
    assertEquals(List.of("keys", "spiffe_sequence"), List.copyOf(written.keySet()));
    assertFalse(written.containsKey("spiffe_refresh_hint"));
    assertEquals(obj("keys", List.of()), tds.get("a.example"));
    assertEquals(BundleSet.of(b.withoutRefreshHint(), a), SpiffeBundleMapCodec.parse(out));
  }

  @Test
  void writer_emptySet_writesEmptyTrustDomains() {
    assertEquals(
        "{\"trust_domains\":{}}",
        new String(SpiffeBundleMapCodec.write(BundleSet.empty()), StandardCharsets.UTF_8));
  }
}
