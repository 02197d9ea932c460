package dev.trustbridge.ca.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.store.JdbcDatastore;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.policy.Policy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers' policies on one datastore (two datastores on one SQLite file stand for two replicas
 * on PostgreSQL): {@link PolicyManager#reload()} takes up a change made through the other.
 */
class PolicyManagerReloadTest {
  private static final Set<TrustDomain> HOSTED = Set.of(TrustDomain.parse("example.org"));

  @TempDir Path dir;

  @Test
  void policySetElsewhere_becomesCurrentAtTheReload_andWatchersAreToldOnce() {
    MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    AtomicInteger changes = new AtomicInteger();
    try (JdbcDatastore storeA = JdbcDatastore.openSqlite(dir.resolve("shared.db"), clock);
        JdbcDatastore storeB = JdbcDatastore.openSqlite(dir.resolve("shared.db"), clock)) {
      PolicyManager a = new PolicyManager(storeA.policies(), HOSTED, Set::of, clock, () -> {});
      PolicyManager b =
          new PolicyManager(storeB.policies(), HOSTED, Set::of, clock, changes::incrementAndGet);
      Policy set = a.set(Policy.empty(0), OptionalLong.empty(), "admin-a");
      assertEquals(0, b.current().version());

      assertTrue(b.reload());
      assertEquals(set, b.current());
      assertEquals(1, changes.get());

      assertFalse(b.reload());
      assertEquals(1, changes.get());

      // B's own change is newer than anything stored: a reload keeps it.
      Policy own = b.set(Policy.empty(0), OptionalLong.of(1), "admin-b");
      assertFalse(b.reload());
      assertEquals(own, b.current());
    }
  }
}
