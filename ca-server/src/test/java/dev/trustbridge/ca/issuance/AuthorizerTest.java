package dev.trustbridge.ca.issuance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.trustbridge.ca.authn.Caller;
import dev.trustbridge.ca.entry.RegistrationEntry;
import dev.trustbridge.ca.store.JdbcDatastore;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class AuthorizerTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final TrustDomain TD = TrustDomain.parse("td");
  private static final TrustDomain TD2 = TrustDomain.parse("td2");
  private static final TrustDomain FOREIGN = TrustDomain.parse("foreign.example");
  private static final SpiffeId NODE_1 = SpiffeId.parse("spiffe://td/agent/node-1");
  private static final SpiffeId NODE_2 = SpiffeId.parse("spiffe://td/agent/node-2");
  private static final SpiffeId WEB = SpiffeId.parse("spiffe://td/workload/web");
  private static final SpiffeId DB = SpiffeId.parse("spiffe://td/workload/db");
  private static final SpiffeId ZTUNNEL = SpiffeId.parse("spiffe://td/ns/istio-system/sa/ztunnel");
  private static final SpiffeId SA_WEB = SpiffeId.parse("spiffe://td/ns/default/sa/web");

  @TempDir Path dir;

  private JdbcDatastore datastore;
  private Authorizer authorizer;

  @BeforeEach
  void open() {
    datastore =
        JdbcDatastore.openSqlite(dir.resolve("trustbridge.db"), Clock.fixed(T0, ZoneOffset.UTC));
    authorizer = new Authorizer(datastore.entries(), Set.of(TD, TD2), Set.of(ZTUNNEL));
  }

  @AfterEach
  void close() {
    datastore.close();
  }

  private RegistrationEntry entry(
      SpiffeId id,
      SpiffeId parent,
      Optional<Duration> ttl,
      List<String> dns,
      Set<TrustDomain> federatesWith) {
    return datastore
        .entries()
        .create(RegistrationEntry.unassigned(id, parent, ttl, dns, false, federatesWith, T0));
  }

  private RegistrationEntry entry(SpiffeId id, SpiffeId parent) {
    return entry(id, parent, Optional.empty(), List.of(), Set.of());
  }

  private static Caller.Svid svid(SpiffeId id) {
    return new Caller.Svid(id, T0.plus(Duration.ofHours(1)));
  }

  private static Caller.Jwt jwt(SpiffeId id) {
    return new Caller.Jwt(id, "k8s", "system:serviceaccount:x:y");
  }

  private static void assertDenied(Executable call) {
    TrustbridgeException e = assertThrows(TrustbridgeException.class, call);
    assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
    assertEquals(Authorizer.DENIED, e.getMessage());
  }

  @Test
  void authorize_svidRenewingItsOwnIdWithoutEntries_getsDefaults() {
    Authorizer.Grant grant = authorizer.authorize(svid(WEB), Optional.empty());

    assertEquals(new Authorizer.Grant(WEB, List.of(), Optional.empty(), Set.of()), grant);
    assertEquals(grant, authorizer.authorize(svid(WEB), Optional.of(WEB)));
  }

  @Test
  void authorize_entryParentedToTheCaller_isDelegatedWithTheEntrySettings() {
    entry(WEB, NODE_1, Optional.of(Duration.ofMinutes(30)), List.of("web.local"), Set.of(FOREIGN));

    Authorizer.Grant grant = authorizer.authorize(svid(NODE_1), Optional.of(WEB));

    assertEquals(
        new Authorizer.Grant(
            WEB, List.of("web.local"), Optional.of(Duration.ofMinutes(30)), Set.of(FOREIGN)),
        grant);
  }

  @Test
  void authorize_entryParentedToAnotherAgent_isDenied() {
    entry(WEB, NODE_2);

    assertDenied(() -> authorizer.authorize(svid(NODE_1), Optional.of(WEB)));
  }

  @Test
  void authorize_nonexistentEntry_isDeniedWithTheSameMessage() {
    entry(WEB, NODE_2);
    TrustbridgeException existing =
        assertThrows(
            TrustbridgeException.class, () -> authorizer.authorize(svid(NODE_1), Optional.of(WEB)));
    TrustbridgeException missing =
        assertThrows(
            TrustbridgeException.class, () -> authorizer.authorize(svid(NODE_1), Optional.of(DB)));

    assertEquals(existing.code(), missing.code());
    assertEquals(existing.getMessage(), missing.getMessage());
    assertDenied(() -> authorizer.authorize(svid(NODE_1), Optional.of(DB)));
  }

  @Test
  void authorize_idInATrustDomainNotHosted_isDeniedEvenWithAnEntry() {
    SpiffeId foreign = SpiffeId.parse("spiffe://foreign.example/workload/web");
    entry(foreign, NODE_1);

    assertDenied(() -> authorizer.authorize(svid(NODE_1), Optional.of(foreign)));
    // A caller whose own ID is in a trust domain we do not host cannot renew it either.
    assertDenied(() -> authorizer.authorize(svid(foreign), Optional.empty()));
  }

  @Test
  void authorize_trustDomainId_isDenied() {
    assertDenied(() -> authorizer.authorize(svid(NODE_1), Optional.of(TD.id())));
    assertDenied(() -> authorizer.authorize(svid(TD.id()), Optional.empty()));
  }

  @Test
  void authorize_entryParentedToTheCallerInAnotherHostedTrustDomain_isDelegated() {
    // Delegation follows the entry, not the caller's trust domain; both are hosted here.
    SpiffeId other = SpiffeId.parse("spiffe://td2/workload/web");
    entry(other, NODE_1);

    assertEquals(other, authorizer.authorize(svid(NODE_1), Optional.of(other)).spiffeId());
  }

  @Test
  void authorize_jwtCaller_getsOnlyItsOwnMappedId() {
    entry(WEB, SA_WEB); // even an entry parented to its ID gives a JWT caller nothing more

    assertEquals(SA_WEB, authorizer.authorize(jwt(SA_WEB), Optional.empty()).spiffeId());
    assertEquals(SA_WEB, authorizer.authorize(jwt(SA_WEB), Optional.of(SA_WEB)).spiffeId());
    assertDenied(() -> authorizer.authorize(jwt(SA_WEB), Optional.of(WEB)));
    assertDenied(() -> authorizer.authorize(jwt(SA_WEB), Optional.of(DB)));
  }

  @Test
  void authorize_joinTokenCaller_getsOnlyItsOwnId() {
    entry(WEB, NODE_1);
    Caller.JoinTokenAgent agent = new Caller.JoinTokenAgent(NODE_1);

    assertEquals(NODE_1, authorizer.authorize(agent, Optional.empty()).spiffeId());
    assertDenied(() -> authorizer.authorize(agent, Optional.of(WEB)));
  }

  @Test
  void authorize_ownIdWithSeveralEntries_mergesDnsNamesAndFederation_andTakesTheShortestTtl() {
    entry(
        WEB,
        NODE_1,
        Optional.of(Duration.ofHours(1)),
        List.of("a.local", "b.local"),
        Set.of(FOREIGN));
    entry(
        WEB,
        NODE_2,
        Optional.of(Duration.ofMinutes(30)),
        List.of("b.local", "c.local"),
        Set.of(TrustDomain.parse("partner.example")));
    entry(WEB, ZTUNNEL); // no TTL: does not lengthen or clear the shortest one

    Authorizer.Grant grant = authorizer.authorize(svid(WEB), Optional.empty());

    assertEquals(List.of("a.local", "b.local", "c.local"), grant.dnsNames());
    assertEquals(Optional.of(Duration.ofMinutes(30)), grant.ttl());
    assertEquals(Set.of(FOREIGN, TrustDomain.parse("partner.example")), grant.federatesWith());
  }

  @Test
  void impersonate_nodeAccount_getsAWorkloadIdOfItsTrustDomain() {
    entry(SA_WEB, NODE_1, Optional.of(Duration.ofMinutes(20)), List.of("web.default"), Set.of());

    Authorizer.Grant grant = authorizer.impersonate(jwt(ZTUNNEL), SA_WEB);

    assertEquals(SA_WEB, grant.spiffeId());
    assertEquals(List.of("web.default"), grant.dnsNames());
    assertEquals(Optional.of(Duration.ofMinutes(20)), grant.ttl());
    assertEquals(SA_WEB, authorizer.impersonate(svid(ZTUNNEL), SA_WEB).spiffeId());
  }

  @Test
  void impersonate_callerNotANodeAccount_isDenied() {
    assertDenied(() -> authorizer.impersonate(jwt(SA_WEB), DB));
    assertDenied(() -> authorizer.impersonate(svid(NODE_1), SA_WEB));
  }

  @Test
  void impersonate_idInAnotherTrustDomain_isDeniedEvenIfHosted() {
    assertDenied(
        () -> authorizer.impersonate(jwt(ZTUNNEL), SpiffeId.parse("spiffe://td2/ns/a/sa/b")));
    assertDenied(
        () ->
            authorizer.impersonate(
                jwt(ZTUNNEL), SpiffeId.parse("spiffe://foreign.example/ns/a/sa/b")));
  }

  @Test
  void impersonate_agentAdminOrServerIds_areDenied() {
    assertDenied(() -> authorizer.impersonate(jwt(ZTUNNEL), NODE_1));
    assertDenied(() -> authorizer.impersonate(jwt(ZTUNNEL), DB));
    assertDenied(
        () ->
            authorizer.impersonate(jwt(ZTUNNEL), SpiffeId.parse("spiffe://td/trustbridge/admin")));
    assertDenied(
        () -> authorizer.impersonate(jwt(ZTUNNEL), SpiffeId.parse("spiffe://td/ns/a/sa/b/extra")));
  }

  @Test
  void impersonate_trustDomainId_isDenied() {
    assertDenied(() -> authorizer.impersonate(jwt(ZTUNNEL), TD.id()));
  }

  @Test
  void impersonate_nodeAccountOfATrustDomainNotHosted_isDenied() {
    SpiffeId foreignNode = SpiffeId.parse("spiffe://foreign.example/ns/istio-system/sa/ztunnel");
    Authorizer foreignNodes =
        new Authorizer(datastore.entries(), Set.of(TD), Set.of(ZTUNNEL, foreignNode));

    assertDenied(
        () ->
            foreignNodes.impersonate(
                jwt(foreignNode), SpiffeId.parse("spiffe://foreign.example/ns/a/sa/b")));
  }
}
