package dev.trustbridge.spiffe.error;

/**
 * What went wrong, in the terms a caller can act on. Each code maps to exactly one gRPC status and
 * one HTTP status; the mapping lives in one place per transport.
 */
public enum ErrorCode {
  /** The caller sent something malformed or outside policy limits; retrying will not help. */
  INVALID_ARGUMENT,
  /** The caller could not be authenticated. */
  UNAUTHENTICATED,
  /** The caller is known but may not do this; also used where "no such thing" must not leak. */
  PERMISSION_DENIED,
  /** The named object does not exist (only where existence is not a secret). */
  NOT_FOUND,
  /** The object to create exists already. */
  ALREADY_EXISTS,
  /** The system is not in a state that allows the operation. */
  FAILED_PRECONDITION,
  /** A backend (datastore, Vault, HSM, peer) is unreachable; the caller should retry. */
  UNAVAILABLE,
  /** Too much load or a quota was hit; the caller should back off and retry. */
  RESOURCE_EXHAUSTED,
  /** A bug or an unexpected state; carries a correlation id, never internals. */
  INTERNAL
}
