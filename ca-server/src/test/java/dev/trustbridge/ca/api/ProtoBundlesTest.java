package dev.trustbridge.ca.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.trustbridge.proto.ca.v1.TrustBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.math.BigInteger;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The per-trust-domain reuse of encoded bundles never returns another bundle's message. */
class ProtoBundlesTest {
  private static final TrustDomain TD = TrustDomain.parse("protobundles.example");

  @Test
  void sameBundleInstance_reusesTheMessage_andANewBundleIsEncodedAfresh() {
    SpiffeBundle first = SpiffeBundle.empty(TD).withSequence(BigInteger.ONE);
    TrustBundle encoded = ProtoBundles.toProto(first);
    assertSame(encoded, ProtoBundles.toProto(first));
    assertEquals(1, encoded.getSequence());

    SpiffeBundle next = first.withSequence(BigInteger.TWO).withRefreshHint(Duration.ofMinutes(1));
    TrustBundle nextEncoded = ProtoBundles.toProto(next);
    assertNotSame(encoded, nextEncoded);
    assertEquals(2, nextEncoded.getSequence());
    assertEquals(
        SpiffeBundleCodec.write(next).length, nextEncoded.getSpiffeBundle().size(), "JSON of next");

    // An older instance asked for again (a racing reader) gets its own content, not the cached one.
    assertEquals(1, ProtoBundles.toProto(first).getSequence());
  }
}
