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

  /** The events matching {@code query}, newest first (by time, then id). */
  List<AuditEvent> query(AuditQuery query);
}
