package dev.trustbridge.ca.policy;

import static dev.trustbridge.ca.server.SpiffeHandshakes.mutualTls;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.api.CertificateAuthorityService;
import dev.trustbridge.ca.policy.Mesh.Agent;
import dev.trustbridge.ca.policy.Mesh.Node;
import dev.trustbridge.ca.policy.Mesh.Workload;
import dev.trustbridge.ca.server.TestServer;
import dev.trustbridge.proto.admin.v1.GetPolicyRequest;
import dev.trustbridge.proto.admin.v1.PolicyDocument;
import dev.trustbridge.proto.admin.v1.SetPolicyRequest;
import dev.trustbridge.proto.ca.v1.AuthorizeRequest;
import dev.trustbridge.proto.ca.v1.AuthorizeResponse;
import dev.trustbridge.proto.ca.v1.BundlesResponse;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.policy.Decision;
import dev.trustbridge.spiffe.policy.Policy;
import dev.trustbridge.spiffe.policy.PolicyCodec;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers, a.example and b.example, federated both ways. Workloads of a.example accept
 * connections with java-spiffe's provider and {@link
 * dev.trustbridge.ca.policy.javaspiffe.PolicyTrustManager} on the policy their agent receives with
 * the bundles; workloads of b.example call them.
 */
class PolicyEndToEndTest {
  private static final TrustDomain B = TrustDomain.parse("b.example");
  private static final SpiffeId PAY_API = SpiffeId.parse("spiffe://a.example/ns/pay/sa/api");
  private static final SpiffeId PAY_WORKER = SpiffeId.parse("spiffe://a.example/ns/pay/sa/worker");
  private static final SpiffeId OTHER_DB = SpiffeId.parse("spiffe://a.example/ns/other/sa/db");
  private static final SpiffeId WEB_B = SpiffeId.parse("spiffe://b.example/ns/web/sa/fe");

  @TempDir Path dir;
  private Node a;
  private Node b;

  @BeforeEach
  void federate() {
    a = new Node(dir.resolve("a"), "a.example");
    b = new Node(dir.resolve("b"), "b.example");
    a.federateWith(b);
    b.federateWith(a);
  }

  @AfterEach
  void stop() {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
  }

  /** Grants ns/pay the bundle of b.example and exposes it to b.example; plus {@code rules}. */
  private static Policy.Builder payPolicy() {
    return Policy.builder()
        .grant("spiffe://a.example/ns/pay/*", B)
        .expose(B, "spiffe://a.example/ns/pay/*");
  }

  private static AuthorizeResponse authorize(Workload asker, SpiffeId local, SpiffeId peer) {
    return asker
        .ca()
        .authorize(
            AuthorizeRequest.newBuilder()
                .setLocalId(local.toString())
                .setPeerId(peer.toString())
                .build());
  }

  private static void assertSame(Decision expected, AuthorizeResponse actual) {
    assertEquals(
        expected.isAllowed(), actual.getVerdict() == AuthorizeResponse.Verdict.VERDICT_ALLOW);
    assertEquals(expected.reason(), actual.getReason());
    assertEquals(expected.matched().map(r -> r.name()).orElse(""), actual.getMatchedRule());
  }

  @Test
  void crossMeshCall_allowedByRule_succeeds_andFailsOnceTheRuleIsRemoved_withoutRestart()
      throws Exception {
    a.setPolicy(
        payPolicy().allow("web-to-pay", "spiffe://b.example/ns/web/*", PAY_API.toString()).build());
    Workload api = a.workload(PAY_API);
    Workload web = b.workload(WEB_B, "a.example");
    Agent agent = api.watch();
    assertTrue(TestServer.hasTrustDomain(agent.bundles.get(), "b.example"));
    SSLContext server = agent.serverContext();
    SSLContext client = Mesh.clientContext(web, PAY_API);

    assertTrue(mutualTls(server, client));

    PolicyDocument changed = a.setPolicy(payPolicy().build());
    long waited = agent.awaitPolicyVersion(changed.getVersion(), 1000);
    assertTrue(waited <= 1000, "waited " + waited + " ms");
    assertFalse(mutualTls(server, client));
    assertEquals(Decision.NO_RULE, authorize(api, PAY_API, WEB_B).getReason());

    // And back, still without restarting or rebuilding anything.
    PolicyDocument restored =
        a.setPolicy(payPolicy().allow("web-to-pay", WEB_B.toString(), PAY_API.toString()).build());
    agent.awaitPolicyVersion(restored.getVersion(), 1000);
    assertTrue(mutualTls(server, client));
  }

  @Test
  void watcher_receivesTheNewPolicy_withinASecond() throws Exception {
    Workload api = a.workload(PAY_API);
    Agent agent = api.watch();
    assertEquals(0, agent.policy.get().version());
    for (int i = 0; i < 5; i++) {
      Policy next =
          payPolicy().allow("r" + i, "spiffe://b.example/ns/web/*", PAY_API.toString()).build();
      long start = System.nanoTime();
      PolicyDocument stored = a.setPolicy(next);
      agent.awaitPolicyVersion(stored.getVersion(), 1000);
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(millis < 1000, "took " + millis + " ms");
      assertEquals(
          PolicyCodec.parse(stored.getPolicy().toByteArray()).forIdentity(PAY_API),
          agent.policy.get());
    }
  }

  @Test
  void prefixRules_doNotMatchAcrossSegmentBoundaries() throws Exception {
    a.setPolicy(
        payPolicy().allow("pay-only", "spiffe://b.example/ns/pay/*", PAY_API.toString()).build());
    Workload api = a.workload(PAY_API);
    Workload pay = b.workload(SpiffeId.parse("spiffe://b.example/ns/pay/sa/client"), "a.example");
    Workload payments =
        b.workload(SpiffeId.parse("spiffe://b.example/ns/payments/sa/client"), "a.example");
    Agent agent = api.watch();
    SSLContext server = agent.serverContext();

    assertTrue(mutualTls(server, Mesh.clientContext(pay, PAY_API)));
    assertFalse(mutualTls(server, Mesh.clientContext(payments, PAY_API)));
    assertEquals("pay-only", authorize(api, PAY_API, pay.id()).getMatchedRule());
    assertEquals(Decision.NO_RULE, authorize(api, PAY_API, payments.id()).getReason());
    assertEquals(
        Decision.ALLOWED_BY_RULE,
        authorize(api, PAY_API, SpiffeId.parse("spiffe://b.example/ns/pay")).getReason());
  }

  @Test
  void allowRuleForAnUnexposedIdentity_hasNoEffect() throws Exception {
    a.setPolicy(
        Policy.builder()
            .grant("spiffe://a.example/*", B)
            .expose(B, PAY_API.toString())
            .allow("web-to-db", "spiffe://b.example/ns/web/*", OTHER_DB.toString())
            .build());
    Workload db = a.workload(OTHER_DB);
    Workload web = b.workload(WEB_B, "a.example");
    Agent agent = db.watch();
    assertTrue(agent.policy.get().allowRules().isEmpty());
    assertFalse(mutualTls(agent.serverContext(), Mesh.clientContext(web, OTHER_DB)));
    AuthorizeResponse answer = authorize(db, OTHER_DB, WEB_B);
    assertEquals(AuthorizeResponse.Verdict.VERDICT_DENY, answer.getVerdict());
    assertEquals(Decision.NOT_EXPOSED, answer.getReason());
    assertEquals("", answer.getMatchedRule());
  }

  @Test
  void authorizeAnswers_matchPolicyDecide_andOnlyAdminsAskAboutOthers() throws Exception {
    Policy policy =
        payPolicy()
            .allow("web-any", "spiffe://b.example/ns/web/*", "spiffe://a.example/ns/pay/*")
            .allow("web-fe-api", WEB_B.toString(), PAY_API.toString())
            .build();
    long version = a.setPolicy(policy).getVersion();
    Workload api = a.workload(PAY_API);
    SpiffeId[] peers = {
      WEB_B,
      SpiffeId.parse("spiffe://b.example/ns/web/sa/other"),
      SpiffeId.parse("spiffe://b.example/ns/db/sa/x"),
      SpiffeId.parse("spiffe://a.example/ns/web/sa/fe"),
      SpiffeId.parse("spiffe://c.example/ns/web/sa/fe")
    };
    for (SpiffeId peer : peers) {
      AuthorizeResponse answer = authorize(api, PAY_API, peer);
      assertSame(policy.decide(PAY_API, peer), answer);
      assertEquals(version, answer.getPolicyVersion());
    }
    assertEquals("web-fe-api", authorize(api, PAY_API, WEB_B).getMatchedRule());

    StatusRuntimeException refused =
        assertThrows(StatusRuntimeException.class, () -> authorize(api, PAY_WORKER, WEB_B));
    assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode());
    assertEquals(CertificateAuthorityService.NOT_OWN_ID, refused.getStatus().getDescription());

    AuthorizeResponse byAdmin =
        CertificateAuthorityGrpc.newBlockingStub(a.admin())
            .authorize(
                AuthorizeRequest.newBuilder()
                    .setLocalId(PAY_WORKER.toString())
                    .setPeerId(WEB_B.toString())
                    .build());
    assertSame(policy.decide(PAY_WORKER, WEB_B), byAdmin);
  }

  @Test
  void invalidSetPolicy_isRefusedWithThePreciseMessage_andChangesNothing() throws Exception {
    long before = a.setPolicy(payPolicy().build()).getVersion();
    assertRefused(
        Policy.builder().grant("spiffe://a.example/ns/pay/*", TrustDomain.parse("z.example")),
        "grants[0]: peer trust domain z.example is not a known federated peer");
    assertRefused(
        payPolicy().expose(B, "spiffe://c.example/ns/x/*"),
        "exposures[1]: local pattern spiffe://c.example/ns/x/* is not in a trust domain hosted"
            + " here");
    assertRefused(
        payPolicy().allow("self", "spiffe://a.example/ns/web/*", PAY_API.toString()),
        "allow_rules[0] \"self\": peer trust domain a.example is hosted here; a peer must be a"
            + " foreign trust domain");
    assertRefusedJson(
        "{\"version\":0,\"allow_rules\":[{\"name\":\"r\",\"peer\":\"spiffe://b.example/ns/pay*\","
            + "\"local\":\"spiffe://a.example/ns/pay/sa/api\"}]}",
        "allow_rules[0].peer: a wildcard is only allowed as a whole last path segment, as in"
            + " spiffe://td/ns/pay/*");
    assertRefusedJson("{\"grants\":[]}", "policy: missing member \"version\"");

    StatusRuntimeException stale =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                a.policyAdmin()
                    .setPolicy(
                        SetPolicyRequest.newBuilder()
                            .setPolicy(ByteString.copyFrom(PolicyCodec.write(Policy.empty(0))))
                            .setExpectedVersion(before - 1)
                            .build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, stale.getStatus().getCode());
    assertEquals(
        "the policy is at version " + before + ", not the expected " + (before - 1),
        stale.getStatus().getDescription());

    PolicyDocument current = a.policyAdmin().getPolicy(GetPolicyRequest.getDefaultInstance());
    assertEquals(before, current.getVersion());
    assertEquals(
        payPolicy().version(before).build(), PolicyCodec.parse(current.getPolicy().toByteArray()));
  }

  private void assertRefused(Policy.Builder policy, String message) {
    assertRefusedJson(
        new String(PolicyCodec.write(policy.build()), StandardCharsets.UTF_8), message);
  }

  private void assertRefusedJson(String json, String message) {
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                a.policyAdmin()
                    .setPolicy(
                        SetPolicyRequest.newBuilder()
                            .setPolicy(ByteString.copyFromUtf8(json))
                            .build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals(message, e.getStatus().getDescription());
  }

  @Test
  void policyGrantByPrefix_givesAWholeNamespaceThePeerBundle() throws Exception {
    Workload api = a.workload(PAY_API);
    Workload worker = a.workload(PAY_WORKER);
    Workload db = a.workload(OTHER_DB);
    assertFalse(Mesh.hasTrustDomain(api.fetch(), "b.example"));

    a.setPolicy(Policy.builder().grant("spiffe://a.example/ns/pay/*", B).build());

    for (Workload w : new Workload[] {api, worker}) {
      BundlesResponse fetched = w.fetch();
      assertEquals("a.example", fetched.getBundles(0).getTrustDomain());
      assertTrue(Mesh.hasTrustDomain(fetched, "b.example"), w.id().toString());
    }
    assertFalse(Mesh.hasTrustDomain(db.fetch(), "b.example"));
    // Newly signed SVIDs carry the granted bundle too.
    assertTrue(
        TestServer.hasTrustDomain(
            a.workload(SpiffeId.parse("spiffe://a.example/ns/pay/sa/new"))
                .signed()
                .getBundlesList(),
            "b.example"));
    // No rule, no exposure: the grant hands out bundles, it allows no call.
    assertEquals(Decision.NOT_EXPOSED, authorize(api, PAY_API, WEB_B).getReason());
  }

  private String cli(String... args) {
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--server";
    all[args.length + 1] = "127.0.0.1:" + a.server.grpcPort();
    all[args.length + 2] = "--admin-dir";
    all[args.length + 3] = a.server.adminDir().toString();
    int code =
        dev.trustbridge.ca.cli.TrustbridgeCli.run(
            all, new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true));
    assertEquals(0, code, err.toString());
    return out.toString();
  }

  @Test
  void cli_setsShowsDecidesAndExportsIstio() throws Exception {
    Path file = dir.resolve("policy.json");
    java.nio.file.Files.write(
        file,
        PolicyCodec.write(
            payPolicy()
                .allow("web-to-pay", "spiffe://b.example/ns/web/*", PAY_API.toString())
                .build()));
    assertEquals("policy version 1 stored\n", cli("policy", "set", file.toString()));
    assertEquals(
        payPolicy()
            .version(1)
            .allow("web-to-pay", "spiffe://b.example/ns/web/*", PAY_API.toString())
            .build(),
        PolicyCodec.parse(cli("policy", "show").strip().getBytes(StandardCharsets.UTF_8)));
    String decided =
        cli("policy", "decide", "--local", PAY_API.toString(), "--peer", WEB_B.toString());
    assertTrue(decided.contains("Decision      : ALLOW"), decided);
    assertTrue(decided.contains("Matched rule  : web-to-pay"), decided);
    String yaml =
        cli(
            "policy",
            "export-istio",
            "--spiffe-id",
            PAY_API.toString(),
            "--namespace",
            "pay",
            "--selector",
            "app=api");
    assertEquals(
        dev.trustbridge.spiffe.policy.IstioAuthorizationPolicyExporter.export(
            PolicyCodec.parse(
                a.policyAdmin()
                    .getPolicy(GetPolicyRequest.getDefaultInstance())
                    .getPolicy()
                    .toByteArray()),
            PAY_API,
            "pay",
            java.util.Map.of("app", "api")),
        yaml);
    assertTrue(yaml.contains("b.example/ns/web/*"), yaml);
  }
}
