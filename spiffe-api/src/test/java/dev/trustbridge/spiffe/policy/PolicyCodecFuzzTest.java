package dev.trustbridge.spiffe.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
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
 * Random bytes, random strings, random JSON and mutated policy documents never make {@link
 * PolicyCodec#parse} throw anything but a {@link PolicyException} whose detail is one of its
 * documented constants; whatever parses writes and parses back to an equal policy.
 */
class PolicyCodecFuzzTest {
  private static final List<Pattern> DETAILS = details();

  /** Each message constant as a regular expression, {@code %s} standing for any text. */
  private static List<Pattern> details() {
    List<Pattern> details = new ArrayList<>();
    for (Field f : PolicyException.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        try {
          String template = (String) f.get(null);
          StringBuilder regex = new StringBuilder();
          String[] parts = template.split("%s", -1);
          for (int i = 0; i < parts.length; i++) {
            regex.append(i == 0 ? "" : ".*").append(Pattern.quote(parts[i]));
          }
          details.add(Pattern.compile(regex.toString(), Pattern.DOTALL));
        } catch (IllegalAccessException e) {
          throw new AssertionError(e);
        }
      }
    }
    return details;
  }

  private static String parseOutcome(byte[] input) {
    try {
      Policy p = PolicyCodec.parse(input);
      assertEquals(p, PolicyCodec.parse(PolicyCodec.write(p)));
      return "accepted";
    } catch (PolicyException e) {
      assertTrue(
          DETAILS.stream().anyMatch(d -> d.matcher(e.detail()).matches()),
          "undocumented message: " + e.getMessage());
      assertEquals(
          e.location().isEmpty() ? e.detail() : e.location() + ": " + e.detail(), e.getMessage());
      return "rejected";
    }
  }

  @Property(tries = 500, edgeCases = EdgeCasesMode.MIXIN)
  void randomBytes_onlyPolicyException(@ForAll byte[] bytes) {
    parseOutcome(bytes);
  }

  @Property(tries = 500, edgeCases = EdgeCasesMode.MIXIN)
  void randomStrings_onlyPolicyException(@ForAll String text) {
    parseOutcome(text.getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 500, edgeCases = EdgeCasesMode.MIXIN)
  void randomJson_onlyPolicyException(@ForAll("json") String json) {
    parseOutcome(json.getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 1000)
  void mutatedPolicyDocuments_onlyPolicyException(@ForAll("mutatedPolicies") String json) {
    Statistics.label("outcome").collect(parseOutcome(json.getBytes(StandardCharsets.UTF_8)));
    Statistics.label("outcome")
        .coverage(
            c -> {
              c.check("accepted").percentage(p -> p >= 10);
              c.check("rejected").percentage(p -> p >= 10);
            });
  }

  // ---- generators ----

  private static final List<String> NAMES =
      List.of(
          "version", "grants", "exposures", "allow_rules", "local", "peer", "peers", "name", "x");

  @Provide
  Arbitrary<String> json() {
    Arbitrary<String> leaf =
        Arbitraries.oneOf(
            Arbitraries.strings().ofMaxLength(10).map(PolicyCodecFuzzTest::jsonString),
            Arbitraries.longs().map(String::valueOf),
            Arbitraries.of(
                "true",
                "false",
                "null",
                "[]",
                "{}",
                "1e999",
                "-0",
                "1.5",
                "\"\\ud800\"",
                "\"spiffe://a.example/*\"",
                "\"b.example\"",
                "99999999999999999999"));
    return Arbitraries.recursive(
        () -> leaf,
        inner ->
            Arbitraries.oneOf(
                inner.list().ofMaxSize(4).map(l -> "[" + String.join(",", l) + "]"),
                Arbitraries.maps(Arbitraries.of(NAMES).map(PolicyCodecFuzzTest::jsonString), inner)
                    .ofMaxSize(4)
                    .map(PolicyCodecFuzzTest::object)),
        0,
        5);
  }

  /**
   * A valid written policy with up to three textual mutations: a value replaced by another
   * value-like token, a member name replaced, or a span deleted or duplicated.
   */
  @Provide
  Arbitrary<String> mutatedPolicies() {
    Arbitrary<String> valid =
        PolicyGenerators.policies()
            .map(p -> new String(PolicyCodec.write(p), StandardCharsets.UTF_8));
    Arbitrary<String> token =
        Arbitraries.of(
            "\"spiffe://a.example/ns/pay*\"",
            "\"spiffe://a.example\"",
            "\"spiffe://A.example/x\"",
            "\"b.example:1\"",
            "\"a rule\"",
            "\"\"",
            "[]",
            "{}",
            "-1",
            "1.0",
            "null",
            "\"version\"",
            "\"peers\"",
            ",",
            "\"x\":1,");
    Arbitrary<Tuple.Tuple3<Integer, Integer, String>> mutation =
        Combinators.combine(
                Arbitraries.integers().between(0, 10_000),
                Arbitraries.integers().between(0, 12),
                token)
            .as(Tuple::of);
    return Combinators.combine(valid, mutation.list().ofMaxSize(3))
        .as(
            (doc, mutations) -> {
              String s = doc;
              for (Tuple.Tuple3<Integer, Integer, String> m : mutations) {
                int at = m.get1() % (s.length() + 1);
                int end = Math.min(s.length(), at + m.get2());
                s = s.substring(0, at) + m.get3() + s.substring(end);
              }
              return s;
            });
  }

  private static String jsonString(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  private static String object(Map<String, String> members) {
    List<String> parts = new ArrayList<>();
    members.forEach((k, v) -> parts.add(k + ":" + v));
    return "{" + String.join(",", parts) + "}";
  }
}
