package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;

/**
 * A peer's X509-SVID failed verification (X509-SVID section 5): the peer is not authenticated, so
 * the code is {@link ErrorCode#UNAUTHENTICATED}. The message is one of the rule constants of {@link
 * X509SvidVerifier}; the cause, if any, carries the library detail (e.g. the PKIX failure).
 */
public final class SvidVerificationException extends TrustbridgeException {
  private static final long serialVersionUID = 1L;

  SvidVerificationException(String rule) {
    super(ErrorCode.UNAUTHENTICATED, rule);
  }

  SvidVerificationException(String rule, Throwable cause) {
    super(ErrorCode.UNAUTHENTICATED, rule, cause);
  }
}
