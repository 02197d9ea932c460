package dev.trustbridge.ca.audit;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One audit record: who asked for what, and what happened. Times are kept at millisecond precision
 * (the precision the datastore keeps).
 *
 * @param id the id the audit log assigned, increasing with insertion order; 0 before it is stored
 * @param at when it happened
 * @param caller the authenticated identity of the caller, or {@link #ANONYMOUS}
 * @param action what was asked, e.g. {@code x509.sign}, {@code entry.create}, {@code token.create},
 *     {@code authority.activate}
 * @param subject the requested ID or object; may be empty
 * @param outcome one of {@link #OUTCOMES}
 * @param detail a short, caller-safe explanation; may be empty
 * @param serial the serial number (hex) of the certificate issued, if any
 * @param expiresAt the expiry of the certificate or token issued, if any
 */
public record AuditEvent(
    long id,
    Instant at,
    String caller,
    String action,
    String subject,
    String outcome,
    String detail,
    Optional<String> serial,
    Optional<Instant> expiresAt) {

  /** The caller of a request that was not authenticated. */
  public static final String ANONYMOUS = "anonymous";

  /** Outcome: done. */
  public static final String OK = "ok";

  /** Outcome: authenticated, but not allowed. */
  public static final String DENIED = "denied";

  /** Outcome: the request was malformed or outside policy limits. */
  public static final String INVALID = "invalid";

  /** Outcome: the caller could not be authenticated. */
  public static final String UNAUTHENTICATED = "unauthenticated";

  /** Outcome: the server or a backend failed. */
  public static final String ERROR = "error";

  /** Every outcome an event may have. */
  public static final Set<String> OUTCOMES = Set.of(OK, DENIED, INVALID, UNAUTHENTICATED, ERROR);

  /** Checks the invariants. */
  public AuditEvent {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(caller, "caller");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(serial, "serial");
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (id < 0) {
      throw TrustbridgeException.invalidArgument("audit event id must not be negative");
    }
    if (caller.isBlank()) {
      throw TrustbridgeException.invalidArgument("audit event caller must not be blank");
    }
    if (action.isBlank()) {
      throw TrustbridgeException.invalidArgument("audit event action must not be blank");
    }
    if (!OUTCOMES.contains(outcome)) {
      throw TrustbridgeException.invalidArgument("audit event outcome is not one of " + OUTCOMES);
    }
    at = at.truncatedTo(ChronoUnit.MILLIS);
    expiresAt = expiresAt.map(t -> t.truncatedTo(ChronoUnit.MILLIS));
  }

  /** A new event, not yet stored (id 0), without serial or expiry. */
  public static AuditEvent of(
      Instant at, String caller, String action, String subject, String outcome, String detail) {
    return new AuditEvent(
        0, at, caller, action, subject, outcome, detail, Optional.empty(), Optional.empty());
  }

  /** This event with the serial and expiry of what was issued. */
  public AuditEvent withIssued(String serialHex, Instant issuedExpiresAt) {
    return new AuditEvent(
        id,
        at,
        caller,
        action,
        subject,
        outcome,
        detail,
        Optional.of(serialHex),
        Optional.of(issuedExpiresAt));
  }

  /** This event with the id the audit log assigned. */
  public AuditEvent withId(long newId) {
    return new AuditEvent(newId, at, caller, action, subject, outcome, detail, serial, expiresAt);
  }
}
