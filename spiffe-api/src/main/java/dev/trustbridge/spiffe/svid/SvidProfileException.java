package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;

/**
 * A certificate this CA built breaks a rule of the X509-SVID profile (a producer-side rule). This
 * is always a Trustbridge bug or a misconfigured authority, never the caller's fault, so the code
 * is {@link ErrorCode#INTERNAL}. The message is one of the rule constants of {@link
 * X509SvidProfileChecker}.
 */
public final class SvidProfileException extends TrustbridgeException {
  private static final long serialVersionUID = 1L;

  SvidProfileException(String rule) {
    super(ErrorCode.INTERNAL, rule);
  }

  SvidProfileException(String rule, Throwable cause) {
    super(ErrorCode.INTERNAL, rule, cause);
  }
}
