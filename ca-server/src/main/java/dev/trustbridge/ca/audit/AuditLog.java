package dev.trustbridge.ca.audit;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The append-only record of what was asked of the server and what it did.
 *
 * <p>Implementations are thread safe. Every method throws {@link
 * dev.trustbridge.spiffe.error.TrustbridgeException} with code {@code UNAVAILABLE} if the backing
 * store cannot be reached.
 */
public interface AuditLog {
  /** Appends an event; the log assigns its id (the event's own id is ignored). */
  void append(AuditEvent event);

  /**
   * Appends an event and completes once it is stored, or fails with the {@link
   * dev.trustbridge.spiffe.error.TrustbridgeException} {@link #append} would throw. This default
   * stores it before returning; a log with a writer of its own returns at once, so that a caller
   * can answer from the completion instead of holding a thread while the record is made durable.
   * Failures come through the result, never as an exception of this call.
   */
  default CompletableFuture<Void> appendAsync(AuditEvent event) {
    try {
      append(event);
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Appends events in order, all or none: implementations on a transactional store write them in
   * one transaction. This default appends them one at a time, which is not atomic.
   */
  default void appendAll(List<AuditEvent> events) {
    events.forEach(this::append);
  }

  /** The events matching {@code query}, newest first (by time, then id). */
  List<AuditEvent> query(AuditQuery query);
}
