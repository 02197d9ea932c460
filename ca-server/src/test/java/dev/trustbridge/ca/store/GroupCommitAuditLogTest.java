package dev.trustbridge.ca.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditLog;
import dev.trustbridge.ca.audit.AuditQuery;
import dev.trustbridge.ca.audit.GroupCommitAuditLog;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group commit of audit events: on SQLite through the datastore, and against a scripted store. */
class GroupCommitAuditLogTest {
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

  @TempDir Path dir;

  private final ExecutorService threads = Executors.newFixedThreadPool(16);

  @AfterEach
  void stop() throws InterruptedException {
    threads.shutdownNow();
    assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
  }

  private static AuditEvent event(String subject) {
    return AuditEvent.of(T0, "svid:spiffe://td/agent", "x509.sign", subject, AuditEvent.OK, "");
  }

  /** A store that waits for a signal before each batch, and may fail it. */
  private static final class ScriptedStore implements AuditLog {
    final List<List<AuditEvent>> batches = new CopyOnWriteArrayList<>();
    final CountDownLatch firstBatchStarted = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile RuntimeException failure;

    @Override
    public void append(AuditEvent event) {
      appendAll(List.of(event));
    }

    @Override
    public void appendAll(List<AuditEvent> events) {
      firstBatchStarted.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      RuntimeException f = failure;
      if (f != null
          && (events.size() > 1 || f instanceof TrustbridgeException t && isUnavailable(t))) {
        throw f;
      }
      batches.add(List.copyOf(events));
    }

    private static boolean isUnavailable(TrustbridgeException e) {
      return e.code() == ErrorCode.UNAVAILABLE;
    }

    @Override
    public List<AuditEvent> query(AuditQuery query) {
      return List.of();
    }
  }

  @Test
  void append_fromManyThreadsOnSqlite_storesEveryEventInFewerCommits() throws Exception {
    int events = 400;
    try (JdbcDatastore store =
        JdbcDatastore.openSqlite(dir.resolve("t.db"), Clock.fixed(T0, ZoneOffset.UTC))) {
      long commitsBefore = store.writeCommits();
      List<Future<?>> appends = new ArrayList<>();
      for (int i = 0; i < events; i++) {
        String subject = "spiffe://td/w/" + i;
        appends.add(threads.submit(() -> store.auditLog().append(event(subject))));
      }
      for (Future<?> append : appends) {
        append.get(30, TimeUnit.SECONDS);
      }
      long commits = store.writeCommits() - commitsBefore;
      List<AuditEvent> stored = store.auditLog().query(AuditQuery.newest().withLimit(1_000));
      Set<String> subjects = new HashSet<>();
      stored.forEach(e -> subjects.add(e.subject()));
      assertEquals(events, stored.size());
      assertEquals(events, subjects.size());
      assertTrue(commits < events, commits + " commits for " + events + " events");
    }
  }

  @Test
  void append_returnsOnlyAfterItsBatchIsStored() throws Exception {
    ScriptedStore store = new ScriptedStore();
    try (GroupCommitAuditLog log = new GroupCommitAuditLog(store)) {
      Future<?> append = threads.submit(() -> log.append(event("a")));
      assertTrue(store.firstBatchStarted.await(5, TimeUnit.SECONDS));
      Thread.sleep(50); // the writer is held: the append must still be waiting
      assertTrue(!append.isDone());
      store.release.countDown();
      append.get(5, TimeUnit.SECONDS);
      assertEquals(List.of(List.of(event("a"))), store.batches);
    }
  }

  @Test
  void append_whileABatchCommits_isStoredInTheNextBatchTogether() throws Exception {
    ScriptedStore store = new ScriptedStore();
    try (GroupCommitAuditLog log = new GroupCommitAuditLog(store)) {
      Future<?> first = threads.submit(() -> log.append(event("first")));
      assertTrue(store.firstBatchStarted.await(5, TimeUnit.SECONDS));
      List<Future<?>> queued = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        String subject = "q" + i;
        queued.add(threads.submit(() -> log.append(event(subject))));
      }
      awaitPending(log, queued.size() + 1);
      store.release.countDown();
      first.get(5, TimeUnit.SECONDS);
      for (Future<?> f : queued) {
        f.get(5, TimeUnit.SECONDS);
      }
      assertEquals(2, store.batches.size());
      assertEquals(10, store.batches.get(1).size());
      assertEquals(2, log.batches());
    }
  }

  @Test
  void append_batchUnavailable_failsEveryWaiterWithUnavailable() throws Exception {
    ScriptedStore store = new ScriptedStore();
    try (GroupCommitAuditLog log = new GroupCommitAuditLog(store)) {
      store.failure = new TrustbridgeException(ErrorCode.UNAVAILABLE, Database.UNAVAILABLE_MESSAGE);
      List<Future<?>> appends = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String subject = "s" + i;
        appends.add(threads.submit(() -> log.append(event(subject))));
      }
      awaitPending(log, appends.size());
      store.release.countDown();
      for (Future<?> append : appends) {
        ExecutionException e =
            assertThrows(ExecutionException.class, () -> append.get(5, TimeUnit.SECONDS));
        TrustbridgeException cause = (TrustbridgeException) e.getCause();
        assertEquals(ErrorCode.UNAVAILABLE, cause.code());
        assertEquals(Database.UNAVAILABLE_MESSAGE, cause.getMessage());
      }
      assertEquals(List.of(), store.batches);
      assertEquals(0, log.batches());
    }
  }

  @Test
  void append_batchFailsOtherwise_retriesEachEventAlone() throws Exception {
    ScriptedStore store = new ScriptedStore();
    try (GroupCommitAuditLog log = new GroupCommitAuditLog(store)) {
      store.failure = new TrustbridgeException(ErrorCode.INTERNAL, Database.INTERNAL_MESSAGE);
      Future<?> first = threads.submit(() -> log.append(event("first")));
      assertTrue(store.firstBatchStarted.await(5, TimeUnit.SECONDS));
      List<Future<?>> queued = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String subject = "q" + i;
        queued.add(threads.submit(() -> log.append(event(subject))));
      }
      awaitPending(log, queued.size() + 1);
      store.release.countDown();
      first.get(5, TimeUnit.SECONDS);
      for (Future<?> f : queued) {
        f.get(5, TimeUnit.SECONDS);
      }
      assertEquals(4, store.batches.size());
    }
  }

  @Test
  void close_storesWhatIsQueuedThenRefuses() throws Exception {
    ScriptedStore store = new ScriptedStore();
    GroupCommitAuditLog log = new GroupCommitAuditLog(store);
    List<Future<?>> appends = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String subject = "s" + i;
      appends.add(threads.submit(() -> log.append(event(subject))));
    }
    awaitPending(log, appends.size());
    CompletableFuture<Void> closing = CompletableFuture.runAsync(log::close);
    store.release.countDown();
    closing.get(5, TimeUnit.SECONDS);
    for (Future<?> append : appends) {
      append.get(5, TimeUnit.SECONDS);
    }
    assertEquals(5, store.batches.stream().mapToInt(List::size).sum());
    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> log.append(event("late")));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    // The asynchronous form reports the same refusal through its result, not by throwing.
    CompletableFuture<Void> late = log.appendAsync(event("late"));
    java.util.concurrent.ExecutionException failed =
        assertThrows(
            java.util.concurrent.ExecutionException.class, () -> late.get(5, TimeUnit.SECONDS));
    assertEquals(ErrorCode.UNAVAILABLE, ((TrustbridgeException) failed.getCause()).code());
    log.close(); // idempotent
  }

  /** A store that lets one batch through per permit, and counts the batches it was handed. */
  private static final class GatedStore implements AuditLog {
    final List<List<AuditEvent>> batches = new CopyOnWriteArrayList<>();
    final Semaphore permits = new Semaphore(0);
    final AtomicInteger entered = new AtomicInteger();

    @Override
    public void append(AuditEvent event) {
      appendAll(List.of(event));
    }

    @Override
    public void appendAll(List<AuditEvent> events) {
      entered.incrementAndGet();
      permits.acquireUninterruptibly();
      batches.add(List.copyOf(events));
    }

    @Override
    public List<AuditEvent> query(AuditQuery query) {
      return List.of();
    }

    void awaitEntered(int n) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (entered.get() < n) {
        assertTrue(System.nanoTime() < deadline, entered.get() + " of " + n + " batches started");
        Thread.sleep(5);
      }
    }
  }

  @Test
  void commitDelay_afterABatchOfSeveral_gathersLaterArrivalsIntoOneCommit() throws Exception {
    GatedStore store = new GatedStore();
    GroupCommitAuditLog log = new GroupCommitAuditLog(store, Duration.ofMinutes(1));
    List<CompletableFuture<Void>> appends = new ArrayList<>();
    appends.add(log.appendAsync(event("e0")));
    store.awaitEntered(1); // e0 is committing alone: the first batch never waits
    appends.add(log.appendAsync(event("e1")));
    appends.add(log.appendAsync(event("e2")));
    store.permits.release();
    store.awaitEntered(2); // [e1, e2]: after a batch of one, no wait either
    appends.add(log.appendAsync(event("e3")));
    store.permits.release();
    // After a batch of two the writer gathers: e3 is not handed to the store on its own.
    Thread.sleep(200);
    assertEquals(2, store.entered.get(), store.batches.toString());
    appends.add(log.appendAsync(event("e4")));
    store.permits.release(10);
    // close() ends the gathering at once (not after the minute) and commits what was gathered.
    assertTimeoutPreemptively(Duration.ofSeconds(30), log::close);
    for (CompletableFuture<Void> append : appends) {
      append.get(5, TimeUnit.SECONDS);
    }
    assertEquals(
        List.of(
            List.of(event("e0")),
            List.of(event("e1"), event("e2")),
            List.of(event("e3"), event("e4"))),
        store.batches);
    assertEquals(3, log.batches());
    assertEquals(5, log.events());
  }

  @Test
  void commitDelay_aLoneCaller_neverWaitsForIt() throws Exception {
    GatedStore store = new GatedStore();
    store.permits.release(100);
    try (GroupCommitAuditLog log = new GroupCommitAuditLog(store, Duration.ofMinutes(1))) {
      for (int i = 0; i < 5; i++) {
        // Each append is alone in its batch, so none waits the minute of commit delay.
        log.appendAsync(event("e" + i)).get(30, TimeUnit.SECONDS);
      }
      assertEquals(5, log.batches());
      assertEquals(5, log.events());
    }
  }

  @Test
  void commitDelay_negative_isRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new GroupCommitAuditLog(new GatedStore(), Duration.ofMillis(-1)));
  }

  /** Waits until {@code n} appends are queued or being stored (the scripted store holds them). */
  private static void awaitPending(GroupCommitAuditLog log, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (log.pending() < n) {
      assertTrue(System.nanoTime() < deadline, log.pending() + " of " + n + " appends queued");
      Thread.sleep(5);
    }
  }
}
