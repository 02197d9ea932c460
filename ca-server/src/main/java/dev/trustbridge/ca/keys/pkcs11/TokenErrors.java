package dev.trustbridge.ca.keys.pkcs11;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.security.auth.login.FailedLoginException;

/**
 * Turns what SunPKCS11 throws into {@link TrustbridgeException}s. SunPKCS11 reports token errors as
 * {@code ProviderException}, {@code KeyStoreException}, {@code IOException} or {@code
 * GeneralSecurityException} wrapping its internal {@code PKCS11Exception}, whose message is the
 * {@code CKR_*} name; that name is read from the cause chain (the class itself is not exported).
 * Messages name the operation and the {@code CKR_*} code, never the PIN.
 */
final class TokenErrors {
  private static final Pattern CKR = Pattern.compile("CKR_[A-Z0-9_]+");

  private TokenErrors() {}

  /** The first {@code CKR_*} name in the cause chain of {@code error}, if any. */
  static Optional<String> ckr(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      String message = t.getMessage();
      if (message != null) {
        Matcher m = CKR.matcher(message);
        if (m.find()) {
          return Optional.of(m.group());
        }
      }
    }
    return Optional.empty();
  }

  /** True if the token refused the PIN (wrong or locked). */
  static boolean isLoginRefused(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof FailedLoginException) {
        return true;
      }
    }
    return ckr(error)
        .filter(code -> code.equals("CKR_PIN_INCORRECT") || code.startsWith("CKR_PIN_LOCKED"))
        .isPresent();
  }

  /** The token failed while doing {@code operation}: UNAVAILABLE, the caller may retry. */
  static TrustbridgeException unavailable(String operation, Throwable error) {
    return TrustbridgeException.unavailable(
        operation + " failed on the PKCS#11 token" + detailOrCause(error), error);
  }

  static TrustbridgeException loginRefused(String token, Throwable error) {
    String locked =
        ckr(error).filter(code -> code.startsWith("CKR_PIN_LOCKED")).isPresent()
            ? "the user PIN is locked"
            : "wrong PIN";
    return new TrustbridgeException(
        ErrorCode.FAILED_PRECONDITION,
        "PKCS#11 login to " + token + " refused: " + locked + detail(error),
        error);
  }

  private static String detail(Throwable error) {
    return ckr(error).map(code -> " (" + code + ")").orElse("");
  }

  /**
   * The {@code CKR_*} code or else the innermost message (SunPKCS11's own, such as "slotListIndex
   * is 9 but token only has 2 slots"), which carry no secrets: SunPKCS11 never puts a PIN or key
   * value in a message.
   */
  private static String detailOrCause(Throwable error) {
    String detail = detail(error);
    if (!detail.isEmpty() || error == null) {
      return detail;
    }
    String message = null;
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
      }
    }
    if (message == null) {
      return " (" + error.getClass().getSimpleName() + ")";
    }
    message = message.replaceAll("\\p{Cntrl}", " ");
    return " (" + (message.length() > 200 ? message.substring(0, 200) + "..." : message) + ")";
  }
}
