package dev.trustbridge.spiffe.svid;

import java.util.Arrays;

/**
 * Reads TLVs of strict DER (single-octet tags, minimal definite lengths) from a byte array. It is a
 * fast path only: anything else, BER included, reads as "not here" ({@link #next()} returns false)
 * so that the caller can hand the input to Bouncy Castle, which then accepts or rejects it exactly
 * as before.
 */
final class DerReader {
  private final byte[] der;
  private final int limit;
  private int position;
  private boolean failed;
  private int tag = -1;
  private int contentStart;
  private int contentLength;

  DerReader(byte[] der) {
    this(der, 0, der.length);
  }

  private DerReader(byte[] der, int from, int to) {
    this.der = der;
    this.position = from;
    this.limit = to;
  }

  /**
   * The contents of {@code der} if it is exactly one strict-DER value with this tag (the whole
   * array, nothing after it), else null.
   */
  static byte[] contentsOfOnly(byte[] der, int tag) {
    DerReader reader = new DerReader(der);
    if (reader.next() && reader.tag() == tag && reader.atEnd()) {
      return reader.contentBytes();
    }
    return null;
  }

  /**
   * True if {@code der} is exactly one value in the form Bouncy Castle's DER encoder would write it
   * again: strict lengths all the way down through SEQUENCEs and context-specific constructed
   * values, INTEGERs without redundant sign octets, BOOLEANs of 0x00 or 0xFF. SETs (which DER
   * sorts) and constructed strings (which DER makes primitive) count as not strict.
   */
  static boolean isStrictDer(byte[] der) {
    DerReader reader = new DerReader(der);
    return reader.next() && reader.isStrictValue() && reader.atEnd();
  }

  private boolean isStrictValue() {
    if ((tag & 0x20) != 0) {
      if (tag != 0x30 && (tag & 0xC0) != 0x80) {
        return false;
      }
      DerReader inner = contents();
      while (inner.next()) {
        if (!inner.isStrictValue()) {
          return false;
        }
      }
      return inner.atEnd();
    }
    return switch (tag) {
      case 0x01 -> contentLength == 1 && (der[contentStart] == 0 || der[contentStart] == -1);
      case 0x02 ->
          contentLength == 1
              || (contentLength > 1
                  && !redundantSignOctet(der[contentStart], der[contentStart + 1]));
      default -> true;
    };
  }

  private static boolean redundantSignOctet(byte first, byte second) {
    return (first == 0 && second >= 0) || (first == -1 && second < 0);
  }

  /**
   * Moves to the next value. False at the end of the input, and from then on, if the next octets
   * are not a strict-DER TLV that fits in the input.
   */
  boolean next() {
    if (failed || position >= limit) {
      return false;
    }
    int p = position;
    int t = der[p++] & 0xFF;
    if ((t & 0x1F) == 0x1F || p >= limit) {
      return fail(); // multi-octet tag, or no length
    }
    int first = der[p++] & 0xFF;
    int length = first;
    if (first >= 0x80) {
      int octets = first & 0x7F;
      // 0x80 is BER's indefinite length; four octets would allow lengths beyond any certificate.
      if (octets == 0 || octets > 3 || limit - p < octets || der[p] == 0) {
        return fail();
      }
      length = 0;
      for (int i = 0; i < octets; i++) {
        length = (length << 8) | (der[p++] & 0xFF);
      }
      if (length < 0x80) {
        return fail(); // fits the short form, so the long form is not minimal
      }
    }
    if (limit - p < length) {
      return fail();
    }
    tag = t;
    contentStart = p;
    contentLength = length;
    position = p + length;
    return true;
  }

  /** The tag octet of the current value. */
  int tag() {
    return tag;
  }

  /** True when every value has been read and all of them were strict DER. */
  boolean atEnd() {
    return !failed && position == limit;
  }

  /** A reader over the contents of the current value. */
  DerReader contents() {
    return new DerReader(der, contentStart, contentStart + contentLength);
  }

  /** A copy of the contents of the current value. */
  byte[] contentBytes() {
    return Arrays.copyOfRange(der, contentStart, contentStart + contentLength);
  }

  private boolean fail() {
    failed = true;
    return false;
  }
}
