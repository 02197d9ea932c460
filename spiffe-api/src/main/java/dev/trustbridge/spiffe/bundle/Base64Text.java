package dev.trustbridge.spiffe.bundle;

import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Strict base64 decoding: only the canonical encoding of some byte string is accepted, so that a
 * value has exactly one spelling (no missing or extra padding, no non-zero trailing bits, no
 * whitespace, no mixing of the two alphabets).
 */
final class Base64Text {
  private static final Pattern STANDARD = Pattern.compile("[A-Za-z0-9+/]*={0,2}");
  private static final Pattern URL_UNPADDED = Pattern.compile("[A-Za-z0-9_-]*");

  private Base64Text() {}

  /** Decodes padded standard base64 (RFC 4648 section 4), as {@code x5c} and PEM use. */
  static Optional<byte[]> decodeStandard(String text) {
    if (text.isEmpty() || text.length() % 4 != 0 || !STANDARD.matcher(text).matches()) {
      return Optional.empty();
    }
    byte[] bytes = Base64.getDecoder().decode(text);
    return Base64.getEncoder().encodeToString(bytes).equals(text)
        ? Optional.of(bytes)
        : Optional.empty();
  }

  /** Decodes unpadded base64url (RFC 7515 section 2), as JWK key parameters use. */
  static Optional<byte[]> decodeUrlUnpadded(String text) {
    if (text.isEmpty() || !URL_UNPADDED.matcher(text).matches()) {
      return Optional.empty();
    }
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      return Optional.empty(); // a length of 1 mod 4 is not a valid encoding
    }
    return encodeUrlUnpadded(bytes).equals(text) ? Optional.of(bytes) : Optional.empty();
  }

  static String encodeStandard(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  static String encodeUrlUnpadded(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
