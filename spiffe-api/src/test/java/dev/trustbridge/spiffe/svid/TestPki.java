package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.KeyType;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** A root, an intermediate and a leaf of one trust domain, built with our builders. */
record TestPki(
    TrustDomain trustDomain,
    Clock clock,
    TestCaKey rootKey,
    X509Certificate root,
    TestCaKey intermediateKey,
    X509Certificate intermediate,
    X509Certificate leaf) {

  static final TrustDomain EXAMPLE = TrustDomain.parse("example.org");
  static final TrustDomain OTHER = TrustDomain.parse("other.org");
  static final SpiffeId WORKLOAD = SpiffeId.parse("spiffe://example.org/ns/default/sa/web");

  /** Now, to the second, as a fixed clock: java-spiffe validates at the real current time. */
  static Clock nowClock() {
    return Clock.fixed(Instant.now().truncatedTo(ChronoUnit.SECONDS), ZoneOffset.UTC);
  }

  static TestPki create(TrustDomain td, Clock clock, KeyType root, KeyType inter, KeyType leaf) {
    return create(td, clock, td.equals(EXAMPLE) ? 0 : 10, root, inter, leaf);
  }

  /** Key slots {@code slot}, {@code slot + 1} and {@code slot + 2} hold the three keys. */
  static TestPki create(
      TrustDomain td, Clock clock, int slot, KeyType root, KeyType inter, KeyType leaf) {
    TestCaKey rootKey = TestCaKey.of(root, slot);
    X509Certificate rootCert =
        CaCertificateBuilder.selfSigned(td, rootKey, clock).ttl(Duration.ofDays(365)).build();
    TestCaKey interKey = TestCaKey.of(inter, slot + 1);
    X509Certificate interCert =
        CaCertificateBuilder.intermediate(
                td, interKey.publicKey(), IssuingCa.of(rootCert, rootKey), clock)
            .ttl(Duration.ofDays(30))
            .build();
    X509Certificate leafCert =
        X509SvidBuilder.newBuilder(IssuingCa.of(interCert, interKey), clock)
            .spiffeId(SpiffeId.of(td, WORKLOAD.path()))
            .publicKey(TestKeys.pair(leaf, slot + 2).getPublic())
            .ttl(Duration.ofHours(1))
            .build();
    return new TestPki(td, clock, rootKey, rootCert, interKey, interCert, leafCert);
  }

  static TestPki create(TrustDomain td, Clock clock) {
    return create(td, clock, KeyType.EC_P256, KeyType.EC_P256, KeyType.EC_P256);
  }

  IssuingCa issuingIntermediate() {
    return IssuingCa.of(intermediate, intermediateKey);
  }

  IssuingCa issuingRoot() {
    return IssuingCa.of(root, rootKey);
  }

  List<X509Certificate> chain() {
    return List.of(leaf, intermediate);
  }
}
