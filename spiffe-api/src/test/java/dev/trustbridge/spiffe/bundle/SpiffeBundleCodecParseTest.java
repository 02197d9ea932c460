package dev.trustbridge.spiffe.bundle;

import static dev.trustbridge.spiffe.bundle.TestAuthorities.ca;
import static dev.trustbridge.spiffe.bundle.TestAuthorities.jwtJwk;
import static dev.trustbridge.spiffe.bundle.TestAuthorities.x509Jwk;
import static dev.trustbridge.spiffe.bundle.TestJson.arr;
import static dev.trustbridge.spiffe.bundle.TestJson.bundle;
import static dev.trustbridge.spiffe.bundle.TestJson.obj;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.bundle.TestAuthorities.Issued;
import dev.trustbridge.spiffe.bundle.TestAuthorities.Kind;
import dev.trustbridge.spiffe.bundle.TestJson.Raw;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The consumer rules of the bundle document, one test (or one table) per rule. */
class SpiffeBundleCodecParseTest {
  static final TrustDomain TD = TrustDomain.parse("example.org");

  /** A valid entry kept alongside every ignored one, proving only that one entry was dropped. */
  static Issued other() {
    return ca(Kind.EC_P384, "other");
  }

  static SpiffeBundle parse(Object doc) {
    return SpiffeBundleCodec.parse(TD, TestJson.bytes(doc));
  }

  static SpiffeBundle parseText(String json) {
    return SpiffeBundleCodec.parse(TD, json.getBytes(StandardCharsets.UTF_8));
  }

  static void assertRejected(byte[] doc, String message) {
    InvalidBundleException e =
        assertThrows(InvalidBundleException.class, () -> SpiffeBundleCodec.parse(TD, doc));
    assertEquals(message, e.getMessage());
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
  }

  static void assertRejected(String json, String message) {
    assertRejected(json.getBytes(StandardCharsets.UTF_8), message);
  }

  static void assertOnlyOther(SpiffeBundle b) {
    assertEquals(List.of(other().cert()), b.x509Authorities());
    assertTrue(b.jwtAuthorities().isEmpty());
  }

  // ---- document level ------------------------------------------------------------------------

  @Test
  void keysMember_missing_isRejected() {
    assertRejected("{}", InvalidBundleException.KEYS_MISSING);
    assertRejected("{\"spiffe_sequence\":1,\"key\":[]}", InvalidBundleException.KEYS_MISSING);
  }

  @ParameterizedTest(name = "keys = {0}")
  @ValueSource(strings = {"{}", "null", "\"[]\"", "1", "true"})
  void keysMember_notAnArray_isRejected(String keys) {
    assertRejected("{\"keys\":" + keys + "}", InvalidBundleException.KEYS_NOT_ARRAY);
  }

  @Test
  void keysMember_emptyArray_isEffectivelyEmpty() {
    SpiffeBundle b = parseText("{\"keys\":[]}");
    assertTrue(b.isEffectivelyEmpty());
    assertEquals(TD, b.trustDomain());
  }

  @Test
  void keysMember_onlyUnusableEntries_isEffectivelyEmpty() {
    Map<String, Object> unknownUse = x509Jwk(other());
    unknownUse.put("use", "wit-svid");
    SpiffeBundle b = parse(bundle(unknownUse, obj("use", "jwt-svid", "kty", "EC"), "x"));
    assertTrue(b.isEffectivelyEmpty());
  }

  @ParameterizedTest(name = "top level {0}")
  @ValueSource(strings = {"[]", "[{\"keys\":[]}]", "\"keys\"", "1", "null", "true"})
  void topLevel_notAnObject_isRejected(String json) {
    assertRejected(json, InvalidBundleException.BUNDLE_NOT_OBJECT);
  }

  @Test
  void duplicateMember_atTopLevel_isRejected() {
    assertRejected("{\"keys\":[],\"keys\":[]}", InvalidBundleException.DUPLICATE_MEMBER);
    assertRejected(
        "{\"keys\":[],\"spiffe_sequence\":1,\"spiffe_sequence\":2}",
        InvalidBundleException.DUPLICATE_MEMBER);
  }

  @Test
  void duplicateMember_spelledWithEscape_isRejected() {
    assertRejected("{\"keys\":[],\"k\\u0065ys\":[]}", InvalidBundleException.DUPLICATE_MEMBER);
  }

  @Test
  void duplicateMember_insideJwk_isRejected() {
    String jwk = TestJson.write(x509Jwk(other()));
    String dup =
        jwk.replace("{\"use\":\"x509-svid\",", "{\"use\":\"x509-svid\",\"use\":\"x509-svid\",");
    assertRejected("{\"keys\":[" + dup + "]}", InvalidBundleException.DUPLICATE_MEMBER);
  }

  @Test
  void duplicateMember_insideUnknownNestedMember_isRejected() {
    assertRejected(
        "{\"keys\":[],\"ext\":{\"a\":[{\"b\":1,\"b\":2}]}}",
        InvalidBundleException.DUPLICATE_MEMBER);
  }

  @Test
  void byteOrderMark_isRejected() {
    byte[] json = "\uFEFF{\"keys\":[]}".getBytes(StandardCharsets.UTF_8);
    assertRejected(json, InvalidBundleException.BYTE_ORDER_MARK);
  }

  static Stream<Arguments> invalidUtf8() {
    return Stream.of(
        Arguments.of("0xFF inside a string", new byte[] {(byte) 0xFF}),
        Arguments.of("lone continuation byte", new byte[] {(byte) 0x80}),
        Arguments.of("overlong slash C0 AF", new byte[] {(byte) 0xC0, (byte) 0xAF}),
        Arguments.of(
            "overlong 3-byte E0 80 AF", new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}),
        Arguments.of(
            "encoded surrogate ED A0 80", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}),
        Arguments.of("truncated 2-byte sequence", new byte[] {(byte) 0xC3}),
        Arguments.of(
            "above U+10FFFF", new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}),
        Arguments.of("Latin-1 e acute", new byte[] {(byte) 0xE9}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidUtf8")
  void invalidUtf8_inUnknownMember_isRejected(String name, byte[] bad) {
    byte[] head = "{\"keys\":[],\"x\":\"".getBytes(StandardCharsets.US_ASCII);
    byte[] tail = "\"}".getBytes(StandardCharsets.US_ASCII);
    byte[] doc = new byte[head.length + bad.length + tail.length];
    System.arraycopy(head, 0, doc, 0, head.length);
    System.arraycopy(bad, 0, doc, head.length, bad.length);
    System.arraycopy(tail, 0, doc, head.length + bad.length, tail.length);
    assertRejected(doc, InvalidBundleException.NOT_UTF8);
  }

  @Test
  void validNonAsciiUtf8_inUnknownMember_isAccepted() {
    assertTrue(
        parseText("{\"keys\":[],\"note\":\"d\u00e9j\u00e0 \uD83D\uDE00\"}").isEffectivelyEmpty());
  }

  @Test
  void deeplyNestedJson_isRejected() {
    String deep = "[".repeat(40) + "]".repeat(40);
    assertRejected("{\"keys\":[],\"x\":" + deep + "}", InvalidBundleException.JSON_LIMITS);
    assertRejected("{\"keys\":" + deep + "}", InvalidBundleException.JSON_LIMITS);
  }

  @Test
  void nestingWithinLimit_isAccepted() {
    String nested = "[".repeat(20) + "]".repeat(20);
    assertTrue(parseText("{\"keys\":[],\"x\":" + nested + "}").isEffectivelyEmpty());
  }

  @Test
  void overlongString_isRejected() {
    String s = "a".repeat(JsonTree.MAX_STRING_CHARS + 1);
    assertRejected("{\"keys\":[],\"x\":\"" + s + "\"}", InvalidBundleException.JSON_LIMITS);
  }

  @Test
  void overlongMemberName_isRejected() {
    String s = "a".repeat(JsonTree.MAX_NAME_CHARS + 1);
    assertRejected("{\"keys\":[],\"" + s + "\":1}", InvalidBundleException.JSON_LIMITS);
  }

  @Test
  void overlongNumber_isRejected() {
    String n = "9".repeat(JsonTree.MAX_NUMBER_CHARS + 1);
    assertRejected("{\"keys\":[],\"x\":" + n + "}", InvalidBundleException.JSON_LIMITS);
    assertRejected(
        "{\"keys\":[],\"spiffe_sequence\":" + n + "}", InvalidBundleException.JSON_LIMITS);
  }

  @Test
  void documentOverSizeLimit_isRejected() {
    byte[] doc = new byte[SpiffeBundleCodec.MAX_DOCUMENT_BYTES + 1];
    Arrays.fill(doc, (byte) ' ');
    byte[] json = "{\"keys\":[]}".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(json, 0, doc, 0, json.length);
    assertRejected(doc, InvalidBundleException.TOO_LARGE);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(
      strings = {
        "",
        "   ",
        "{",
        "{\"keys\":[]",
        "{\"keys\":[]} {}",
        "{\"keys\":[]} x",
        "{\"keys\":[],}",
        "{\"keys\":[1,]}",
        "{'keys':[]}",
        "{keys:[]}",
        "/* c */ {\"keys\":[]}",
        "{\"keys\":[],\"x\":NaN}",
        "{\"keys\":[],\"x\":01}",
        "{\"keys\":[],\"x\":+1}",
        "{\"keys\":[],\"x\":\"tab\tinside\"}",
        "{\"keys\":[],\"x\":\"\\q\"}"
      })
  void malformedJson_isRejected(String json) {
    assertRejected(json, InvalidBundleException.MALFORMED_JSON);
  }

  @Test
  void surroundingWhitespace_isAccepted() {
    assertTrue(parseText(" \r\n\t{\"keys\":[]}\n ").isEffectivelyEmpty());
  }

  @Test
  void unknownTopLevelMembers_areIgnored() {
    Map<String, Object> doc = bundle(x509Jwk(other()));
    doc.put("extension", obj("a", arr(1, 2.5, null, true, "s")));
    doc.put("spiffe_unknown", 7);
    assertOnlyOther(parse(doc));
  }

  // ---- spiffe_sequence (A5) ------------------------------------------------------------------

  @Test
  void sequence_absent_isEmpty() {
    assertEquals(Optional.empty(), parseText("{\"keys\":[]}").sequence());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "0",
        "1",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551614",
        "18446744073709551615"
      })
  void sequence_inRange_isAcceptedExactly(String value) {
    SpiffeBundle b = parseText("{\"keys\":[],\"spiffe_sequence\":" + value + "}");
    assertEquals(Optional.of(new BigInteger(value)), b.sequence());
  }

  @Test
  void sequence_twoToThe63_isAcceptedExactly() {
    BigInteger v = BigInteger.TWO.pow(63);
    assertEquals(v, parseText("{\"keys\":[],\"spiffe_sequence\":" + v + "}").sequence().get());
  }

  @Test
  void sequence_twoToThe64MinusOne_isAcceptedExactly() {
    BigInteger v = BigInteger.TWO.pow(64).subtract(BigInteger.ONE);
    assertEquals(v, parseText("{\"keys\":[],\"spiffe_sequence\":" + v + "}").sequence().get());
    assertEquals(SpiffeBundle.MAX_SEQUENCE, v);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"18446744073709551616", "100000000000000000000000000000"})
  void sequence_twoToThe64OrMore_isRejected(String value) {
    assertRejected(
        "{\"keys\":[],\"spiffe_sequence\":" + value + "}",
        InvalidBundleException.SEQUENCE_TOO_LARGE);
  }

  @Test
  void sequence_negative_isRejected() {
    assertRejected(
        "{\"keys\":[],\"spiffe_sequence\":-1}", InvalidBundleException.SEQUENCE_NEGATIVE);
  }

  @Test
  void sequence_negativeZero_isZero() {
    assertEquals(
        BigInteger.ZERO, parseText("{\"keys\":[],\"spiffe_sequence\":-0}").sequence().get());
  }

  @ParameterizedTest(name = "spiffe_sequence = {0}")
  @ValueSource(strings = {"\"1\"", "1.0", "1.5", "1e3", "1E+2", "-0.0", "true", "null", "[]", "{}"})
  void sequence_wrongType_isRejected(String value) {
    assertRejected(
        "{\"keys\":[],\"spiffe_sequence\":" + value + "}",
        InvalidBundleException.SEQUENCE_NOT_INTEGER);
  }

  // ---- spiffe_refresh_hint (A7) --------------------------------------------------------------

  @Test
  void refreshHint_positiveInteger_isRead() {
    SpiffeBundle b = parseText("{\"keys\":[],\"spiffe_refresh_hint\":300}");
    assertEquals(Optional.of(Duration.ofSeconds(300)), b.refreshHint());
  }

  @Test
  void refreshHint_largestLong_isRead() {
    SpiffeBundle b = parseText("{\"keys\":[],\"spiffe_refresh_hint\":" + Long.MAX_VALUE + "}");
    assertEquals(Optional.of(Duration.ofSeconds(Long.MAX_VALUE)), b.refreshHint());
  }

  @ParameterizedTest(name = "spiffe_refresh_hint = {0}")
  @ValueSource(
      strings = {
        "0",
        "-0",
        "-300",
        "1.5",
        "300.0",
        "3e2",
        "\"300\"",
        "null",
        "true",
        "[300]",
        "{}",
        "9223372036854775808"
      })
  void refreshHint_notPositiveInteger_isIgnoredAsAbsent(String value) {
    SpiffeBundle b =
        parse(
            obj(
                "keys",
                arr(x509Jwk(other())),
                "spiffe_refresh_hint",
                new Raw(value),
                "spiffe_sequence",
                4));
    assertEquals(Optional.empty(), b.refreshHint());
    assertEquals(Optional.of(BigInteger.valueOf(4)), b.sequence());
    assertOnlyOther(b);
  }

  @Test
  void refreshHint_unprefixedName_isNotRead() {
    assertEquals(Optional.empty(), parseText("{\"keys\":[],\"refresh_hint\":300}").refreshHint());
  }

  // ---- x509-svid entries (X509-SVID section 6.2, A4) -----------------------------------------

  @ParameterizedTest
  @EnumSource(
      value = Kind.class,
      names = {"EC_P256", "EC_P384", "EC_P521", "RSA_2048", "ED25519"})
  void x509Entry_ofEachKeyType_isAccepted(Kind kind) {
    Issued ca = ca(kind);
    SpiffeBundle b = parse(bundle(x509Jwk(ca)));
    assertEquals(1, b.x509Authorities().size());
    assertArrayEquals(ca.der(), X509Authorities.der(b.x509Authorities().get(0)));
  }

  /** One row per way an x509-svid entry is unusable; the row mutates a valid entry. */
  static Stream<Arguments> unusableX509Entries() {
    Issued ca = ca(Kind.EC_P256);
    return Stream.of(
        row("use missing", ca, j -> j.remove("use")),
        row("use X509-SVID (case)", ca, j -> j.put("use", "X509-SVID")),
        row("use x509-SVID (case)", ca, j -> j.put("use", "x509-SVID")),
        row("use wit-svid", ca, j -> j.put("use", "wit-svid")),
        row("use sig", ca, j -> j.put("use", "sig")),
        row("use not a string", ca, j -> j.put("use", 1)),
        row("kty missing", ca, j -> j.remove("kty")),
        row("kty oct", ca, j -> j.put("kty", "oct")),
        row("kty ec (case)", ca, j -> j.put("kty", "ec")),
        row("kty not a string", ca, j -> j.put("kty", arr("EC"))),
        row("x5c missing", ca, j -> j.remove("x5c")),
        row("x5c empty", ca, j -> j.put("x5c", arr())),
        row("x5c not an array", ca, j -> j.put("x5c", ca.base64())),
        row("x5c null", ca, j -> j.put("x5c", null)),
        row("x5c first value not a string", ca, j -> j.put("x5c", arr(obj(), ca.base64()))),
        row("x5c first value empty", ca, j -> j.put("x5c", arr(""))),
        row("x5c base64url", base64urlDiffers(), j -> j.put("x5c", arr(urlForm(j)))),
        row("x5c padding stripped", paddedCa(), j -> j.put("x5c", arr(stripPadding(j)))),
        row("x5c with line breaks", ca, j -> j.put("x5c", arr(mime(ca.der())))),
        row("x5c not base64", ca, j -> j.put("x5c", arr("not base64!"))),
        row("x5c garbage bytes", ca, j -> j.put("x5c", arr(b64(new byte[] {1, 2, 3, 4, 5, 6})))),
        row(
            "x5c DER plus trailing byte",
            ca,
            j -> j.put("x5c", arr(b64(concat(ca.der(), new byte[] {0}))))),
        row(
            "x5c two certificates in one value",
            ca,
            j -> j.put("x5c", arr(b64(concat(ca.der(), other().der()))))),
        row("x5c a leaf certificate", TestAuthorities.leaf(), j -> {}),
        row("x5c a CA without keyCertSign", TestAuthorities.caWithoutKeyCertSign(), j -> {}),
        row("x5c an RSA-1024 CA", ca(Kind.RSA_1024), j -> {}),
        row("key params missing", ca, j -> j.remove("x")),
        row(
            "all key params missing",
            ca,
            j -> {
              j.remove("crv");
              j.remove("x");
              j.remove("y");
            }),
        row(
            "key params of another key",
            ca,
            j ->
                j.putAll(
                    TestAuthorities.jwkParams(
                        TestAuthorities.freshKeyPair(Kind.EC_P256).getPublic()))),
        row(
            "kty and params of another key type",
            ca,
            j -> {
              j.remove("crv");
              j.remove("x");
              j.remove("y");
              j.putAll(TestAuthorities.jwkParams(ca(Kind.RSA_2048).cert().getPublicKey()));
            }),
        row("crv of another curve", ca, j -> j.put("crv", "P-384")),
        row(
            "Ed25519 params of another key",
            ca(Kind.ED25519),
            j -> j.put("x", TestAuthorities.b64url(new byte[32]))),
        row(
            "RSA params of another key",
            ca(Kind.RSA_2048),
            j -> j.put("e", "AQAB".equals(j.get("e")) ? "Aw" : "AQAB")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unusableX509Entries")
  void x509Entry_unusable_isIgnoredWhileOthersKept(String name, Map<String, Object> jwk) {
    assertOnlyOther(parse(bundle(jwk, x509Jwk(other()))));
    assertOnlyOther(parse(bundle(x509Jwk(other()), jwk)));
  }

  @ParameterizedTest(name = "entry {0}")
  @ValueSource(strings = {"\"x509-svid\"", "1", "null", "true", "[]", "[{\"use\":\"x509-svid\"}]"})
  void entry_notAnObject_isIgnored(String entry) {
    assertOnlyOther(parse(bundle(new Raw(entry), x509Jwk(other()))));
  }

  @Test
  void x5c_twoValues_firstIsUsedAndRestIgnored() {
    Map<String, Object> jwk = x509Jwk(ca(Kind.EC_P256));
    jwk.put("x5c", arr(ca(Kind.EC_P256).base64(), other().base64()));
    SpiffeBundle b = parse(bundle(jwk));
    assertEquals(List.of(ca(Kind.EC_P256).cert()), b.x509Authorities());
  }

  @Test
  void x5c_secondValueGarbage_isNotRead() {
    Map<String, Object> jwk = x509Jwk(ca(Kind.EC_P256));
    jwk.put("x5c", arr(ca(Kind.EC_P256).base64(), "%%%", 12, obj("a", 1)));
    assertEquals(List.of(ca(Kind.EC_P256).cert()), parse(bundle(jwk)).x509Authorities());
  }

  @Test
  void x509Entry_withKid_isAcceptedAndKidIgnored() {
    Map<String, Object> jwk = x509Jwk(other());
    jwk.put("kid", "should-not-be-here");
    SpiffeBundle b = parse(bundle(jwk));
    assertOnlyOther(b);
  }

  @Test
  void x509Entry_unknownMembers_areIgnored() {
    Map<String, Object> jwk = x509Jwk(other());
    jwk.put("alg", "ES384");
    jwk.put("x5t#S256", "abc");
    jwk.put("ext", obj("n", arr()));
    assertOnlyOther(parse(bundle(jwk)));
  }

  @Test
  void x509Entry_expiredCa_isKept() {
    Issued expired = TestAuthorities.expiredCa();
    assertTrue(expired.cert().getNotAfter().before(new java.util.Date()));
    assertEquals(List.of(expired.cert()), parse(bundle(x509Jwk(expired))).x509Authorities());
  }

  @Test
  void x509Entries_sameCertificateTwice_isOneAuthority() {
    assertOnlyOther(parse(bundle(x509Jwk(other()), x509Jwk(other()))));
  }

  @Test
  void x509Entries_areAUnionInDocumentOrder() {
    Issued a = ca(Kind.RSA_2048);
    Issued c = ca(Kind.ED25519);
    SpiffeBundle b = parse(bundle(x509Jwk(c), x509Jwk(a), x509Jwk(c)));
    assertEquals(List.of(c.cert(), a.cert()), b.x509Authorities());
  }

  // ---- jwt-svid entries (JWT-SVID section 6, A6) ---------------------------------------------

  @ParameterizedTest
  @EnumSource(
      value = Kind.class,
      names = {"EC_P256", "EC_P384", "EC_P521", "RSA_2048"})
  void jwtEntry_ofEachKeyType_isAccepted(Kind kind) {
    PublicKey key = TestAuthorities.keyPair(kind).getPublic();
    SpiffeBundle b = parse(bundle(jwtJwk("k1", key)));
    assertEquals(List.of("k1"), List.copyOf(b.jwtAuthorities().keySet()));
    assertEquals(JwkKey.of(key), JwkKey.of(b.jwtAuthorities().get("k1")));
    assertTrue(b.x509Authorities().isEmpty());
    assertFalse(b.isEffectivelyEmpty());
  }

  static Stream<Arguments> unusableJwtEntries() {
    PublicKey ec = TestAuthorities.keyPair(Kind.EC_P256).getPublic();
    PublicKey rsa = TestAuthorities.keyPair(Kind.RSA_2048).getPublic();
    return Stream.of(
        jwtRow("kid missing", ec, j -> j.remove("kid")),
        jwtRow("kid empty", ec, j -> j.put("kid", "")),
        jwtRow("kid not a string", ec, j -> j.put("kid", 7)),
        jwtRow("kid with lone surrogate escape", ec, j -> j.put("kid", new Raw("\"\\ud800\""))),
        jwtRow("use JWT-SVID (case)", ec, j -> j.put("use", "JWT-SVID")),
        jwtRow(
            "kty OKP (Ed25519 has no JWT-SVID alg)",
            TestAuthorities.keyPair(Kind.ED25519).getPublic(),
            j -> {}),
        jwtRow("RSA below 2048 bits", TestAuthorities.keyPair(Kind.RSA_1024).getPublic(), j -> {}),
        jwtRow("RSA even exponent", rsa, j -> j.put("e", "Ag")),
        jwtRow("RSA n missing", rsa, j -> j.remove("n")),
        jwtRow("RSA n padded", rsa, j -> j.put("n", j.get("n") + "=")),
        jwtRow(
            "EC point not on curve",
            ec,
            j -> j.put("y", TestAuthorities.b64url(flipLastBit((String) j.get("y"))))),
        jwtRow("EC x too short", ec, j -> j.put("x", TestAuthorities.b64url(new byte[31]))),
        jwtRow("EC x outside the field", ec, j -> j.put("x", TestAuthorities.b64url(allOnes(32)))),
        jwtRow("EC y missing", ec, j -> j.remove("y")),
        jwtRow("EC x padded", ec, j -> j.put("x", j.get("x") + "=")),
        jwtRow(
            "EC x in standard base64",
            ec,
            j -> j.put("x", ((String) j.get("x")).replace('-', '+').replace('_', '/') + "+")),
        jwtRow("EC crv unknown", ec, j -> j.put("crv", "secp256k1")),
        jwtRow("EC crv missing", ec, j -> j.remove("crv")),
        jwtRow("kty RSA with EC params", ec, j -> j.put("kty", "RSA")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unusableJwtEntries")
  void jwtEntry_unusable_isIgnoredWhileOthersKept(String name, Map<String, Object> jwk) {
    PublicKey kept = TestAuthorities.keyPair(Kind.EC_P384).getPublic();
    SpiffeBundle b = parse(bundle(jwk, jwtJwk("kept", kept)));
    assertEquals(List.of("kept"), List.copyOf(b.jwtAuthorities().keySet()));
  }

  @Test
  void jwtEntry_withoutKid_isIgnored() {
    Map<String, Object> jwk = jwtJwk("k", TestAuthorities.keyPair(Kind.EC_P256).getPublic());
    jwk.remove("kid");
    SpiffeBundle b = parse(bundle(jwk, x509Jwk(other())));
    assertOnlyOther(b);
  }

  @Test
  void jwtEntries_duplicateKid_isRejected() {
    Map<String, Object> a = jwtJwk("same", TestAuthorities.keyPair(Kind.EC_P256).getPublic());
    Map<String, Object> b = jwtJwk("same", TestAuthorities.keyPair(Kind.EC_P384).getPublic());
    assertRejected(TestJson.bytes(bundle(a, b)), InvalidBundleException.DUPLICATE_KID);
  }

  @Test
  void jwtEntries_sameKeyTwiceUnderOneKid_isRejected() {
    Map<String, Object> a = jwtJwk("same", TestAuthorities.keyPair(Kind.EC_P256).getPublic());
    assertRejected(TestJson.bytes(bundle(a, a)), InvalidBundleException.DUPLICATE_KID);
  }

  @Test
  void jwtEntries_duplicateKidOfIgnoredEntry_isNotADuplicate() {
    Map<String, Object> ignored = jwtJwk("same", TestAuthorities.keyPair(Kind.ED25519).getPublic());
    Map<String, Object> kept = jwtJwk("same", TestAuthorities.keyPair(Kind.EC_P256).getPublic());
    SpiffeBundle b = parse(bundle(ignored, kept));
    assertEquals(List.of("same"), List.copyOf(b.jwtAuthorities().keySet()));
  }

  @Test
  void jwtAndX509Entries_sharingAKid_areBothKept() {
    Map<String, Object> x = x509Jwk(other());
    x.put("kid", "k");
    SpiffeBundle b =
        parse(bundle(x, jwtJwk("k", TestAuthorities.keyPair(Kind.EC_P256).getPublic())));
    assertEquals(1, b.x509Authorities().size());
    assertEquals(1, b.jwtAuthorities().size());
  }

  @Test
  void jwtEntries_areSortedByKid() {
    PublicKey k = TestAuthorities.keyPair(Kind.EC_P256).getPublic();
    SpiffeBundle b = parse(bundle(jwtJwk("b", k), jwtJwk("a", k), jwtJwk("c", k)));
    assertEquals(List.of("a", "b", "c"), List.copyOf(b.jwtAuthorities().keySet()));
  }

  @Test
  void jwtEntry_withX5c_usesKeyParamsOnly() {
    Map<String, Object> jwk = jwtJwk("k", TestAuthorities.keyPair(Kind.EC_P256).getPublic());
    jwk.put("x5c", arr("garbage"));
    SpiffeBundle b = parse(bundle(jwk));
    assertEquals(1, b.jwtAuthorities().size());
    assertTrue(b.x509Authorities().isEmpty());
  }

  // ---- the spec's Appendix A example ---------------------------------------------------------

  @Test
  void appendixAShapedExample_isAccepted() {
    // Shaped like SPIFFE_Trust_Domain_and_Bundle.md Appendix A, but with a CA whose URI SAN is a
    // valid trust domain ID (spiffe://example.org, no trailing slash: ambiguity A11).
    Issued ca = ca(Kind.EC_P256);
    PublicKey jwtKey = TestAuthorities.keyPair(Kind.EC_P256).getPublic();
    Map<String, Object> x = TestAuthorities.jwkParams(ca.cert().getPublicKey());
    Map<String, Object> j = TestAuthorities.jwkParams(jwtKey);
    String json =
        "{\n"
            + "    \"keys\": [\n"
            + "        {\n"
            + "            \"use\": \"x509-svid\",\n"
            + "            \"kty\": \"EC\",\n"
            + "            \"crv\": \"P-256\",\n"
            + "            \"x\": \""
            + x.get("x")
            + "\",\n"
            + "            \"y\": \""
            + x.get("y")
            + "\",\n"
            + "            \"x5c\": [\n"
            + "                \""
            + ca.base64()
            + "\"\n"
            + "            ]\n"
            + "        },\n"
            + "        {\n"
            + "            \"use\": \"jwt-svid\",\n"
            + "            \"kty\": \"EC\",\n"
            + "            \"kid\": \"C6vs25welZOx6WksNYfbMfiw9l96pMnD\",\n"
            + "            \"crv\": \"P-256\",\n"
            + "            \"x\": \""
            + j.get("x")
            + "\",\n"
            + "            \"y\": \""
            + j.get("y")
            + "\"\n"
            + "        }\n"
            + "    ],\n"
            + "    \"spiffe_sequence\": 1,\n"
            + "    \"spiffe_refresh_hint\": 60\n"
            + "}\n";
    SpiffeBundle b = parseText(json);
    assertEquals(List.of(ca.cert()), b.x509Authorities());
    assertEquals(
        List.of("C6vs25welZOx6WksNYfbMfiw9l96pMnD"), List.copyOf(b.jwtAuthorities().keySet()));
    assertEquals(Optional.of(BigInteger.ONE), b.sequence());
    assertEquals(Optional.of(Duration.ofSeconds(60)), b.refreshHint());
  }

  // ---- helpers -------------------------------------------------------------------------------

  static Arguments row(String name, Issued ca, Consumer<Map<String, Object>> change) {
    Map<String, Object> jwk = x509Jwk(ca);
    change.accept(jwk);
    return Arguments.of(name, jwk);
  }

  static Arguments jwtRow(String name, PublicKey key, Consumer<Map<String, Object>> change) {
    Map<String, Object> jwk = jwtJwk("k", key);
    change.accept(jwk);
    return Arguments.of(name, jwk);
  }

  /** A CA whose base64url form differs from its standard base64 form other than by padding. */
  static Issued base64urlDiffers() {
    for (int i = 0; ; i++) {
      Issued c = ca(Kind.EC_P256, "url-" + i);
      if (c.base64().contains("+") || c.base64().contains("/")) {
        return c;
      }
    }
  }

  /** A CA whose standard base64 form ends in padding. */
  static Issued paddedCa() {
    for (int i = 0; ; i++) {
      Issued c = ca(Kind.EC_P256, "pad-" + i);
      if (c.base64().endsWith("=")) {
        return c;
      }
    }
  }

  static String urlForm(Map<String, Object> jwk) {
    String std = (String) TestJson.asArr(jwk.get("x5c")).get(0);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(Base64.getDecoder().decode(std));
  }

  static String stripPadding(Map<String, Object> jwk) {
    return ((String) TestJson.asArr(jwk.get("x5c")).get(0)).replace("=", "");
  }

  static String mime(byte[] der) {
    return Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
  }

  static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static byte[] flipLastBit(String base64url) {
    byte[] b = Base64.getUrlDecoder().decode(base64url);
    b[b.length - 1] ^= 1;
    return b;
  }

  static byte[] allOnes(int n) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) 0xFF);
    return b;
  }

  static X509Certificate only(SpiffeBundle b) {
    assertEquals(1, b.x509Authorities().size());
    return b.x509Authorities().get(0);
  }
}
