package dev.trustbridge.ca.audit;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link AuditLog} that lets concurrent appends share one transaction (a group commit).
 *
 * <p>Each {@link #append} queues its event and waits until one writer thread has committed it: an
 * append still returns only once its record is durable, so an issuance is never answered without
 * its audit record. While one batch commits, the next calls queue up, and the writer then stores
 * everything queued in one {@link AuditLog#appendAll} call: one transaction, one fsync, for as many
 * events as arrived during the previous one.
 *
 * <p>Under load the writer also waits a little before it commits (the commit delay, as PostgreSQL's
 * {@code commit_delay}): when the previous batch held more than one event, events are arriving
 * faster than one commit takes, so the writer gathers for up to {@link #DEFAULT_COMMIT_DELAY} more
 * before it commits, and one fsync serves several times as many events. A lone caller (the previous
 * batch held one event) never waits for it.
 *
 * <p>If a batch fails with {@code UNAVAILABLE}, every append in it fails with {@code UNAVAILABLE}
 * and no event of it is stored. If it fails otherwise, its events are retried one by one, so that
 * one bad event does not fail the others. {@link #close()} stores what is queued, then refuses
 * appends with {@code UNAVAILABLE}.
 */
public final class GroupCommitAuditLog implements AuditLog, AutoCloseable {
  /** The most events in one transaction, so one commit stays short. */
  static final int MAX_BATCH = 1_000;

  /**
   * How long the writer gathers events before it commits, when the previous batch held more than
   * one; measured in docs/benchmarks.md (2,200 commits of 2.6 events each per second at peak
   * without it).
   */
  public static final Duration DEFAULT_COMMIT_DELAY = Duration.ofMillis(1);

  private static final Logger log = LoggerFactory.getLogger(GroupCommitAuditLog.class);
  private static final String UNAVAILABLE_MESSAGE = "datastore unavailable";

  private record Pending(AuditEvent event, CompletableFuture<Void> done) {}

  private final AuditLog store;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private final long commitDelayNanos;
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicInteger pending = new AtomicInteger();
  private final Object lifecycle = new Object();
  private boolean closing; // guarded by lifecycle

  /**
   * Starts the writer thread.
   *
   * @param store where batches go; its {@link AuditLog#appendAll} must be one transaction
   */
  public GroupCommitAuditLog(AuditLog store) {
    this(store, DEFAULT_COMMIT_DELAY);
  }

  /**
   * Starts the writer thread, with a commit delay of {@code commitDelay} under load ({@link
   * Duration#ZERO}: none).
   */
  public GroupCommitAuditLog(AuditLog store, Duration commitDelay) {
    this.store = Objects.requireNonNull(store, "store");
    Objects.requireNonNull(commitDelay, "commitDelay");
    if (commitDelay.isNegative()) {
      throw new IllegalArgumentException("commitDelay must not be negative: " + commitDelay);
    }
    this.commitDelayNanos = commitDelay.toNanos();
    this.writer = new Thread(this::writeLoop, "trustbridge-audit-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /**
   * Appends {@code event} and returns once it is committed, together with whatever other events
   * were queued with it.
   */
  @Override
  public void append(AuditEvent event) {
    awaitStored(appendAsync(event));
  }

  /**
   * Queues {@code event}; the result completes on the writer thread once the batch holding it is
   * committed, or fails with a {@link TrustbridgeException} of this waiter's own (after {@link
   * #close()}, at once with {@code UNAVAILABLE}). Attach callbacks that do real work with an {@code
   * ...Async} method and an executor: the writer commits the next batch only after running whatever
   * was attached directly.
   */
  @Override
  public CompletableFuture<Void> appendAsync(AuditEvent event) {
    Objects.requireNonNull(event, "event");
    CompletableFuture<Void> done = new CompletableFuture<>();
    synchronized (lifecycle) {
      if (closing) {
        return CompletableFuture.failedFuture(
            new TrustbridgeException(
                ErrorCode.UNAVAILABLE, UNAVAILABLE_MESSAGE, new IllegalStateException("closed")));
      }
      pending.incrementAndGet();
      queue.add(new Pending(event, done));
    }
    return done.exceptionallyCompose(failure -> CompletableFuture.failedFuture(rethrown(failure)));
  }

  /** Appends the events in one transaction of their own, without waiting for a batch. */
  @Override
  public void appendAll(List<AuditEvent> events) {
    store.appendAll(events);
  }

  @Override
  public List<AuditEvent> query(AuditQuery query) {
    return store.query(query);
  }

  /** How many appends are waiting for their batch to be stored; for metrics and tests. */
  public int pending() {
    return pending.get();
  }

  /** How many batches the writer has stored; for metrics and tests. */
  public long batches() {
    return batches.get();
  }

  /** How many events the writer has stored, in batches or one by one; for metrics and tests. */
  public long events() {
    return events.get();
  }

  /**
   * Stores every event queued so far, then stops the writer; later appends fail with {@code
   * UNAVAILABLE}. Does not close the underlying store. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closing) {
        return;
      }
      closing = true;
      queue.add(new Pending(null, null)); // after every event; the writer stops when it sees it
    }
    boolean interrupted = false;
    while (writer.isAlive()) {
      try {
        writer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    boolean stop = false;
    int previous = 0;
    while (!stop) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        continue; // only close() ends the writer, after the queue is drained
      }
      queue.drainTo(batch, MAX_BATCH - batch.size());
      if (previous > 1 && commitDelayNanos > 0) {
        gather(batch, System.nanoTime() + commitDelayNanos);
      }
      if (batch.get(batch.size() - 1).event() == null) {
        batch.remove(batch.size() - 1);
        stop = true;
      }
      previous = batch.size();
      if (!batch.isEmpty()) {
        store(batch);
        pending.addAndGet(-batch.size());
      }
      batch.clear();
    }
  }

  /**
   * Adds events to {@code batch} as they arrive until {@code deadline} (a {@link System#nanoTime}),
   * a full batch, or the end-of-queue marker.
   */
  private void gather(List<Pending> batch, long deadline) {
    while (batch.size() < MAX_BATCH && batch.get(batch.size() - 1).event() != null) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      Pending next;
      try {
        next = queue.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        return; // commit what is gathered; only close() ends the writer
      }
      if (next == null) {
        return;
      }
      batch.add(next);
      queue.drainTo(batch, MAX_BATCH - batch.size());
    }
  }

  private void store(List<Pending> batch) {
    try {
      store.appendAll(batch.stream().map(Pending::event).toList());
      batches.incrementAndGet();
      events.addAndGet(batch.size());
      batch.forEach(p -> p.done().complete(null));
    } catch (TrustbridgeException e) {
      if (e.code() == ErrorCode.UNAVAILABLE || batch.size() == 1) {
        batch.forEach(p -> p.done().completeExceptionally(e));
      } else {
        log.warn("audit batch of {} failed ({}); storing its events one by one", batch.size(), e);
        batch.forEach(this::storeAlone);
      }
    } catch (RuntimeException | Error e) {
      log.error("audit batch failed", e);
      batch.forEach(p -> p.done().completeExceptionally(e));
    }
  }

  private void storeAlone(Pending pending) {
    try {
      store.appendAll(List.of(pending.event()));
      batches.incrementAndGet();
      events.incrementAndGet();
      pending.done().complete(null);
    } catch (RuntimeException e) {
      pending.done().completeExceptionally(e);
    }
  }

  /**
   * Waits for a result that completes once something is stored, and returns it, or throws its
   * failure ({@link CompletionException}s unwrapped). Not interruptible: the record is queued and
   * will be stored, and the caller must not go on (answer an issuance, say) before it is.
   */
  public static <T> T awaitStored(CompletableFuture<T> stored) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return stored.get(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (java.util.concurrent.TimeoutException e) {
          log.warn("audit append has waited a minute for the writer; still waiting");
        } catch (ExecutionException e) {
          throw unwrap(e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The failure a future's callback sees, without the {@link CompletionException} wrapper. */
  public static RuntimeException unwrap(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof RuntimeException e) {
      return e;
    }
    if (cause instanceof Error e) {
      throw e;
    }
    return new TrustbridgeException(ErrorCode.INTERNAL, "datastore error", cause);
  }

  /**
   * A new exception for this waiter, so that waiters do not share (and add suppressed exceptions
   * to) one instance; the batch's failure is its cause.
   */
  private static RuntimeException rethrown(Throwable failure) {
    if (failure instanceof TrustbridgeException e) {
      return new TrustbridgeException(e.code(), e.getMessage(), e);
    }
    return new TrustbridgeException(ErrorCode.INTERNAL, "datastore error", failure);
  }
}
