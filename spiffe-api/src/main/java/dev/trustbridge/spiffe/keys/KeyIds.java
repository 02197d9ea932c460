package dev.trustbridge.spiffe.keys;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The rule for key ids that every {@link KeyManager} enforces: 1 to 128 characters from {@code
 * [A-Za-z0-9._-]}, not starting with a dot. Such an id is safe as a file name, a PKCS#11 label and
 * a Vault key name: it cannot climb out of a directory ({@code ..}), name a hidden file, or carry
 * separators or control characters.
 */
public final class KeyIds {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");

  private KeyIds() {}

  /** True if {@code keyId} follows the rule. */
  public static boolean isValid(String keyId) {
    return keyId != null && VALID.matcher(keyId).matches();
  }

  /**
   * Returns {@code keyId} if it follows the rule.
   *
   * @throws NullPointerException if {@code keyId} is null
   * @throws TrustbridgeException with code {@code INVALID_ARGUMENT} otherwise
   */
  public static String requireValid(String keyId) {
    Objects.requireNonNull(keyId, "keyId");
    if (!isValid(keyId)) {
      throw TrustbridgeException.invalidArgument(
          "invalid key id "
              + quoteForMessage(keyId)
              + ": use 1 to 128 characters from A-Z a-z 0-9 . _ - and do not start with '.'");
    }
    return keyId;
  }

  /** The id for an error message: truncated and with anything unprintable escaped. */
  private static String quoteForMessage(String keyId) {
    StringBuilder out = new StringBuilder("'");
    int limit = Math.min(keyId.length(), 64);
    for (int i = 0; i < limit; i++) {
      char c = keyId.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '\'') {
        out.append(c);
      } else {
        out.append(String.format("\\u%04x", (int) c));
      }
    }
    if (keyId.length() > limit) {
      out.append("...");
    }
    return out.append('\'').toString();
  }
}
