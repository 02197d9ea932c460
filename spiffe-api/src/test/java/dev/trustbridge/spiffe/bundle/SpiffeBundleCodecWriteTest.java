package dev.trustbridge.spiffe.bundle;

import static dev.trustbridge.spiffe.bundle.TestAuthorities.ca;
import static dev.trustbridge.spiffe.bundle.TestJson.asArr;
import static dev.trustbridge.spiffe.bundle.TestJson.asObj;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.bundle.TestAuthorities.Issued;
import dev.trustbridge.spiffe.bundle.TestAuthorities.Kind;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The producer rules of the bundle document, checked member by member on the written JSON. */
class SpiffeBundleCodecWriteTest {
  static final TrustDomain TD = TrustDomain.parse("example.org");

  static Map<String, Object> written(SpiffeBundle b) {
    return asObj(TestJson.read(SpiffeBundleCodec.write(b)));
  }

  static Map<String, Object> onlyKey(SpiffeBundle b) {
    List<Object> keys = asArr(written(b).get("keys"));
    assertEquals(1, keys.size());
    return asObj(keys.get(0));
  }

  @Test
  void emptyBundle_writesKeysAsEmptyArrayAndNothingElse() {
    Map<String, Object> doc = written(SpiffeBundle.empty(TD));
    assertEquals(List.of("keys"), List.copyOf(doc.keySet()));
    assertEquals(List.of(), doc.get("keys"));
    assertEquals(
        "{\"keys\":[]}",
        new String(SpiffeBundleCodec.write(SpiffeBundle.empty(TD)), StandardCharsets.UTF_8));
  }

  @Test
  void sequenceAndRefreshHint_areWrittenAsIntegers() {
    SpiffeBundle b =
        SpiffeBundle.builder(TD)
            .sequence(SpiffeBundle.MAX_SEQUENCE)
            .refreshHint(Duration.ofMinutes(5))
            .build();
    Map<String, Object> doc = written(b);
    assertEquals(
        List.of("keys", "spiffe_refresh_hint", "spiffe_sequence"), List.copyOf(doc.keySet()));
    assertEquals(new BigInteger("18446744073709551615"), doc.get("spiffe_sequence"));
    assertEquals(BigInteger.valueOf(300), doc.get("spiffe_refresh_hint"));
    String text = new String(SpiffeBundleCodec.write(b), StandardCharsets.UTF_8);
    assertTrue(text.contains("\"spiffe_sequence\":18446744073709551615"), text);
    assertTrue(text.contains("\"spiffe_refresh_hint\":300"), text);
  }

  @Test
  void sequenceAndHint_whenUnset_areOmitted() {
    SpiffeBundle b = SpiffeBundle.builder(TD).addX509Authority(ca(Kind.EC_P256).cert()).build();
    assertEquals(List.of("keys"), List.copyOf(written(b).keySet()));
  }

  @ParameterizedTest
  @EnumSource(
      value = Kind.class,
      names = {"EC_P256", "EC_P384", "EC_P521", "RSA_2048", "ED25519"})
  void x509Authority_isOneJwkWithUseKtyParamsAndOneStandardBase64X5c_andNoKid(Kind kind) {
    Issued ca = ca(kind);
    Map<String, Object> jwk = onlyKey(SpiffeBundle.builder(TD).addX509Authority(ca.cert()).build());

    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("use", "x509-svid");
    expected.putAll(TestAuthorities.jwkParams(ca.cert().getPublicKey()));
    expected.put("x5c", List.of(ca.base64()));
    assertEquals(expected, jwk); // exactly these members: no kid, nothing undefined
    assertEquals(List.copyOf(expected.keySet()), List.copyOf(jwk.keySet()));
    assertFalse(jwk.containsKey("kid"));

    List<Object> x5c = asArr(jwk.get("x5c"));
    assertEquals(1, x5c.size());
    String value = (String) x5c.get(0);
    assertTrue(value.matches("[A-Za-z0-9+/]*={0,2}"), "standard base64 alphabet");
    assertEquals(0, value.length() % 4, "padded");
    assertArrayEquals(ca.der(), Base64.getDecoder().decode(value));
  }

  @Test
  void ecParams_haveFixedLengthCoordinates() throws Exception {
    // Find k such that the x coordinate of k*G has a leading zero byte: it must still be written
    // as 32 bytes. Deterministic: k counts up from 1.
    var curve = org.bouncycastle.asn1.x9.ECNamedCurveTable.getByName("secp256r1");
    var point = curve.getG();
    for (int k = 1; ; k++) {
      var p = point.multiply(BigInteger.valueOf(k)).normalize();
      BigInteger x = p.getAffineXCoord().toBigInteger();
      if (x.bitLength() <= 248) {
        PublicKey key =
            java.security.KeyFactory.getInstance("EC")
                .generatePublic(
                    new java.security.spec.ECPublicKeySpec(
                        new java.security.spec.ECPoint(x, p.getAffineYCoord().toBigInteger()),
                        dev.trustbridge.spiffe.keys.KeyType.namedCurve("secp256r1")));
        Map<String, Object> jwk =
            onlyKey(SpiffeBundle.builder(TD).addJwtAuthority("k", key).build());
        byte[] xBytes = Base64.getUrlDecoder().decode((String) jwk.get("x"));
        assertEquals(32, xBytes.length);
        assertEquals(0, xBytes[0]);
        assertEquals(32, Base64.getUrlDecoder().decode((String) jwk.get("y")).length);
        return;
      }
    }
  }

  @Test
  void rsaParams_areMinimalUnsignedBase64url() {
    PublicKey key = TestAuthorities.keyPair(Kind.RSA_2048).getPublic();
    Map<String, Object> jwk = onlyKey(SpiffeBundle.builder(TD).addJwtAuthority("r", key).build());
    assertEquals("AQAB", jwk.get("e"));
    byte[] n = Base64.getUrlDecoder().decode((String) jwk.get("n"));
    assertEquals(256, n.length, "no leading zero octet on a 2048-bit modulus");
    assertFalse(((String) jwk.get("n")).contains("="));
  }

  @Test
  void jwtAuthority_isJwkWithUseKidKtyAndParams() {
    PublicKey key = TestAuthorities.keyPair(Kind.EC_P384).getPublic();
    Map<String, Object> jwk =
        onlyKey(SpiffeBundle.builder(TD).addJwtAuthority("kid-1", key).build());
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("use", "jwt-svid");
    expected.put("kid", "kid-1");
    expected.putAll(TestAuthorities.jwkParams(key));
    assertEquals(expected, jwk);
    assertEquals(List.copyOf(expected.keySet()), List.copyOf(jwk.keySet()));
    assertFalse(jwk.containsKey("x5c"));
  }

  @Test
  void keys_x509InInsertionOrderThenJwtSortedByKid() {
    PublicKey k = TestAuthorities.keyPair(Kind.EC_P256).getPublic();
    SpiffeBundle b =
        SpiffeBundle.builder(TD)
            .addJwtAuthority("z", k)
            .addX509Authority(ca(Kind.RSA_2048).cert())
            .addJwtAuthority("a", k)
            .addX509Authority(ca(Kind.EC_P256).cert())
            .build();
    List<Object> keys = asArr(written(b).get("keys"));
    assertEquals(4, keys.size());
    assertEquals("RSA", asObj(keys.get(0)).get("kty"));
    assertEquals("EC", asObj(keys.get(1)).get("kty"));
    assertEquals("x509-svid", asObj(keys.get(1)).get("use"));
    assertEquals("a", asObj(keys.get(2)).get("kid"));
    assertEquals("z", asObj(keys.get(3)).get("kid"));
  }

  @Test
  void output_isDeterministic() {
    SpiffeBundle b =
        SpiffeBundle.builder(TD)
            .addX509Authority(ca(Kind.ED25519).cert())
            .addJwtAuthority("k", TestAuthorities.keyPair(Kind.RSA_2048).getPublic())
            .sequence(BigInteger.TEN)
            .build();
    assertArrayEquals(SpiffeBundleCodec.write(b), SpiffeBundleCodec.write(b.toBuilder().build()));
  }

  @Test
  void nonAsciiKid_isWrittenAsUtf8() {
    PublicKey k = TestAuthorities.keyPair(Kind.EC_P256).getPublic();
    SpiffeBundle b = SpiffeBundle.builder(TD).addJwtAuthority("cl\u00e9-\uD83D\uDD11", k).build();
    byte[] out = SpiffeBundleCodec.write(b);
    assertTrue(new String(out, StandardCharsets.UTF_8).contains("cl\u00e9-\uD83D\uDD11"));
    assertEquals(b, SpiffeBundleCodec.parse(TD, out));
  }
}
