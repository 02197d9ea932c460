package dev.trustbridge.spiffe.svid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.KeyType;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Any valid non-root SPIFFE ID and lifetime yields a leaf both faces of the profile accept. */
class X509SvidBuilderPropertyTest {
  private static final Clock CLOCK = TestPki.nowClock();
  private static final TestPki PKI = TestPki.create(TestPki.EXAMPLE, CLOCK);

  @Provide
  Arbitrary<List<String>> segments() {
    return Arbitraries.strings()
        .withChars("abcXYZ0189.-_")
        .ofMinLength(1)
        .ofMaxLength(12)
        .filter(s -> !s.equals(".") && !s.equals(".."))
        .list()
        .ofMinSize(1)
        .ofMaxSize(6);
  }

  @Property(tries = 60)
  void anyValidLeafId_buildsALeafThatPassesProducerAndConsumerChecks(
      @ForAll("segments") List<String> segments, @ForAll("lifetimes") Duration ttl) {
    SpiffeId id = SpiffeId.fromSegments(TestPki.EXAMPLE, segments.toArray(String[]::new));
    X509Certificate leaf =
        X509SvidBuilder.newBuilder(PKI.issuingIntermediate(), CLOCK)
            .spiffeId(id)
            .publicKey(TestKeys.pair(KeyType.EC_P256, 60).getPublic())
            .ttl(ttl)
            .build();
    assertEquals(id, X509SvidProfileChecker.checkLeaf(leaf, PKI.intermediate()));
    assertEquals(
        id,
        new X509SvidVerifier(td -> Optional.of(List.of(PKI.root())), CLOCK)
            .verify(List.of(leaf, PKI.intermediate()))
            .spiffeId());
    assertTrue(!leaf.getNotAfter().after(PKI.intermediate().getNotAfter()));
  }

  @Provide
  Arbitrary<Duration> lifetimes() {
    return Arbitraries.longs().between(1, 5_000_000_000L).map(Duration::ofSeconds);
  }
}
