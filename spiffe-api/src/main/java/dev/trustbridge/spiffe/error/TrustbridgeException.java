package dev.trustbridge.spiffe.error;

import java.util.Objects;

/**
 * The one unchecked exception type of Trustbridge. Its {@link ErrorCode} decides the status a
 * caller sees; its message is safe to show to that caller (it never contains key material, tokens
 * or whole CSRs).
 */
public class TrustbridgeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public TrustbridgeException(ErrorCode code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  public TrustbridgeException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /** The error code that decides the caller-visible status. */
  public ErrorCode code() {
    return code;
  }

  /** Shorthand for an {@link ErrorCode#INVALID_ARGUMENT} error. */
  public static TrustbridgeException invalidArgument(String message) {
    return new TrustbridgeException(ErrorCode.INVALID_ARGUMENT, message);
  }

  /** Shorthand for an {@link ErrorCode#UNAVAILABLE} error caused by a backend failure. */
  public static TrustbridgeException unavailable(String message, Throwable cause) {
    return new TrustbridgeException(ErrorCode.UNAVAILABLE, message, cause);
  }
}
