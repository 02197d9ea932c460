package dev.trustbridge.ca.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.entry.EntryStore;
import dev.trustbridge.ca.entry.RegistrationEntry;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The entry lookup cache on a real SQLite store: hits, and never an answer older than a write. */
class CachingEntryStoreTest {
  private static final SpiffeId AGENT = SpiffeId.parse("spiffe://cache.example/agent/a");
  private static final SpiffeId WORKLOAD = SpiffeId.parse("spiffe://cache.example/ns/web/sa/web");

  @TempDir Path dir;
  private JdbcDatastore datastore;
  private CountingStore counting;
  private CachingEntryStore cache;

  /** Counts the lookups that reach the database and can hold one of them at a latch. */
  private static final class CountingStore implements EntryStore {
    final EntryStore store;
    final AtomicInteger lookups = new AtomicInteger();
    volatile CountDownLatch loaded;
    volatile CountDownLatch release;

    CountingStore(EntryStore store) {
      this.store = store;
    }

    @Override
    public List<RegistrationEntry> listBySpiffeId(SpiffeId spiffeId) {
      lookups.incrementAndGet();
      List<RegistrationEntry> answer = store.listBySpiffeId(spiffeId);
      CountDownLatch hold = release;
      if (hold != null) {
        loaded.countDown();
        try {
          hold.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return answer;
    }

    @Override
    public RegistrationEntry create(RegistrationEntry entry) {
      return store.create(entry);
    }

    @Override
    public Optional<RegistrationEntry> get(String id) {
      return store.get(id);
    }

    @Override
    public List<RegistrationEntry> list() {
      return store.list();
    }

    @Override
    public List<RegistrationEntry> listByParent(SpiffeId parentId) {
      return store.listByParent(parentId);
    }

    @Override
    public boolean delete(String id) {
      return store.delete(id);
    }

    @Override
    public RegistrationEntry update(RegistrationEntry entry) {
      return store.update(entry);
    }
  }

  @BeforeEach
  void open() {
    datastore = JdbcDatastore.openSqlite(dir.resolve("entries.db"));
    // The raw SQL store under the datastore's own cache, so that this test's cache is the only one.
    counting = new CountingStore(new SqlEntryStore(datastore.database()));
    cache = new CachingEntryStore(counting);
  }

  @AfterEach
  void close() {
    datastore.close();
  }

  private static RegistrationEntry entry(SpiffeId id, Optional<java.time.Duration> ttl) {
    return new RegistrationEntry(
        RegistrationEntry.UNASSIGNED,
        id,
        AGENT,
        ttl,
        List.of("web.example"),
        false,
        Set.of(),
        Instant.parse("2026-11-24T00:00:00Z"));
  }

  @Test
  void repeatedLookups_includingEmptyAnswers_reachTheDatabaseOnce() {
    assertEquals(List.of(), cache.listBySpiffeId(WORKLOAD));
    assertEquals(List.of(), cache.listBySpiffeId(WORKLOAD));
    RegistrationEntry stored = cache.create(entry(WORKLOAD, Optional.empty()));
    assertEquals(List.of(stored), cache.listBySpiffeId(WORKLOAD));
    assertEquals(List.of(stored), cache.listBySpiffeId(WORKLOAD));
    assertEquals(2, counting.lookups.get());
  }

  @Test
  void everyWrite_isSeenByTheNextLookup() {
    RegistrationEntry stored = cache.create(entry(WORKLOAD, Optional.empty()));
    assertEquals(List.of(stored), cache.listBySpiffeId(WORKLOAD));

    RegistrationEntry changed =
        cache.update(
            new RegistrationEntry(
                stored.id(),
                WORKLOAD,
                AGENT,
                Optional.of(java.time.Duration.ofMinutes(5)),
                List.of(),
                false,
                Set.of(),
                stored.createdAt()));
    assertEquals(List.of(changed), cache.listBySpiffeId(WORKLOAD));

    assertTrue(cache.delete(stored.id()));
    assertEquals(List.of(), cache.listBySpiffeId(WORKLOAD));
  }

  @Test
  void aFailedWrite_stillEmptiesTheCache() {
    RegistrationEntry stored = cache.create(entry(WORKLOAD, Optional.empty()));
    cache.listBySpiffeId(WORKLOAD);
    int before = counting.lookups.get();
    assertThrows(RuntimeException.class, () -> cache.create(entry(WORKLOAD, Optional.empty())));
    assertEquals(List.of(stored), cache.listBySpiffeId(WORKLOAD));
    assertEquals(before + 1, counting.lookups.get());
  }

  @Test
  void anAnswerLoadedBeforeAConcurrentWrite_isNotKept() throws Exception {
    counting.loaded = new CountDownLatch(1);
    counting.release = new CountDownLatch(1);
    CompletableFuture<List<RegistrationEntry>> slow =
        CompletableFuture.supplyAsync(() -> cache.listBySpiffeId(WORKLOAD));
    assertTrue(counting.loaded.await(10, TimeUnit.SECONDS));
    // The lookup has read "no entry"; a write commits before it stores that answer.
    RegistrationEntry stored = cache.create(entry(WORKLOAD, Optional.empty()));
    counting.release.countDown();
    assertEquals(List.of(), slow.get(10, TimeUnit.SECONDS));
    counting.release = null;

    assertEquals(List.of(stored), cache.listBySpiffeId(WORKLOAD));
  }

  // ---- with a bound on staleness (a datastore shared with other servers)

  private static final Duration MAX_AGE = Duration.ofSeconds(5);

  @Test
  void bounded_answerYoungerThanTheBound_isServedFromMemory_olderIsReloaded() {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-24T00:00:00Z"));
    CachingEntryStore bounded = new CachingEntryStore(counting, clock, MAX_AGE);
    bounded.listBySpiffeId(WORKLOAD);
    clock.advance(MAX_AGE.minusMillis(1));
    bounded.listBySpiffeId(WORKLOAD);
    assertEquals(1, counting.lookups.get());
    clock.advance(Duration.ofMillis(1));
    bounded.listBySpiffeId(WORKLOAD);
    assertEquals(2, counting.lookups.get());
    bounded.listBySpiffeId(WORKLOAD);
    assertEquals(2, counting.lookups.get());
  }

  @Test
  void bounded_writeMadeBeneathTheCache_isSeenOnceTheAnswerIsOld() {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-24T00:00:00Z"));
    CachingEntryStore bounded = new CachingEntryStore(counting, clock, MAX_AGE);
    assertEquals(List.of(), bounded.listBySpiffeId(WORKLOAD));
    // Another server's write: it reaches the database without passing this cache.
    RegistrationEntry stored = counting.create(entry(WORKLOAD, Optional.empty()));
    assertEquals(List.of(), bounded.listBySpiffeId(WORKLOAD));
    clock.advance(MAX_AGE);
    assertEquals(List.of(stored), bounded.listBySpiffeId(WORKLOAD));
  }

  @Test
  void bounded_clockSetBack_reloads() {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-24T00:00:00Z"));
    CachingEntryStore bounded = new CachingEntryStore(counting, clock, MAX_AGE);
    bounded.listBySpiffeId(WORKLOAD);
    clock.advance(Duration.ofHours(-1));
    bounded.listBySpiffeId(WORKLOAD);
    assertEquals(2, counting.lookups.get());
  }

  @Test
  void bounded_databaseUnavailable_oldAnswerIsServed_unknownIdIsUnavailable() {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-24T00:00:00Z"));
    CachingEntryStore bounded = new CachingEntryStore(counting, clock, MAX_AGE);
    RegistrationEntry stored = counting.create(entry(WORKLOAD, Optional.empty()));
    assertEquals(List.of(stored), bounded.listBySpiffeId(WORKLOAD));
    datastore.close(); // every later lookup in the database is UNAVAILABLE
    clock.advance(MAX_AGE.multipliedBy(10));
    assertEquals(List.of(stored), bounded.listBySpiffeId(WORKLOAD));
    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> bounded.listBySpiffeId(AGENT));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
  }
}
