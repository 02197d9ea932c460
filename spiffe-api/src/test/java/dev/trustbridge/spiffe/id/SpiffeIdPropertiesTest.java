package dev.trustbridge.spiffe.id;

import static dev.trustbridge.spiffe.id.IdAssertions.trustDomainOfBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Properties of the SPIFFE ID parser over generated input: it fails only with a rule message, what
 * it accepts round-trips exactly, valid IDs always parse, and it is never laxer than java-spiffe.
 */
class SpiffeIdPropertiesTest {
  private static final String TD_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789.-_";
  private static final String PATH_CHARS = TD_CHARS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

  /** Characters a URI may carry that a SPIFFE ID must not, plus a few non-ASCII look-alikes. */
  private static final String BAD_CHARS =
      "~!*[]:@%?#$&'()+,;= \\\"\t\u00e9\u212a\u0131\uff45\ud83d";

  private static final Set<String> RULE_MESSAGES = ruleMessages();

  // ---- never anything but InvalidSpiffeIdException, with a known message ----

  @Property
  void parse_anyUnicodeString_acceptsOrFailsWithARuleMessage(@ForAll("unicode") String input) {
    Statistics.label("outcome").collect(outcome(input));
  }

  @Property
  void parse_uriLikeString_acceptsOrFailsWithARuleMessage(@ForAll("uriLike") String input) {
    Statistics.label("outcome").collect(outcome(input));
    // Guards the generator: without enough accepted inputs the round-trip properties prove little.
    Statistics.label("outcome")
        .coverage(
            c -> {
              c.check("accepted").percentage(p -> p >= 20);
              c.check("rejected").percentage(p -> p >= 20);
            });
  }

  @Property
  void trustDomainParse_anyString_acceptsOrFailsWithARuleMessage(
      @ForAll("trustDomainLike") String input) {
    try {
      assertEquals(input, TrustDomain.parse(input).name());
      Statistics.label("outcome").collect("accepted");
    } catch (InvalidSpiffeIdException e) {
      assertKnownRule(e);
      Statistics.label("outcome").collect(e.getMessage());
    }
  }

  // ---- whatever parses round-trips exactly ----

  @Property
  void parse_acceptedString_roundTripsExactly(@ForAll("uriLikeOrUnicode") String input) {
    SpiffeId id = parseOrNull(input);
    if (id == null) {
      return;
    }
    assertEquals(input, id.toString());
    SpiffeId again = SpiffeId.parse(id.toString());
    assertEquals(id, again);
    assertEquals(id.hashCode(), again.hashCode());
    assertEquals(0, id.compareTo(again));
    assertEquals(id, SpiffeId.of(id.trustDomain(), id.path()));
  }

  // ---- our parser is at least as strict as java-spiffe ----

  @Property
  void parse_acceptedString_isAcceptedByJavaSpiffe(@ForAll("uriLikeOrUnicode") String input) {
    SpiffeId id = parseOrNull(input);
    if (id == null) {
      return;
    }
    io.spiffe.spiffeid.SpiffeId theirs;
    try {
      theirs = io.spiffe.spiffeid.SpiffeId.parse(input);
    } catch (RuntimeException e) {
      throw new AssertionError("we accept but java-spiffe rejects [" + input + "]", e);
    }
    assertEquals(input, theirs.toString());
    assertEquals(id.path(), theirs.getPath());
  }

  @Property
  void trustDomainParse_acceptedName_isAcceptedByJavaSpiffe(
      @ForAll("trustDomainLike") String input) {
    TrustDomain td;
    try {
      td = TrustDomain.parse(input);
    } catch (InvalidSpiffeIdException e) {
      return;
    }
    assertEquals(input, io.spiffe.spiffeid.TrustDomain.parse(input).getName());
    assertEquals(input, td.toJavaSpiffe().getName());
  }

  // ---- IDs built from the valid alphabets always parse ----

  @Property
  void parse_generatedValidId_isAccepted(@ForAll("validIds") GeneratedId generated) {
    SpiffeId id = SpiffeId.parse(generated.text());

    assertEquals(generated.trustDomain(), id.trustDomain().name());
    assertEquals(generated.path(), id.path());
    assertEquals(generated.text(), id.toString());
    assertEquals(
        id,
        SpiffeId.fromSegments(
            TrustDomain.parse(generated.trustDomain()),
            generated.segments().toArray(new String[0])));
    assertEquals(generated.text(), id.toJavaSpiffe().toString());
  }

  @Property
  void parse_validIdWithOneForbiddenCharInserted_isRejected(
      @ForAll("validIds") GeneratedId generated,
      @ForAll("forbiddenChars") char bad,
      @ForAll @IntRange(min = 0, max = 1000) int where) {
    // Anywhere after "spiffe://", a character outside [a-zA-Z0-9._-/] breaks some rule.
    String text = generated.text();
    int at = "spiffe://".length() + where % (text.length() - "spiffe://".length() + 1);
    String broken = text.substring(0, at) + bad + text.substring(at);

    InvalidSpiffeIdException e =
        assertThrows(InvalidSpiffeIdException.class, () -> SpiffeId.parse(broken));
    assertKnownRule(e);
  }

  @Property
  void parse_validIdWithUppercaseTrustDomainChar_isRejectedAsUppercase(
      @ForAll("validIds") GeneratedId generated, @ForAll @IntRange(min = 0, max = 1000) int where) {
    String td = generated.trustDomain();
    int at = where % (td.length() + 1);
    String upper = td.substring(0, at) + "Q" + td.substring(at);

    InvalidSpiffeIdException e =
        assertThrows(
            InvalidSpiffeIdException.class,
            () -> SpiffeId.parse("spiffe://" + upper + generated.path()));
    assertEquals(SpiffeIdRules.TD_UPPERCASE, e.getMessage());
  }

  // ---- hasPrefix is segment-aligned ----

  @Property
  void hasPrefix_everyLeadingRunOfSegments_isAPrefix(@ForAll("validIds") GeneratedId generated) {
    SpiffeId id = SpiffeId.parse(generated.text());
    TrustDomain td = id.trustDomain();
    List<String> segments = generated.segments();

    for (int n = 0; n <= segments.size(); n++) {
      SpiffeId ancestor = SpiffeId.fromSegments(td, segments.subList(0, n).toArray(new String[0]));
      assertTrue(id.hasPrefix(ancestor), ancestor + " should be a prefix of " + id);
      assertEquals(n == segments.size(), ancestor.hasPrefix(id));
    }
  }

  @Property
  void hasPrefix_lastSegmentExtended_isNotAPrefix(
      @ForAll("validIds") GeneratedId generated, @ForAll("pathChar") char extra) {
    if (generated.segments().isEmpty()) {
      return;
    }
    SpiffeId id = SpiffeId.parse(generated.text());
    SpiffeId extended = SpiffeId.parse(generated.text() + extra);

    assertFalse(extended.hasPrefix(id), id + " must not be a prefix of " + extended);
    assertFalse(id.hasPrefix(extended));
  }

  // ---- length limits (§2.3, A2) ----

  @Property(tries = 200)
  void parse_validIdOfAnyLength_isAcceptedIffAtMost2048Bytes(
      @ForAll @IntRange(min = 1, max = 255) int tdBytes,
      @ForAll @IntRange(min = 1900, max = 2200) int idBytes) {
    TrustDomain td = TrustDomain.parse(trustDomainOfBytes(tdBytes));
    String path = pathOfBytes(idBytes - "spiffe://".length() - tdBytes);
    String text = "spiffe://" + td.name() + path;
    assertEquals(idBytes, text.length());

    if (idBytes <= SpiffeIdRules.MAX_ID_BYTES) {
      assertEquals(text, SpiffeId.parse(text).toString());
      assertEquals(text, SpiffeId.of(td, path).toString());
    } else {
      assertEquals(
          SpiffeIdRules.TOO_LONG,
          assertThrows(InvalidSpiffeIdException.class, () -> SpiffeId.parse(text)).getMessage());
      assertEquals(
          SpiffeIdRules.TOO_LONG,
          assertThrows(InvalidSpiffeIdException.class, () -> SpiffeId.of(td, path)).getMessage());
    }
  }

  @Property(tries = 200)
  void trustDomainParse_nameOfAnyLength_isAcceptedIffAtMost255Bytes(
      @ForAll @IntRange(min = 200, max = 300) int tdBytes) {
    String name = trustDomainOfBytes(tdBytes);

    if (tdBytes <= SpiffeIdRules.MAX_TRUST_DOMAIN_BYTES) {
      assertEquals(name, TrustDomain.parse(name).name());
      assertEquals(name, SpiffeId.parse("spiffe://" + name + "/x").trustDomain().name());
    } else {
      assertEquals(
          SpiffeIdRules.TD_TOO_LONG,
          assertThrows(InvalidSpiffeIdException.class, () -> TrustDomain.parse(name)).getMessage());
      assertEquals(
          SpiffeIdRules.TD_TOO_LONG,
          assertThrows(
                  InvalidSpiffeIdException.class, () -> SpiffeId.parse("spiffe://" + name + "/x"))
              .getMessage());
    }
  }

  // ---- generators ----

  /** A valid ID as generated: the text and the parts it was built from. */
  record GeneratedId(String trustDomain, List<String> segments) {
    String path() {
      return segments.stream().map(s -> "/" + s).collect(Collectors.joining());
    }

    String text() {
      return "spiffe://" + trustDomain + path();
    }
  }

  @Provide
  Arbitrary<GeneratedId> validIds() {
    Arbitrary<String> trustDomains =
        Arbitraries.strings().withChars(TD_CHARS).ofMinLength(1).ofMaxLength(40);
    Arbitrary<String> segments =
        Arbitraries.strings()
            .withChars(PATH_CHARS)
            .ofMinLength(1)
            .ofMaxLength(12)
            .filter(s -> !s.equals(".") && !s.equals(".."));
    return Combinators.combine(trustDomains, segments.list().ofMaxSize(6)).as(GeneratedId::new);
  }

  /** Arbitrary unicode (lone surrogates included), bare or behind a valid-looking prefix. */
  @Provide
  Arbitrary<String> unicode() {
    Arbitrary<String> any = Arbitraries.strings().all().ofMaxLength(40);
    return Arbitraries.oneOf(
        List.of(any, any.map(s -> "spiffe://" + s), any.map(s -> "spiffe://example.org/" + s)));
  }

  /**
   * {@code spiffe://}, a trust domain and path segments made of mostly valid characters, with now
   * and then a bad character, an uppercase trust domain letter or an empty segment.
   */
  @Provide
  Arbitrary<String> uriLike() {
    Arbitrary<String> trustDomain = mostlyFrom(TD_CHARS, "ABZ/" + BAD_CHARS, 20);
    Arbitrary<String> path =
        mostlyFrom(PATH_CHARS, BAD_CHARS, 10)
            .list()
            .ofMaxSize(5)
            .map(segments -> segments.stream().map(seg -> "/" + seg).collect(Collectors.joining()));
    return Combinators.combine(trustDomain, path).as((td, p) -> "spiffe://" + td + p);
  }

  /** Strings of up to {@code maxLength} chars, about 1 in 60 of them from {@code rare}. */
  private static Arbitrary<String> mostlyFrom(String common, String rare, int maxLength) {
    Arbitrary<Character> chars =
        Arbitraries.frequencyOf(
            List.of(
                Tuple.of(60, Arbitraries.chars().with(common)),
                Tuple.of(1, Arbitraries.chars().with(rare))));
    return chars
        .list()
        .ofMaxSize(maxLength)
        .map(list -> list.stream().map(String::valueOf).collect(Collectors.joining()));
  }

  @Provide
  Arbitrary<String> uriLikeOrUnicode() {
    return Arbitraries.oneOf(List.of(uriLike(), uriLike(), unicode()));
  }

  @Provide
  Arbitrary<String> trustDomainLike() {
    return Arbitraries.oneOf(
        List.of(
            mostlyFrom(TD_CHARS, "ABZ/" + BAD_CHARS, 30),
            Arbitraries.strings().all().ofMaxLength(30)));
  }

  /** Any char outside {@code [a-zA-Z0-9._-/]}. */
  @Provide
  Arbitrary<Character> forbiddenChars() {
    return Arbitraries.oneOf(
        List.of(
            Arbitraries.chars().with(BAD_CHARS + "\u0000\u007f\u00a0\u00ad"),
            Arbitraries.chars().all().filter(c -> PATH_CHARS.indexOf(c) < 0 && c != '/')));
  }

  @Provide
  Arbitrary<Character> pathChar() {
    return Arbitraries.chars().with(PATH_CHARS);
  }

  // ---- helpers ----

  private static String outcome(String input) {
    return parseOrNull(input) == null ? "rejected" : "accepted";
  }

  /** Parses, or returns null if the input is rejected with a known rule message. */
  private static SpiffeId parseOrNull(String input) {
    try {
      return SpiffeId.parse(input);
    } catch (InvalidSpiffeIdException e) {
      assertKnownRule(e);
      return null;
    }
  }

  private static void assertKnownRule(InvalidSpiffeIdException e) {
    if (!RULE_MESSAGES.contains(e.getMessage())) {
      fail("not a SpiffeIdRules message: " + e.getMessage());
    }
  }

  private static String pathOfBytes(int bytes) {
    StringBuilder path = new StringBuilder();
    while (path.length() < bytes) {
      path.append(path.length() % 50 == 0 ? '/' : 'p');
    }
    // Never end on '/': that would be a trailing slash.
    if (path.charAt(bytes - 1) == '/') {
      path.setCharAt(bytes - 1, 'q');
      path.setCharAt(bytes - 2, '/');
    }
    return path.toString();
  }

  private static Set<String> ruleMessages() {
    return Arrays.stream(SpiffeIdRules.class.getFields())
        .filter(f -> Modifier.isStatic(f.getModifiers()) && f.getType() == String.class)
        .map(SpiffeIdPropertiesTest::constantValue)
        .collect(Collectors.toUnmodifiableSet());
  }

  private static String constantValue(Field field) {
    try {
      return (String) field.get(null);
    } catch (IllegalAccessException e) {
      throw new AssertionError(e);
    }
  }
}
