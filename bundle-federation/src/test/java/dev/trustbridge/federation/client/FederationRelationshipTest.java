package dev.trustbridge.federation.client;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.federation.testing.TestPki;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.net.URI;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FederationRelationshipTest {
  static final TrustDomain PEER = TrustDomain.parse("peer.org");
  static final FederationRelationship.Profile WEB = FederationRelationship.HttpsWeb.systemRoots();

  @ParameterizedTest
  @CsvSource({
    "http://peer.org/, " + FederationRelationship.URL_NOT_HTTPS,
    "ftp://peer.org/, " + FederationRelationship.URL_NOT_HTTPS,
    "spiffe://peer.org, " + FederationRelationship.URL_NOT_HTTPS,
    "https://user@peer.org/, " + FederationRelationship.URL_USERINFO,
    "https://user:pw@peer.org/, " + FederationRelationship.URL_USERINFO,
    "https://@peer.org/, " + FederationRelationship.URL_USERINFO,
    "https:///bundle, " + FederationRelationship.URL_NO_HOST,
    "/bundle, " + FederationRelationship.URL_NOT_ABSOLUTE,
    "https:peer.org, " + FederationRelationship.URL_NOT_ABSOLUTE,
    "https://peer.org/#frag, " + FederationRelationship.URL_FRAGMENT
  })
  void invalidUrl_isRefusedAtConstruction(String url, String message) {
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () -> new FederationRelationship(PEER, URI.create(url), WEB));
    assertEquals(message, e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://peer.org",
        "https://peer.org:8443/bundle?x=1",
        "HTTPS://peer.org/",
        "https://127.0.0.1:1/",
        "https://[::1]:8443/"
      })
  void validUrl_isAccepted(String url) {
    assertDoesNotThrow(() -> new FederationRelationship(PEER, URI.create(url), WEB));
  }

  @Test
  void httpsSpiffe_endpointIdWithoutPath_isRefused() {
    SpiffeBundle bootstrap = TestPki.bundle(PEER, 1, TestPki.spiffeCa(PEER, Clock.systemUTC()));
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () ->
                new FederationRelationship.HttpsSpiffe(
                    SpiffeId.parse("spiffe://peer.org"), bootstrap));
    assertEquals(FederationRelationship.ENDPOINT_ID_ROOT, e.getMessage());
  }

  @Test
  void httpsSpiffe_bootstrapOfOtherTrustDomain_isRefused() {
    TrustDomain other = TrustDomain.parse("other.org");
    SpiffeBundle bootstrap = TestPki.bundle(other, 1, TestPki.spiffeCa(other, Clock.systemUTC()));
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () ->
                new FederationRelationship.HttpsSpiffe(
                    SpiffeId.parse("spiffe://peer.org/endpoint"), bootstrap));
    assertEquals(FederationRelationship.BOOTSTRAP_OTHER_TRUST_DOMAIN, e.getMessage());
  }

  @Test
  void httpsSpiffe_emptyBootstrap_isRefused() {
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () ->
                new FederationRelationship.HttpsSpiffe(
                    SpiffeId.parse("spiffe://peer.org/endpoint"), SpiffeBundle.empty(PEER)));
    assertEquals(FederationRelationship.BOOTSTRAP_NO_X509, e.getMessage());
  }

  @Test
  void httpsSpiffe_nonSelfServingEndpoint_isAllowed() {
    TrustDomain hub = TrustDomain.parse("hub.org");
    FederationRelationship.HttpsSpiffe p =
        new FederationRelationship.HttpsSpiffe(
            SpiffeId.parse("spiffe://hub.org/bundle-endpoint"),
            TestPki.bundle(hub, 1, TestPki.spiffeCa(hub, Clock.systemUTC())));
    assertTrue(!p.isSelfServing(PEER) && p.isSelfServing(hub));
  }
}
