package dev.trustbridge.ca.audit;

import java.util.List;

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
   * Appends events in order, all or none: implementations on a transactional store write them in
   * one transaction. This default appends them one at a time, which is not atomic.
   */
  default void appendAll(List<AuditEvent> events) {
    events.forEach(this::append);
  }

  /** The events matching {@code query}, newest first (by time, then id). */
  List<AuditEvent> query(AuditQuery query);
}
