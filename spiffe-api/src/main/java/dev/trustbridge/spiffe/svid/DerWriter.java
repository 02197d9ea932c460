package dev.trustbridge.spiffe.svid;

import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;

/**
 * Writes DER (X.690 distinguished encoding) into a growing byte array: just the types a leaf
 * certificate needs, with single-octet tags. Constructed values are opened with {@link #begin} and
 * closed with {@link #end}, which writes the minimal definite length (moving the contents along
 * when the length needs more than one octet).
 *
 * <p>Not thread safe; one writer per encoding.
 */
final class DerWriter {
  static final int BOOLEAN = 0x01;
  static final int INTEGER = 0x02;
  static final int BIT_STRING = 0x03;
  static final int OCTET_STRING = 0x04;
  static final int OBJECT_IDENTIFIER = 0x06;
  static final int UTC_TIME = 0x17;
  static final int GENERALIZED_TIME = 0x18;
  static final int SEQUENCE = 0x30;

  /** Context-specific tag {@code [n]}, constructed (EXPLICIT or a constructed IMPLICIT type). */
  static int contextConstructed(int n) {
    return 0xA0 | n;
  }

  /** Context-specific tag {@code [n]}, primitive (IMPLICIT over a primitive type). */
  static int contextPrimitive(int n) {
    return 0x80 | n;
  }

  private byte[] buffer;
  private int size;
  private int[] open = new int[8]; // start of the contents of each unclosed value
  private int depth;

  DerWriter(int initialCapacity) {
    buffer = new byte[Math.max(16, initialCapacity)];
  }

  /** Opens a constructed value; its length is written by the matching {@link #end()}. */
  DerWriter begin(int tag) {
    ensure(2);
    buffer[size++] = (byte) tag;
    buffer[size++] = 0; // placeholder for a one-octet length
    if (depth == open.length) {
      open = Arrays.copyOf(open, depth * 2);
    }
    open[depth++] = size;
    return this;
  }

  /** Closes the value opened last. */
  DerWriter end() {
    if (depth == 0) {
      throw new IllegalStateException("no open value");
    }
    int start = open[--depth];
    int contentLength = size - start;
    int extra = lengthOctets(contentLength) - 1;
    if (extra > 0) {
      ensure(extra);
      System.arraycopy(buffer, start, buffer, start + extra, contentLength);
      size += extra;
    }
    putLength(start - 1, contentLength);
    return this;
  }

  /** Writes an already encoded TLV (or several) as they are. */
  DerWriter raw(byte[] der) {
    ensure(der.length);
    System.arraycopy(der, 0, buffer, size, der.length);
    size += der.length;
    return this;
  }

  /** Writes a primitive value with the given tag and contents. */
  DerWriter primitive(int tag, byte[] contents) {
    header(tag, contents.length);
    return raw(contents);
  }

  /** INTEGER: minimal two's complement, so a positive value with its top bit set gets 0x00. */
  DerWriter integer(BigInteger value) {
    return primitive(INTEGER, value.toByteArray());
  }

  /** BOOLEAN; DER encodes TRUE as 0xFF. */
  DerWriter bool(boolean value) {
    ensure(3);
    buffer[size++] = BOOLEAN;
    buffer[size++] = 1;
    buffer[size++] = (byte) (value ? 0xFF : 0x00);
    return this;
  }

  /**
   * A string type whose characters are single octets (IA5String, here under an IMPLICIT tag): each
   * char is written as its low octet, as Bouncy Castle's {@code DERIA5String} does; callers pass
   * ASCII.
   */
  DerWriter octetChars(int tag, String value) {
    int length = value.length();
    header(tag, length);
    ensure(length);
    for (int i = 0; i < length; i++) {
      buffer[size++] = (byte) value.charAt(i);
    }
    return this;
  }

  /** BIT STRING holding whole octets (no unused bits), e.g. a signature. */
  DerWriter bitString(byte[] octets) {
    header(BIT_STRING, octets.length + 1);
    ensure(1);
    buffer[size++] = 0;
    return raw(octets);
  }

  /**
   * BIT STRING of a NamedBitList (e.g. KeyUsage) with the given bits set, bit 0 being the most
   * significant bit of the first octet. DER drops trailing zero bits (X.690 11.2.2), so the value
   * ends at the highest set bit and the first contents octet counts the unused bits of the last.
   */
  DerWriter namedBits(int... setBits) {
    int highest = -1;
    for (int bit : setBits) {
      if (bit < 0) {
        throw new IllegalArgumentException("negative bit " + bit);
      }
      highest = Math.max(highest, bit);
    }
    int octets = highest < 0 ? 0 : highest / 8 + 1;
    byte[] contents = new byte[octets + 1];
    contents[0] = (byte) (highest < 0 ? 0 : 7 - highest % 8);
    for (int bit : setBits) {
      contents[1 + bit / 8] |= (byte) (0x80 >>> (bit % 8));
    }
    return primitive(BIT_STRING, contents);
  }

  /**
   * An X.509 Time (RFC 5280 section 4.1.2.5): UTCTime {@code YYMMDDHHMMSSZ} for years 1950 to 2049,
   * GeneralizedTime {@code YYYYMMDDHHMMSSZ} otherwise. Certificates carry whole seconds only.
   *
   * @throws IllegalArgumentException for a fraction of a second or a year outside 0000 to 9999
   */
  DerWriter time(Instant instant) {
    if (instant.getNano() != 0) {
      throw new IllegalArgumentException("X.509 times are whole seconds: " + instant);
    }
    LocalDateTime t = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
    int year = t.getYear();
    if (year < 0 || year > 9999) {
      throw new IllegalArgumentException("year out of range for X.509: " + instant);
    }
    boolean utc = year >= 1950 && year <= 2049;
    header(utc ? UTC_TIME : GENERALIZED_TIME, utc ? 13 : 15);
    ensure(15);
    if (utc) {
      digits(year % 100, 2);
    } else {
      digits(year, 4);
    }
    digits(t.getMonthValue(), 2);
    digits(t.getDayOfMonth(), 2);
    digits(t.getHour(), 2);
    digits(t.getMinute(), 2);
    digits(t.getSecond(), 2);
    buffer[size++] = 'Z';
    return this;
  }

  /** The encoding so far; every begun value must have been ended. */
  byte[] toByteArray() {
    if (depth != 0) {
      throw new IllegalStateException(depth + " values still open");
    }
    return Arrays.copyOf(buffer, size);
  }

  /** How many octets a DER length of {@code length} takes, the initial octet included. */
  static int lengthOctets(int length) {
    if (length < 0x80) {
      return 1;
    }
    return 1 + (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
  }

  private void header(int tag, int length) {
    ensure(1 + lengthOctets(length));
    buffer[size++] = (byte) tag;
    putLength(size, length);
    size += lengthOctets(length);
  }

  /** Writes the minimal DER length at {@code at}; the room must be there. */
  private void putLength(int at, int length) {
    if (length < 0x80) {
      buffer[at] = (byte) length;
      return;
    }
    int octets = lengthOctets(length) - 1;
    buffer[at] = (byte) (0x80 | octets);
    for (int i = octets; i >= 1; i--) {
      buffer[at + i] = (byte) length;
      length >>>= 8;
    }
  }

  private void digits(int value, int count) {
    for (int i = count - 1; i >= 0; i--) {
      buffer[size + i] = (byte) ('0' + value % 10);
      value /= 10;
    }
    size += count;
  }

  private void ensure(int more) {
    if (size + more > buffer.length) {
      buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
    }
  }
}
