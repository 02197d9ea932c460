package dev.trustbridge.federation.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.trustbridge.federation.testing.TestPki;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The scheduling arithmetic: clamping, default, backoff, jitter; and nextPoll with a fixed clock.
 */
class PollingPolicyTest {
  static final PollingPolicy P = PollingPolicy.defaults(); // 30 s .. 1 h, 5 min, ±10%

  static Optional<Duration> hint(long seconds) {
    return Optional.of(Duration.ofSeconds(seconds));
  }

  @Test
  void interval_hintWithinBounds_isUsed() {
    assertEquals(Duration.ofSeconds(600), P.interval(hint(600)));
  }

  @Test
  void interval_hintBelowMinimum_isClampedUp() {
    assertEquals(Duration.ofSeconds(30), P.interval(hint(1)));
  }

  @Test
  void interval_hintAboveMaximum_isClampedDown() {
    assertEquals(Duration.ofHours(1), P.interval(hint(86_400 * 365)));
  }

  @Test
  void interval_noHint_isFiveMinutes() {
    assertEquals(Duration.ofMinutes(5), P.interval(Optional.empty()));
  }

  @Test
  void backoff_doublesPerConsecutiveFailure_cappedAtMaximum() {
    assertEquals(Duration.ofMinutes(5), P.backoff(Optional.empty(), 0));
    assertEquals(Duration.ofMinutes(5), P.backoff(Optional.empty(), 1));
    assertEquals(Duration.ofMinutes(10), P.backoff(Optional.empty(), 2));
    assertEquals(Duration.ofMinutes(20), P.backoff(Optional.empty(), 3));
    assertEquals(Duration.ofMinutes(40), P.backoff(Optional.empty(), 4));
    assertEquals(Duration.ofHours(1), P.backoff(Optional.empty(), 5));
    assertEquals(Duration.ofHours(1), P.backoff(Optional.empty(), Integer.MAX_VALUE));
    assertEquals(Duration.ofSeconds(60), P.backoff(hint(1), 2));
  }

  @Test
  void nextDelay_jitterSpansPlusMinusTenPercent() {
    Optional<Duration> h = hint(1000);
    assertEquals(Duration.ofSeconds(900), P.nextDelay(h, 0, 0.0));
    assertEquals(Duration.ofSeconds(1000), P.nextDelay(h, 0, 0.5));
    assertEquals(Duration.ofSeconds(1100), P.nextDelay(h, 0, 1.0));
  }

  @Test
  void nextDelay_neverBelowNinetyPercentOfMinimum_soNeverATightLoop() {
    assertEquals(Duration.ofSeconds(27), P.nextDelay(hint(1), 0, 0.0));
  }

  @Test
  void invalidPolicies_areRefused() {
    Duration s = Duration.ofSeconds(1);
    assertThrows(TrustbridgeException.class, () -> new PollingPolicy(Duration.ZERO, s, s, 0.1));
    assertThrows(
        TrustbridgeException.class, () -> new PollingPolicy(s, Duration.ofMillis(1), s, 0.1));
    assertThrows(TrustbridgeException.class, () -> new PollingPolicy(s, s, s, 0.6));
    assertThrows(TrustbridgeException.class, () -> new PollingPolicy(s, s, s, Double.NaN));
  }

  @Test
  void client_failedPolls_nextPollFollowsBackoffFromFixedClock() throws Exception {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    Clock fixed = Clock.fixed(now, ZoneOffset.UTC);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    TrustDomain td = TrustDomain.parse("peer.org");
    FederationClientConfig config =
        new FederationClientConfig(P, Duration.ofMillis(500), Duration.ofMillis(500), 1 << 20, 3);
    try (FederationClient client =
        new FederationClient(
            config,
            new InMemoryFederatedBundleStore(),
            RelationshipStateListener.NONE,
            fixed,
            () -> 0.5)) {
      client.put(
          new FederationRelationship(
              td,
              URI.create("https://127.0.0.1:" + port + "/"),
              new FederationRelationship.HttpsWeb(List.of(TestPki.webCa("x", now).certificate()))));
      assertEquals(now.plus(Duration.ofMinutes(5)), client.pollOnce(td).nextPoll().orElseThrow());
      assertEquals(now.plus(Duration.ofMinutes(10)), client.pollOnce(td).nextPoll().orElseThrow());
      RelationshipState third = client.pollOnce(td);
      assertEquals(now.plus(Duration.ofMinutes(20)), third.nextPoll().orElseThrow());
      assertEquals(3, third.consecutiveFailures());
      assertEquals(Optional.of(now), third.lastAttempt());
      assertEquals(Optional.of(now), third.lastErrorAt());
    }
  }
}
