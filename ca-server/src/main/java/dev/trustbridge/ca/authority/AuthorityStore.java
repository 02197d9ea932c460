package dev.trustbridge.ca.authority;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The authority journal: the CAs of each trust domain and their states, shared by every replica.
 * State changes are compare-and-set, so two replicas cannot both move the same CA.
 *
 * <p>Implementations are thread safe. Every method throws {@link
 * dev.trustbridge.spiffe.error.TrustbridgeException} with code {@code UNAVAILABLE} if the backing
 * store cannot be reached.
 */
public interface AuthorityStore {
  /**
   * Adds a CA to the journal.
   *
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException {@code ALREADY_EXISTS} if a record
   *     with the same id exists
   */
  void insert(AuthorityRecord record);

  /**
   * As {@link #insert(AuthorityRecord)}, and appends {@code event} to the audit log in the same
   * transaction: both are stored or neither is, so a crash cannot leave a step without its record.
   */
  void insert(AuthorityRecord record, AuditEvent event);

  /** The CAs of one trust domain, oldest first (by creation time, then id). */
  List<AuthorityRecord> list(TrustDomain trustDomain);

  /** The CA with this id, or empty. */
  Optional<AuthorityRecord> get(String id);

  /**
   * Moves a CA from state {@code expected} to {@code next}, recording {@code at} as its update
   * time, if and only if it is in {@code expected} now.
   *
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException {@code NOT_FOUND} if there is no such
   *     CA; {@code FAILED_PRECONDITION} if its state is not {@code expected} (nothing is changed)
   *     or {@code next} is not a forward move from {@code expected} (see {@link
   *     AuthorityState#canMoveTo})
   */
  void transition(String id, AuthorityState expected, AuthorityState next, Instant at);

  /**
   * As {@link #transition(String, AuthorityState, AuthorityState, Instant)}, and appends {@code
   * event} to the audit log in the same transaction, only if the transition happens.
   */
  void transition(
      String id, AuthorityState expected, AuthorityState next, Instant at, AuditEvent event);

  /** Removes a CA from the journal; does nothing if there is none. */
  void delete(String id);

  /**
   * Marks a CA tainted; idempotent (the first time is kept).
   *
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException {@code NOT_FOUND} if there is no such
   *     CA
   */
  void taint(String id, Instant at);

  /** As {@link #taint(String, Instant)}, appending {@code event} in the same transaction. */
  void taint(String id, Instant at, AuditEvent event);

  /**
   * Marks a CA revoked; idempotent (the first time is kept).
   *
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException {@code NOT_FOUND} if there is no such
   *     CA
   */
  void revoke(String id, Instant at);

  /** As {@link #revoke(String, Instant)}, appending {@code event} in the same transaction. */
  void revoke(String id, Instant at, AuditEvent event);

  /** The marks of the CAs of one trust domain, keyed by authority id (unmarked CAs are absent). */
  java.util.Map<String, AuthorityMark> marks(TrustDomain trustDomain);
}
