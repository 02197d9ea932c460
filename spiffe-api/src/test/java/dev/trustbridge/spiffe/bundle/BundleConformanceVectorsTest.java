package dev.trustbridge.spiffe.bundle;

import static dev.trustbridge.spiffe.bundle.TestAuthorities.ca;
import static dev.trustbridge.spiffe.bundle.TestAuthorities.caWith;
import static dev.trustbridge.spiffe.bundle.TestAuthorities.jwkParams;
import static dev.trustbridge.spiffe.bundle.TestAuthorities.jwtJwk;
import static dev.trustbridge.spiffe.bundle.TestAuthorities.x509Jwk;
import static dev.trustbridge.spiffe.bundle.TestJson.bundle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.trustbridge.spiffe.bundle.TestAuthorities.Issued;
import dev.trustbridge.spiffe.bundle.TestAuthorities.Kind;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Vectors written from the text of SPIFFE_Trust_Domain_and_Bundle.md, X509-SVID.md section 6 and
 * JWT-SVID.md section 6 (with RFC 7517 / RFC 8259 where they defer to them), as an outside
 * conformance tester would write them. Each row names its section.
 */
class BundleConformanceVectorsTest {
  private static final TrustDomain EXAMPLE_COM = TrustDomain.parse("example.com");
  private static final TrustDomain EXAMPLE_ORG = TrustDomain.parse("example.org");

  private static SpiffeBundle parse(String json) {
    return SpiffeBundleCodec.parse(EXAMPLE_ORG, json.getBytes(StandardCharsets.UTF_8));
  }

  private static String entries(Object... jwks) {
    return TestJson.write(bundle(jwks));
  }

  private static Issued kept() {
    return ca(Kind.EC_P384, "kept");
  }

  // ---- Appendix A: the rotation example, shaped as the spec prints it ----

  /**
   * The two Appendix A certificates as the spec describes them: RSA, self-signed, subject {@code
   * O=example.com}-like, KU {@code keyCertSign} only, and the URI SAN {@code spiffe://example.com/}
   * with its trailing slash (ambiguity A11: invalid as a SPIFFE ID today, but X509-SVID §6.2 gives
   * a consumer no rule on the CA's own SAN).
   */
  private static Issued appendixCertificate(int n) {
    return caWith(
        Kind.RSA_2048, "example.com #" + n, KeyUsage.keyCertSign, "spiffe://example.com/");
  }

  private static String appendixEntry(Issued ca) {
    Map<String, Object> p = jwkParams(ca.cert().getPublicKey());
    return "\t\t{\n"
        + "\t\t\t\"kty\": \"RSA\",\n"
        + "\t\t\t\"use\": \"x509-svid\",\n"
        + "\t\t\t\"x5c\": [\""
        + ca.base64()
        + "\"],\n"
        + "\t\t\t\"n\": \""
        + p.get("n")
        + "\",\n"
        + "\t\t\t\"e\": \""
        + p.get("e")
        + "\"\n"
        + "\t\t}";
  }

  private static String appendixBundle(int sequence, Issued... cas) {
    StringBuilder keys = new StringBuilder();
    for (Issued ca : cas) {
      keys.append(keys.length() == 0 ? "" : ",\n").append(appendixEntry(ca));
    }
    return "{\n"
        + "\t\"spiffe_sequence\": "
        + sequence
        + ",\n"
        + "\t\"spiffe_refresh_hint\": 2419200,\n"
        + "\t\"keys\": [\n"
        + keys
        + "\n\t]\n"
        + "}\n";
  }

  @Test
  void appendixA_trustBundle1_hasCertificate1SequenceOneAndA28DayHint() {
    SpiffeBundle b =
        SpiffeBundleCodec.parse(
            EXAMPLE_COM,
            appendixBundle(1, appendixCertificate(1)).getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of(appendixCertificate(1).cert()), b.x509Authorities());
    assertEquals(Optional.of(BigInteger.ONE), b.sequence());
    assertEquals(Optional.of(Duration.ofDays(28)), b.refreshHint());
    assertEquals(EXAMPLE_COM, b.trustDomain());
  }

  @Test
  void appendixA_trustBundle2_isTheUnionOfBothCertificates() {
    SpiffeBundle b =
        SpiffeBundleCodec.parse(
            EXAMPLE_COM,
            appendixBundle(2, appendixCertificate(1), appendixCertificate(2))
                .getBytes(StandardCharsets.UTF_8));
    assertEquals(
        List.of(appendixCertificate(1).cert(), appendixCertificate(2).cert()), b.x509Authorities());
    assertEquals(Optional.of(BigInteger.TWO), b.sequence());
  }

  // ---- X509-SVID §6.2: the consumer takes the CA in x5c[0]; the CA's own SAN is not its rule ----

  static Stream<Arguments> authoritiesWhoseSanIsNotAConsumerRule() {
    return Stream.of(
        arguments(
            "X509-SVID §3.2 a signing certificate SHOULD (not MUST) be an SVID: no SAN",
            caWith(Kind.EC_P256, "not an svid", KeyUsage.keyCertSign | KeyUsage.cRLSign, null)),
        arguments(
            "Trust Domain §3 the bundle names no trust domain: CA of another trust domain",
            caWith(
                Kind.EC_P256,
                "other td",
                KeyUsage.keyCertSign | KeyUsage.cRLSign,
                "spiffe://other.org")),
        arguments(
            "X509-SVID §4.3 cRLSign is a MAY: keyCertSign only",
            caWith(Kind.ED25519, "kcs only", KeyUsage.keyCertSign, "spiffe://example.org")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("authoritiesWhoseSanIsNotAConsumerRule")
  void x509Entry_caWhoseSanOrUsageIsNoConsumerRule_isAccepted(String name, Issued ca) {
    SpiffeBundle b = parse(entries(x509Jwk(ca), x509Jwk(kept())));
    assertEquals(List.of(ca.cert(), kept().cert()), b.x509Authorities());
  }

  // ---- §4.2.2 use is case sensitive and exact; RFC 8259 escapes are the same string ----

  @ParameterizedTest(name = "use = \"{0}\"")
  @ValueSource(
      strings = {
        "",
        " x509-svid",
        "x509-svid ",
        "x509_svid",
        "x509svid",
        "X509-Svid",
        "x509-svid\\u0000",
        "x509-svid\\n",
        "\\u0078509-SVID",
        "svid",
        "enc"
      })
  void x509Entry_useNotExactlyX509Svid_isIgnored(String use) {
    Map<String, Object> jwk = x509Jwk(ca(Kind.EC_P256));
    jwk.put("use", new TestJson.Raw("\"" + use + "\""));
    SpiffeBundle b = parse(entries(jwk, x509Jwk(kept())));
    assertEquals(List.of(kept().cert()), b.x509Authorities());
    assertTrue(b.jwtAuthorities().isEmpty());
  }

  @ParameterizedTest(name = "use = \"{0}\"")
  @ValueSource(
      strings = {"x509\\u002dsvid", "\\u0078\\u0035\\u0030\\u0039-svid", "x509\\u002Dsvid"})
  void x509Entry_useSpelledWithJsonEscapes_isX509Svid(String use) {
    Issued ca = ca(Kind.EC_P256);
    Map<String, Object> jwk = x509Jwk(ca);
    jwk.put("use", new TestJson.Raw("\"" + use + "\""));
    assertEquals(List.of(ca.cert()), parse(entries(jwk)).x509Authorities());
  }

  @Test
  void x509Entry_memberNamesSpelledWithJsonEscapes_areTheSameMembers() {
    Issued ca = ca(Kind.EC_P256);
    String json =
        entries(x509Jwk(ca))
            .replace("\"use\"", "\"\\u0075se\"")
            .replace("\"x5c\"", "\"x5\\u0063\"")
            .replace("\"keys\"", "\"\\u006beys\"");
    assertEquals(List.of(ca.cert()), parse(json).x509Authorities());
  }

  // ---- JWT-SVID §6.2 / Trust Domain §4.2: jwt-svid entries ----

  @Test
  void jwtEntry_symmetricOctKey_isIgnored() {
    // JWT-SVID §2 allows only RS/ES/PS algorithms: a kty "oct" (HMAC) key can never verify one,
    // and Trust Domain §4.2.1 says unknown key types are ignored.
    Map<String, Object> oct =
        TestJson.obj("use", "jwt-svid", "kid", "hmac", "kty", "oct", "k", "c2VjcmV0LWtleQ");
    SpiffeBundle b = parse(entries(oct, x509Jwk(kept())));
    assertTrue(b.jwtAuthorities().isEmpty());
    assertEquals(List.of(kept().cert()), b.x509Authorities());
  }

  @Test
  void jwtEntry_useMissing_isIgnored() {
    Map<String, Object> jwk = jwtJwk("k1", TestAuthorities.keyPair(Kind.EC_P256).getPublic());
    jwk.remove("use");
    SpiffeBundle b = parse(entries(jwk, x509Jwk(kept())));
    assertTrue(b.jwtAuthorities().isEmpty());
    assertEquals(List.of(kept().cert()), b.x509Authorities());
  }

  @Test
  void jwtEntry_optionalRfc7517Members_areNotRequiredAndIgnored() {
    // Trust Domain §4.1: parameters not defined by SPIFFE MAY be present; RFC 7517 defines alg,
    // key_ops, x5t and x5u as optional JWK members.
    PublicKey key = TestAuthorities.keyPair(Kind.EC_P256).getPublic();
    Map<String, Object> jwk = jwtJwk("k1", key);
    jwk.put("alg", "ES256");
    jwk.put("key_ops", TestJson.arr("verify"));
    jwk.put("x5t", "dGh1bWJwcmludA");
    jwk.put("x5u", "https://example.org/jwks");
    SpiffeBundle b = parse(entries(jwk));
    assertEquals(List.of("k1"), List.copyOf(b.jwtAuthorities().keySet()));
    assertEquals(JwkKey.of(key), JwkKey.of(b.jwtAuthorities().get("k1")));
  }

  @Test
  void jwtEntries_sameKidSpelledWithAJsonEscape_areDuplicates() {
    // RFC 8259 §7: "k\u0031" is the string k1. Ambiguity A6: duplicate usable kids reject.
    Map<String, Object> a = jwtJwk("k1", TestAuthorities.keyPair(Kind.EC_P256).getPublic());
    Map<String, Object> b = jwtJwk("k1", TestAuthorities.keyPair(Kind.EC_P384).getPublic());
    b.put("kid", new TestJson.Raw("\"k\\u0031\""));
    InvalidBundleException e =
        assertThrows(InvalidBundleException.class, () -> parse(entries(a, b)));
    assertEquals(InvalidBundleException.DUPLICATE_KID, e.getMessage());
  }

  @Test
  void jwtEntries_kidsDifferingOnlyInCase_areDistinct() {
    // RFC 7517 §4.5: kid is a case-sensitive string.
    PublicKey k = TestAuthorities.keyPair(Kind.EC_P256).getPublic();
    SpiffeBundle b = parse(entries(jwtJwk("Key", k), jwtJwk("key", k), jwtJwk("KEY", k)));
    assertEquals(List.of("KEY", "Key", "key"), List.copyOf(b.jwtAuthorities().keySet()));
  }

  // ---- §4.1: document-level members ----

  @Test
  void documentMembers_insideAJwk_areNotTheDocumentsMembers() {
    Map<String, Object> jwk = x509Jwk(kept());
    jwk.put("spiffe_sequence", 9);
    jwk.put("spiffe_refresh_hint", 60);
    SpiffeBundle b = parse(entries(jwk));
    assertEquals(Optional.empty(), b.sequence());
    assertEquals(Optional.empty(), b.refreshHint());
    assertEquals(List.of(kept().cert()), b.x509Authorities());
  }

  @Test
  void documentMembers_spelledWithJsonEscapes_areRead() {
    SpiffeBundle b =
        parse("{\"keys\":[],\"spiffe\\u005fsequence\":7,\"spiffe_refresh\\u005Fhint\":30}");
    assertEquals(Optional.of(BigInteger.valueOf(7)), b.sequence());
    assertEquals(Optional.of(Duration.ofSeconds(30)), b.refreshHint());
  }

  @Test
  void keysEmpty_withSequenceAndHint_isEffectivelyEmptyButKeepsThem() {
    // §4.1.3: an empty keys array revokes every key; the sequence still orders the document.
    SpiffeBundle b = parse("{\"spiffe_refresh_hint\":60,\"spiffe_sequence\":5,\"keys\":[]}");
    assertTrue(b.isEffectivelyEmpty());
    assertEquals(Optional.of(BigInteger.valueOf(5)), b.sequence());
    assertEquals(Optional.of(Duration.ofSeconds(60)), b.refreshHint());
  }

  @ParameterizedTest(name = "unknown member = {0}")
  @ValueSource(
      strings = {
        "1e999999999",
        "-1E-999999999",
        "123456789012345678901234567890.5",
        "18446744073709551616",
        "-9223372036854775809",
        "\"\\ufeff\"",
        "\"\\u0000\"",
        "\"\\ud83d\\ude00\""
      })
  void unknownMember_withExtremeButValidJsonValue_isIgnored(String value) {
    // §4.1: unknown members MAY be present and MUST NOT be required; their values are not read.
    SpiffeBundle b =
        parse("{\"keys\":" + "[" + TestJson.write(x509Jwk(kept())) + "],\"x\":" + value + "}");
    assertEquals(List.of(kept().cert()), b.x509Authorities());
  }

  // ---- §5 bundle map: keys are trust domain names, with no DNS rules (SPIFFE-ID §2.1) ----

  @Test
  void bundleMap_trustDomainNamesThatAreNotDnsNames_areReadAndWrittenBack() {
    List<String> names =
        List.of(
            ".",
            "0",
            "a..b",
            "example.org.",
            "192.168.000.001",
            "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(63));
    StringBuilder json = new StringBuilder("{\"trust_domains\":{");
    for (String name : names) {
      json.append(json.length() > 18 ? "," : "")
          .append('"')
          .append(name)
          .append("\":")
          .append(entries(x509Jwk(kept())));
    }
    BundleSet set =
        SpiffeBundleMapCodec.parse(json.append("}}").toString().getBytes(StandardCharsets.UTF_8));
    assertEquals(names.size(), set.size());
    for (String name : names) {
      SpiffeBundle b = set.get(TrustDomain.parse(name)).orElseThrow();
      assertEquals(List.of(kept().cert()), b.x509Authorities());
    }
    assertEquals(set, SpiffeBundleMapCodec.parse(SpiffeBundleMapCodec.write(set)));
  }

  // ---- Federation §5.2: bundles MUST be UTF-8 ----

  static Stream<Arguments> notUtf8Documents() {
    return Stream.of(
        arguments("UTF-16LE with BOM", bom(0xFF, 0xFE, StandardCharsets.UTF_16LE)),
        arguments("UTF-16BE with BOM", bom(0xFE, 0xFF, StandardCharsets.UTF_16BE)),
        arguments(
            "UTF-32BE with BOM",
            concat(new byte[] {0, 0, (byte) 0xFE, (byte) 0xFF}, utf32be("{\"keys\":[]}"))),
        arguments(
            "ISO-8859-1 e acute in a string",
            "{\"keys\":[],\"x\":\"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notUtf8Documents")
  void document_notUtf8_isRejected(String name, byte[] doc) {
    InvalidBundleException e =
        assertThrows(InvalidBundleException.class, () -> SpiffeBundleCodec.parse(EXAMPLE_ORG, doc));
    assertEquals(InvalidBundleException.NOT_UTF8, e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"UTF-16LE", "UTF-16BE"})
  void document_utf16WithoutBom_isRejected(String charset) {
    byte[] doc = "{\"keys\":[]}".getBytes(Charset.forName(charset));
    assertThrows(InvalidBundleException.class, () -> SpiffeBundleCodec.parse(EXAMPLE_ORG, doc));
  }

  private static byte[] bom(int b0, int b1, Charset charset) {
    return concat(new byte[] {(byte) b0, (byte) b1}, "{\"keys\":[]}".getBytes(charset));
  }

  private static byte[] utf32be(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    s.codePoints()
        .forEach(
            cp -> {
              out.write(cp >>> 24);
              out.write(cp >>> 16);
              out.write(cp >>> 8);
              out.write(cp);
            });
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
