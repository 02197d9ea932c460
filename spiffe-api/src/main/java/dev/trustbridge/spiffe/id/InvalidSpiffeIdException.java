package dev.trustbridge.spiffe.id;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;

/**
 * A string is not a valid SPIFFE ID or trust domain name. The message is one of the constants of
 * {@link SpiffeIdRules}, naming exactly which rule was broken.
 */
public final class InvalidSpiffeIdException extends TrustbridgeException {
  private static final long serialVersionUID = 1L;

  InvalidSpiffeIdException(String message) {
    super(ErrorCode.INVALID_ARGUMENT, message);
  }
}
