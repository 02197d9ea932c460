package dev.trustbridge.spiffe.id;

import static dev.trustbridge.spiffe.id.IdAssertions.idOfBytes;
import static dev.trustbridge.spiffe.id.IdAssertions.trustDomainOfBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Comparisons between IDs: prefix, membership, equality, ordering and the java-spiffe edge. */
class SpiffeIdRelationsTest {

  @ParameterizedTest(name = "[{0}] hasPrefix [{1}] = {2}")
  @CsvSource({
    // same trust domain, segment-aligned ancestors
    "spiffe://td/ns/pay/sa/x,   spiffe://td/ns/pay,      true",
    "spiffe://td/ns/pay/sa/x,   spiffe://td/ns,          true",
    "spiffe://td/ns/pay,        spiffe://td/ns/pay,      true",
    // the trust domain ID is a prefix of everything in its trust domain
    "spiffe://td/ns/pay/sa/x,   spiffe://td,             true",
    "spiffe://td,               spiffe://td,             true",
    // string prefixes that are not segment-aligned
    "spiffe://td/ns/payments,   spiffe://td/ns/pay,      false",
    "spiffe://td/ns/pay.x,      spiffe://td/ns/pay,      false",
    "spiffe://td/ns/pay-x/y,    spiffe://td/ns/pay,      false",
    "spiffe://td/ns/pay_,       spiffe://td/ns/pay,      false",
    // descendants are not prefixes of their ancestors
    "spiffe://td/ns/pay,        spiffe://td/ns/pay/sa,   false",
    "spiffe://td,               spiffe://td/ns,          false",
    // paths are case-sensitive
    "spiffe://td/NS/pay,        spiffe://td/ns,          false",
    // another trust domain is never a prefix, not even one that is a string prefix
    "spiffe://td/ns/pay,        spiffe://other/ns/pay,   false",
    "spiffe://td/ns/pay,        spiffe://other,          false",
    "spiffe://tdx/ns,           spiffe://td,             false",
    "spiffe://td.evil/ns,       spiffe://td,             false",
    "spiffe://td/ns,            spiffe://td.evil,        false"
  })
  void hasPrefix_holdsOnlyForSegmentAlignedAncestorsInTheSameTrustDomain(
      String id, String prefix, boolean expected) {
    assertEquals(expected, SpiffeId.parse(id).hasPrefix(SpiffeId.parse(prefix)));
  }

  @ParameterizedTest(name = "[{0}] isMemberOf [{1}] = {2}")
  @CsvSource({
    "spiffe://td/ns/web,       td,           true",
    "spiffe://td,              td,           true",
    "spiffe://td/ns/web,       other,        false",
    "spiffe://td.evil/ns/web,  td,           false",
    "spiffe://192.168.0.1/x,   192.168.000.001, false"
  })
  void isMemberOf_holdsOnlyForTheExactTrustDomain(String id, String trustDomain, boolean expected) {
    assertEquals(expected, SpiffeId.parse(id).isMemberOf(TrustDomain.parse(trustDomain)));
  }

  @ParameterizedTest(name = "[{0}] isTrustDomainId = {1}")
  @CsvSource({"spiffe://td, true", "spiffe://td/x, false", "spiffe://td/x/y, false"})
  void isTrustDomainId_holdsOnlyWithoutPath(String id, boolean expected) {
    assertEquals(expected, SpiffeId.parse(id).isTrustDomainId());
  }

  @Test
  void equals_sameString_isEqualWithSameHashCodeAndOrder() {
    SpiffeId a = SpiffeId.parse("spiffe://td/ns/web");
    SpiffeId b = SpiffeId.fromSegments(TrustDomain.parse("td"), "ns", "web");

    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertEquals(0, a.compareTo(b));
  }

  @ParameterizedTest(name = "[{0}] != [{1}]")
  @CsvSource({
    "spiffe://td/ns/web,  spiffe://td/ns/Web",
    "spiffe://td/ns/web,  spiffe://other/ns/web",
    "spiffe://td/ns/web,  spiffe://td/ns",
    "spiffe://td,         spiffe://td/x",
    "spiffe://a/bc,       spiffe://ab/c"
  })
  void equals_differentIds_areNotEqualAndOrdered(String left, String right) {
    SpiffeId a = SpiffeId.parse(left);
    SpiffeId b = SpiffeId.parse(right);

    assertNotEquals(a, b);
    assertNotEquals(b, a);
    assertNotEquals(0, a.compareTo(b));
    assertEquals(Integer.signum(a.compareTo(b)), -Integer.signum(b.compareTo(a)));
  }

  @Test
  void equals_otherTypesAndNull_areNotEqual() {
    SpiffeId id = SpiffeId.parse("spiffe://td/x");

    assertNotEquals(id, null);
    assertNotEquals(id, (Object) "spiffe://td/x");
    assertNotEquals(id, (Object) TrustDomain.parse("td"));
  }

  static Stream<String> validIdsForJavaSpiffe() {
    return Stream.concat(
        SpiffeIdParseTest.validIds().map(arguments -> (String) arguments.get()[0]),
        Stream.of(idOfBytes(2048), "spiffe://" + trustDomainOfBytes(255) + "/x"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validIdsForJavaSpiffe")
  void toJavaSpiffe_validId_roundTripsTheString(String input) {
    SpiffeId id = SpiffeId.parse(input);

    io.spiffe.spiffeid.SpiffeId theirs = id.toJavaSpiffe();

    assertEquals(input, theirs.toString());
    assertEquals(id.trustDomain().name(), theirs.getTrustDomain().getName());
    assertEquals(id.path(), theirs.getPath());
    assertTrue(theirs.memberOf(id.trustDomain().toJavaSpiffe()));
  }

  @Test
  void hasPrefix_null_throwsNullPointerException() {
    SpiffeId id = SpiffeId.parse("spiffe://td/x");

    assertThrows(NullPointerException.class, () -> id.hasPrefix(null));
  }
}
