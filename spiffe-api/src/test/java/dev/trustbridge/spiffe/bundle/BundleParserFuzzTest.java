package dev.trustbridge.spiffe.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.bundle.TestAuthorities.Kind;
import dev.trustbridge.spiffe.bundle.TestJson.Raw;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Random bytes, random strings and random JSON (including bundle-shaped documents whose {@code
 * keys} hold random JWK-ish objects) never make a parser throw anything but {@link
 * InvalidBundleException} with one of its documented messages; and whatever parses, writes and
 * parses back to an equal value.
 */
class BundleParserFuzzTest {
  static final TrustDomain TD = TrustDomain.parse("example.org");
  static final Set<String> MESSAGES = messages();

  private static final List<Object> VALID_PARAMS = new ArrayList<>();
  private static final List<String> CERTS_B64 = new ArrayList<>();
  private static final List<Map<String, Object>> VALID_JWKS = new ArrayList<>();

  static {
    for (Kind kind :
        List.of(Kind.EC_P256, Kind.EC_P384, Kind.EC_P521, Kind.RSA_2048, Kind.ED25519)) {
      TestAuthorities.Issued ca = TestAuthorities.ca(kind);
      CERTS_B64.add(ca.base64());
      VALID_PARAMS.addAll(TestAuthorities.jwkParams(ca.cert().getPublicKey()).values());
      VALID_JWKS.add(TestAuthorities.x509Jwk(ca));
      VALID_JWKS.add(TestAuthorities.jwtJwk("k-" + kind, ca.keys().getPublic()));
      VALID_JWKS.add(TestAuthorities.jwtJwk("same", ca.keys().getPublic()));
    }
    CERTS_B64.add(TestAuthorities.leaf().base64());
  }

  static Set<String> messages() {
    Set<String> s = new HashSet<>();
    for (Field f : InvalidBundleException.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        try {
          s.add((String) f.get(null));
        } catch (IllegalAccessException e) {
          throw new AssertionError(e);
        }
      }
    }
    return s;
  }

  static void assertDocumentedMessage(String message) {
    String m = message;
    if (m.startsWith("trust domain ") && m.contains(": ")) {
      m = m.substring(m.indexOf(": ") + 2);
    }
    assertTrue(MESSAGES.contains(m), "undocumented message: " + message);
  }

  /**
   * Parses with all three readers; only InvalidBundleException may escape, and round trips hold.
   */
  static void parseAll(byte[] input) {
    try {
      SpiffeBundle b = SpiffeBundleCodec.parse(TD, input);
      assertEquals(b, SpiffeBundleCodec.parse(TD, SpiffeBundleCodec.write(b)));
    } catch (InvalidBundleException e) {
      assertDocumentedMessage(e.getMessage());
    }
    try {
      BundleSet s = SpiffeBundleMapCodec.parse(input);
      assertEquals(s, SpiffeBundleMapCodec.parse(SpiffeBundleMapCodec.write(s)));
    } catch (InvalidBundleException e) {
      assertDocumentedMessage(e.getMessage());
    }
    try {
      PemBundles.readBundle(TD, input);
    } catch (InvalidBundleException e) {
      assertDocumentedMessage(e.getMessage());
    }
  }

  @Property(tries = 500, edgeCases = EdgeCasesMode.MIXIN)
  void randomBytes_onlyInvalidBundleException(@ForAll byte[] bytes) {
    parseAll(bytes);
  }

  @Property(tries = 500, edgeCases = EdgeCasesMode.MIXIN)
  void randomStrings_onlyInvalidBundleException(@ForAll String text) {
    parseAll(text.getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 500, edgeCases = EdgeCasesMode.MIXIN)
  void randomJson_onlyInvalidBundleException(@ForAll("json") String json) {
    parseAll(json.getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 1000, edgeCases = EdgeCasesMode.MIXIN)
  void randomBundleShapedJson_onlyInvalidBundleException(@ForAll("bundleDocs") Object doc) {
    byte[] bytes = TestJson.bytes(doc);
    parseAll(bytes);
    // Shows in the jqwik report that the generator reaches accepted keys, not only rejections.
    try {
      SpiffeBundle b = SpiffeBundleCodec.parse(TD, bytes);
      Statistics.label("outcome")
          .collect(b.isEffectivelyEmpty() ? "accepted, empty" : "accepted with keys");
    } catch (InvalidBundleException e) {
      Statistics.label("outcome").collect("rejected");
    }
  }

  @Property(tries = 300, edgeCases = EdgeCasesMode.MIXIN)
  void randomBundleMapShapedJson_onlyInvalidBundleException(@ForAll("bundleMapDocs") Object doc) {
    parseAll(TestJson.bytes(doc));
  }

  // ---- generators ----------------------------------------------------------------------------

  @Provide
  Arbitrary<String> json() {
    Arbitrary<String> leaf =
        Arbitraries.oneOf(
            Arbitraries.strings().ofMaxLength(10).map(TestJson::write),
            Arbitraries.bigIntegers()
                .between(BigInteger.TWO.pow(70).negate(), BigInteger.TWO.pow(70))
                .map(String::valueOf),
            Arbitraries.doubles()
                .map(String::valueOf)
                .filter(d -> !d.contains("N") && !d.contains("I")),
            Arbitraries.of("true", "false", "null", "[]", "{}", "1e999", "-0", "\"\\ud800\""));
    return Arbitraries.recursive(
        () -> leaf,
        inner ->
            Arbitraries.oneOf(
                inner.list().ofMaxSize(4).map(l -> "[" + String.join(",", l) + "]"),
                Arbitraries.maps(
                        Arbitraries.of(
                                "keys",
                                "trust_domains",
                                "use",
                                "kty",
                                "x5c",
                                "spiffe_sequence",
                                "a.example")
                            .map(TestJson::write),
                        inner)
                    .ofMaxSize(4)
                    .map(BundleParserFuzzTest::object)),
        0,
        6);
  }

  private static String object(Map<String, String> members) {
    List<String> parts = new ArrayList<>();
    members.forEach((k, v) -> parts.add(k + ":" + v));
    return "{" + String.join(",", parts) + "}";
  }

  @Provide
  Arbitrary<Object> bundleDocs() {
    Arbitrary<Object> keys =
        Arbitraries.frequencyOf(
            Tuple.of(8, jwk().list().ofMaxSize(5).map(l -> (Object) new ArrayList<Object>(l))),
            Tuple.of(1, anyValue()));
    Arbitrary<Object> sequence =
        Arbitraries.oneOf(
            Arbitraries.bigIntegers()
                .between(BigInteger.ZERO, SpiffeBundle.MAX_SEQUENCE)
                .map(x -> (Object) x),
            Arbitraries.bigIntegers()
                .between(BigInteger.TWO.pow(65).negate(), BigInteger.TWO.pow(65))
                .edgeCases(c -> c.includeOnly(SpiffeBundle.MAX_SEQUENCE, BigInteger.TWO.pow(64)))
                .map(x -> (Object) x),
            anyValue());
    return Combinators.combine(keys, sequence, anyValue(), Arbitraries.integers().between(0, 15))
        .as(
            (k, seq, hint, flags) -> {
              Map<String, Object> doc = new LinkedHashMap<>();
              if ((flags & 1) == 0) {
                doc.put("keys", k);
              }
              if ((flags & 2) != 0) {
                doc.put("spiffe_sequence", seq);
              }
              if ((flags & 4) != 0) {
                doc.put("spiffe_refresh_hint", hint);
              }
              if ((flags & 8) != 0) {
                doc.put("refresh_hint", hint);
              }
              return (Object) doc;
            });
  }

  @Provide
  Arbitrary<Object> bundleMapDocs() {
    Arbitrary<String> names =
        Arbitraries.oneOf(
            Arbitraries.of("a.example", "b.example", "A.example", "", "spiffe://a.example", "a:1"),
            Arbitraries.strings().ofMaxLength(8));
    return Arbitraries.maps(names, bundleDocs())
        .ofMaxSize(3)
        .map(m -> (Object) TestJson.obj("trust_domains", new LinkedHashMap<String, Object>(m)));
  }

  Arbitrary<Object> jwk() {
    Map<String, Supplier<Arbitrary<Object>>> members = new LinkedHashMap<>();
    members.put("use", () -> pick("x509-svid", "jwt-svid", "X509-SVID", "wit-svid", "", 1));
    members.put("kty", () -> pick("EC", "RSA", "OKP", "oct", "ec", false));
    members.put(
        "kid",
        () ->
            Arbitraries.oneOf(
                pick("k", "", "kid-1", 3),
                Arbitraries.strings().ofMaxLength(4).map(s -> (Object) s)));
    members.put("crv", () -> pick("P-256", "P-384", "P-521", "Ed25519", "X25519", "secp256k1"));
    for (String p : List.of("x", "y", "n", "e")) {
      members.put(p, this::param);
    }
    members.put("x5c", this::x5c);
    List<Arbitrary<Object>> perMember = new ArrayList<>();
    List<String> names = new ArrayList<>(members.keySet());
    for (String name : names) {
      perMember.add(Arbitraries.oneOf(members.get(name).get(), Arbitraries.just(ABSENT)));
    }
    Arbitrary<Object> object =
        Combinators.combine(perMember)
            .as(
                values -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  for (int i = 0; i < names.size(); i++) {
                    if (values.get(i) != ABSENT) {
                      m.put(names.get(i), values.get(i));
                    }
                  }
                  return (Object) m;
                });
    return Arbitraries.frequencyOf(
        Tuple.of(4, object), Tuple.of(5, mutatedValidJwk()), Tuple.of(1, anyValue()));
  }

  /** A valid JWK with zero to two members removed or replaced, so that many entries are usable. */
  Arbitrary<Object> mutatedValidJwk() {
    Arbitrary<String> member =
        Arbitraries.of("use", "kty", "kid", "crv", "x", "y", "n", "e", "x5c", "alg");
    Arbitrary<Object> replacement =
        Arbitraries.oneOf(
            anyValue(),
            param(),
            x5c(),
            Arbitraries.just(ABSENT),
            pick("EC", "RSA", "OKP", "x509-svid", "jwt-svid"));
    Arbitrary<List<Tuple.Tuple2<String, Object>>> mutations =
        Combinators.combine(member, replacement).as(Tuple::of).list().ofMaxSize(2);
    return Combinators.combine(Arbitraries.of(VALID_JWKS), mutations)
        .as(
            (base, changes) -> {
              Map<String, Object> m = new LinkedHashMap<>(base);
              for (Tuple.Tuple2<String, Object> c : changes) {
                if (c.get2() == ABSENT) {
                  m.remove(c.get1());
                } else {
                  m.put(c.get1(), c.get2());
                }
              }
              return (Object) m;
            });
  }

  private static final Object ABSENT = new Object();

  Arbitrary<Object> param() {
    return Arbitraries.oneOf(
        Arbitraries.of(VALID_PARAMS),
        Arbitraries.strings().withChars("ABCxyz019-_=+/").ofMaxLength(100).map(s -> (Object) s),
        pick("AQAB", "", 0, "Ag"));
  }

  Arbitrary<Object> x5c() {
    Arbitrary<Object> value =
        Arbitraries.oneOf(
            Arbitraries.of(CERTS_B64).map(s -> (Object) s),
            Arbitraries.strings().withChars("ABCxyz019+/=-_").ofMaxLength(40).map(s -> (Object) s),
            pick(1, "", "!!"));
    return Arbitraries.oneOf(
        value.list().ofMaxSize(3).map(l -> (Object) new ArrayList<Object>(l)), value);
  }

  Arbitrary<Object> anyValue() {
    return Arbitraries.oneOf(
        pick("s", 1, -1, true, new Raw("null"), new Raw("1.5"), new Raw("[]"), new Raw("{}")),
        Arbitraries.bigIntegers()
            .between(BigInteger.valueOf(-1000), BigInteger.valueOf(1000))
            .map(x -> (Object) x));
  }

  static Arbitrary<Object> pick(Object... values) {
    return Arbitraries.of(values);
  }
}
