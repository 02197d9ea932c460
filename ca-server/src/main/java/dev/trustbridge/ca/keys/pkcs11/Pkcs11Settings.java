package dev.trustbridge.ca.keys.pkcs11;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.KeyIds;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where a {@link Pkcs11KeyManager} finds its token and which part of it it owns.
 *
 * @param library the PKCS#11 module, e.g. {@code /usr/lib/softhsm/libsofthsm2.so}
 * @param slotListIndex the token's position in the module's slot list (SunPKCS11's {@code
 *     slotListIndex}; there is no way to select a token by label)
 * @param pin the user PIN; the record keeps its own copy and hands out copies, and {@link
 *     #toString()} never shows it
 * @param labelPrefix prepended to every key id to form the PKCS#11 label ({@code CKA_LABEL} of the
 *     certificate, {@code CKA_ID} of the private key), so that several managers can share a token.
 *     Empty, or at most 64 printable ASCII characters ending in a character that key ids cannot
 *     contain (such as {@code /} or {@code :}), so that no two prefixes' key spaces overlap.
 */
public record Pkcs11Settings(Path library, int slotListIndex, char[] pin, String labelPrefix) {
  private static final int MAX_PREFIX_LENGTH = 64;

  public Pkcs11Settings {
    Objects.requireNonNull(library, "library");
    Objects.requireNonNull(pin, "pin");
    Objects.requireNonNull(labelPrefix, "labelPrefix");
    if (slotListIndex < 0) {
      throw TrustbridgeException.invalidArgument(
          "PKCS#11 slotListIndex must be 0 or more, not " + slotListIndex);
    }
    if (pin.length == 0) {
      throw TrustbridgeException.invalidArgument("PKCS#11 PIN is empty");
    }
    requireUsableLibraryPath(library);
    requireValidPrefix(labelPrefix);
    pin = pin.clone();
  }

  /** A settings object without a label prefix: key ids are the labels. */
  public Pkcs11Settings(Path library, int slotListIndex, char[] pin) {
    this(library, slotListIndex, pin, "");
  }

  /** A copy of the PIN; the caller should wipe it after use. */
  @Override
  public char[] pin() {
    return pin.clone();
  }

  /** The PKCS#11 label of a key id. */
  String label(String keyId) {
    return labelPrefix + keyId;
  }

  /** The key id a label stands for in this prefix's key space, or null if it is not in it. */
  String keyIdOf(String label) {
    if (!label.startsWith(labelPrefix)) {
      return null;
    }
    String keyId = label.substring(labelPrefix.length());
    return KeyIds.isValid(keyId) ? keyId : null;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Pkcs11Settings that
        && library.equals(that.library)
        && slotListIndex == that.slotListIndex
        && Arrays.equals(pin, that.pin)
        && labelPrefix.equals(that.labelPrefix);
  }

  @Override
  public int hashCode() {
    // The PIN stays out of the hash, which may end up in logs or debuggers.
    return Objects.hash(library, slotListIndex, labelPrefix);
  }

  @Override
  public String toString() {
    return "Pkcs11Settings[library="
        + library
        + ", slotListIndex="
        + slotListIndex
        + ", pin=***, labelPrefix='"
        + labelPrefix
        + "']";
  }

  /**
   * The path goes into SunPKCS11's configuration text, which expands {@code ${...}} and treats
   * quotes and backslashes specially; a path with such characters is refused rather than escaped.
   */
  private static void requireUsableLibraryPath(Path library) {
    String text = library.toString();
    boolean plain = text.chars().allMatch(c -> c >= 0x20 && c != '"' && c != '\\' && c != '$');
    if (!library.isAbsolute() || !plain) {
      throw TrustbridgeException.invalidArgument(
          "PKCS#11 library must be an absolute path without quotes, backslashes, '$' or control"
              + " characters: "
              + text.replaceAll("\\p{Cntrl}", "?"));
    }
  }

  private static void requireValidPrefix(String prefix) {
    if (prefix.isEmpty()) {
      return;
    }
    boolean printable = prefix.chars().allMatch(c -> c >= 0x21 && c < 0x7f);
    char last = prefix.charAt(prefix.length() - 1);
    boolean separated = !KeyIds.isValid("a" + last);
    if (prefix.length() > MAX_PREFIX_LENGTH || !printable || !separated) {
      throw TrustbridgeException.invalidArgument(
          "PKCS#11 labelPrefix must be empty or up to "
              + MAX_PREFIX_LENGTH
              + " printable ASCII characters (no spaces) ending in a character key ids cannot"
              + " contain, such as '/' or ':'");
    }
  }
}
