package dev.trustbridge.ca.audit;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Which audit events to return. Every present filter must match; results come newest first, at most
 * {@code limit} of them.
 *
 * @param since only events at or after this instant
 * @param until only events before this instant
 * @param subject only events with exactly this subject
 * @param action only events with exactly this action
 * @param outcome only events with exactly this outcome
 * @param limit the most events to return, 1 to {@link #MAX_LIMIT}
 */
public record AuditQuery(
    Optional<Instant> since,
    Optional<Instant> until,
    Optional<String> subject,
    Optional<String> action,
    Optional<String> outcome,
    int limit) {

  /** The limit of a query that does not set one. */
  public static final int DEFAULT_LIMIT = 100;

  /** The largest limit allowed. */
  public static final int MAX_LIMIT = 10_000;

  /** Checks the invariants. */
  public AuditQuery {
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(until, "until");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(outcome, "outcome");
    if (limit < 1 || limit > MAX_LIMIT) {
      throw TrustbridgeException.invalidArgument(
          "audit query limit must be between 1 and " + MAX_LIMIT);
    }
  }

  /** The newest {@link #DEFAULT_LIMIT} events, unfiltered. */
  public static AuditQuery newest() {
    return new AuditQuery(
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        DEFAULT_LIMIT);
  }

  /** This query, only events at or after {@code at}. */
  public AuditQuery withSince(Instant at) {
    return new AuditQuery(Optional.of(at), until, subject, action, outcome, limit);
  }

  /** This query, only events before {@code at}. */
  public AuditQuery withUntil(Instant at) {
    return new AuditQuery(since, Optional.of(at), subject, action, outcome, limit);
  }

  /** This query, only events with this subject. */
  public AuditQuery withSubject(String value) {
    return new AuditQuery(since, until, Optional.of(value), action, outcome, limit);
  }

  /** This query, only events with this action. */
  public AuditQuery withAction(String value) {
    return new AuditQuery(since, until, subject, Optional.of(value), outcome, limit);
  }

  /** This query, only events with this outcome. */
  public AuditQuery withOutcome(String value) {
    return new AuditQuery(since, until, subject, action, Optional.of(value), limit);
  }

  /** This query with another limit. */
  public AuditQuery withLimit(int value) {
    return new AuditQuery(since, until, subject, action, outcome, value);
  }
}
