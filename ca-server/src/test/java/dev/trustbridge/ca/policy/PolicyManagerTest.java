package dev.trustbridge.ca.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.trustbridge.ca.store.JdbcDatastore;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.policy.Policy;
import dev.trustbridge.spiffe.policy.PolicyException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyManagerTest {
  private static final TrustDomain A = TrustDomain.parse("a.example");
  private static final TrustDomain B = TrustDomain.parse("b.example");
  private static final SpiffeId API = SpiffeId.parse("spiffe://a.example/ns/pay/sa/api");

  @TempDir Path dir;
  private final AtomicInteger changes = new AtomicInteger();

  private PolicyManager manager(JdbcDatastore store) {
    return new PolicyManager(
        store.policies(), Set.of(A), () -> Set.of(B), Clock.systemUTC(), changes::incrementAndGet);
  }

  private static Policy rule(String name) {
    return Policy.builder()
        .version(99)
        .grant("spiffe://a.example/ns/pay/*", B)
        .expose(B, "spiffe://a.example/ns/pay/*")
        .allow(name, "spiffe://b.example/ns/web/*", API.toString())
        .build();
  }

  @Test
  void set_assignsTheNextVersion_keepsHistory_andSurvivesARestart() {
    Path file = dir.resolve("db");
    try (JdbcDatastore store = JdbcDatastore.openSqlite(file)) {
      PolicyManager policies = manager(store);
      assertEquals(Policy.empty(0), policies.current());
      assertEquals(1, policies.set(rule("one"), OptionalLong.empty(), "admin").version());
      assertEquals(2, policies.set(rule("two"), OptionalLong.of(1), "admin").version());
      assertEquals(2, changes.get());
      assertEquals("one", policies.version(1).allowRules().get(0).name());
      assertEquals(Policy.empty(0), policies.version(0));
      TrustbridgeException missing =
          assertThrows(TrustbridgeException.class, () -> policies.version(7));
      assertEquals(ErrorCode.NOT_FOUND, missing.code());
    }
    try (JdbcDatastore store = JdbcDatastore.openSqlite(file)) {
      PolicyManager policies = manager(store);
      assertEquals(2, policies.current().version());
      assertEquals(
          "two",
          policies
              .decide(API, SpiffeId.parse("spiffe://b.example/ns/web/x"))
              .matched()
              .orElseThrow()
              .name());
      assertEquals(Set.of(B), policies.grantedTrustDomains(API));
    }
  }

  @Test
  void set_withAStaleExpectedVersion_isRefused_andChangesNothing() {
    try (JdbcDatastore store = JdbcDatastore.openSqlite(dir.resolve("db"))) {
      PolicyManager policies = manager(store);
      policies.set(rule("one"), OptionalLong.empty(), "admin");
      TrustbridgeException e =
          assertThrows(
              TrustbridgeException.class,
              () -> policies.set(rule("two"), OptionalLong.of(0), "admin"));
      assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
      assertEquals("the policy is at version 1, not the expected 0", e.getMessage());
      assertEquals("one", policies.current().allowRules().get(0).name());
      assertEquals(1, changes.get());
    }
  }

  @Test
  void set_ofAnInvalidPolicy_isRefusedBeforeStoring() {
    try (JdbcDatastore store = JdbcDatastore.openSqlite(dir.resolve("db"))) {
      PolicyManager policies = manager(store);
      PolicyException e =
          assertThrows(
              PolicyException.class,
              () ->
                  policies.set(
                      Policy.builder()
                          .grant("spiffe://a.example/*", TrustDomain.parse("c.example"))
                          .build(),
                      OptionalLong.empty(),
                      "admin"));
      assertEquals(
          "grants[0]: peer trust domain c.example is not a known federated peer", e.getMessage());
      assertEquals(0, policies.current().version());
      assertEquals(0, changes.get());
    }
  }
}
