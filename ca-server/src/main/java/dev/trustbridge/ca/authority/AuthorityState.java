package dev.trustbridge.ca.authority;

/**
 * Where a CA stands in its trust domain's authority journal. A CA only moves forward: {@code
 * PREPARED -> ACTIVE -> OLD}, or {@code PREPARED -> OLD} for one dropped before it signed.
 */
public enum AuthorityState {
  /** Published in the bundle, not yet signing. */
  PREPARED,
  /** Signing. */
  ACTIVE,
  /** No longer signing; stays in the bundle until the last certificate it signed expires. */
  OLD;

  /** True if a CA in this state may move to {@code next}. */
  public boolean canMoveTo(AuthorityState next) {
    return next.ordinal() > ordinal();
  }
}
