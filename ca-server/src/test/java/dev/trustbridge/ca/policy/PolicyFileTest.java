package dev.trustbridge.ca.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.server.TestServer;
import dev.trustbridge.proto.admin.v1.GetPolicyRequest;
import dev.trustbridge.proto.admin.v1.PolicyAdminGrpc;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.policy.Policy;
import dev.trustbridge.spiffe.policy.PolicyCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration's {@code policy_file} becomes a policy version at start, once. */
class PolicyFileTest {
  @TempDir Path dir;

  private TestServer start(String extra) {
    return new TestServer(
        dir.resolve("data"),
        "trust_domains:\n  - name: a.example\n" + extra,
        new MutableClock(Instant.now()));
  }

  private static long version(TestServer server) {
    return PolicyAdminGrpc.newBlockingStub(server.admin())
        .getPolicy(GetPolicyRequest.getDefaultInstance())
        .getVersion();
  }

  @Test
  void policyFile_isAppliedOnce_andRefusedWhenInvalid() throws Exception {
    // b.example becomes a known peer through a bundle imported by hand.
    try (TestServer peer =
            new TestServer(
                dir.resolve("peer"),
                "trust_domains:\n  - name: b.example\n",
                new MutableClock(Instant.now()));
        TestServer first = start("")) {
      first.importBundle("b.example", peer.bundleDocument());
      assertEquals(0, version(first));
    }
    Path file = dir.resolve("policy.json");
    Policy policy =
        Policy.builder()
            .version(0)
            .grant("spiffe://a.example/ns/web/*", TrustDomain.parse("b.example"))
            .expose(TrustDomain.parse("b.example"), "spiffe://a.example/ns/web/*")
            .allow("api-to-web", "spiffe://b.example/ns/api/*", "spiffe://a.example/ns/web/*")
            .build();
    Files.write(file, PolicyCodec.write(policy));

    try (TestServer second = start("policy_file: " + file + "\n")) {
      assertEquals(1, version(second));
    }
    try (TestServer third = start("policy_file: " + file + "\n")) {
      assertEquals(1, version(third), "an unchanged file makes no new version");
    }

    Files.writeString(
        file,
        "{\"version\":0,\"grants\":[{\"local\":\"spiffe://a.example/ns/web/*\","
            + "\"peers\":[\"c.example\"]}]}");
    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> start("policy_file: " + file + "\n"));
    assertTrue(e.getMessage().startsWith("policy_file: "), e.getMessage());
  }
}
