package dev.trustbridge.spiffe.svid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.Time;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The DER writer: lengths, integers, times, named bits, against hand-made and Bouncy Castle DER.
 */
class DerWriterTest {
  private static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }

  private static byte[] filled(int length) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = (byte) (i * 7 + 3);
    }
    return bytes;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 127, 128, 255, 256, 65535, 65536})
  void primitive_lengthAtABoundary_usesTheMinimalLengthForm(int length) {
    String header =
        switch (length) {
          case 0 -> "0400";
          case 1 -> "0401";
          case 127 -> "047f";
          case 128 -> "048180";
          case 255 -> "0481ff";
          case 256 -> "04820100";
          case 65535 -> "0482ffff";
          case 65536 -> "0483010000";
          default -> throw new IllegalArgumentException();
        };
    byte[] contents = filled(length);
    byte[] der = new DerWriter(4).primitive(DerWriter.OCTET_STRING, contents).toByteArray();
    assertArrayEquals(concat(hex(header), contents), der);
    assertEquals(hex(header).length - 1, DerWriter.lengthOctets(length));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 125, 126, 127, 128, 253, 254, 255, 256, 65533, 65535, 65536})
  void beginEnd_contentsAtALengthBoundary_areMovedForALongLength(int length) throws Exception {
    // A SEQUENCE { OCTET STRING } whose two lengths cross the boundaries at different points.
    byte[] contents = filled(length);
    byte[] der =
        new DerWriter(8)
            .begin(DerWriter.SEQUENCE)
            .primitive(DerWriter.OCTET_STRING, contents)
            .end()
            .toByteArray();
    assertArrayEquals(
        new DERSequence(new DEROctetString(contents)).getEncoded(ASN1Encoding.DER), der);
  }

  @Test
  void beginEnd_nestedLongValues_matchBouncyCastle() throws Exception {
    byte[] a = filled(200);
    byte[] b = filled(70_000);
    byte[] der =
        new DerWriter(16)
            .begin(DerWriter.SEQUENCE)
            .begin(DerWriter.SEQUENCE)
            .primitive(DerWriter.OCTET_STRING, a)
            .end()
            .begin(DerWriter.SEQUENCE)
            .end()
            .primitive(DerWriter.OCTET_STRING, b)
            .end()
            .toByteArray();
    byte[] expected =
        new DERSequence(
                new org.bouncycastle.asn1.ASN1Encodable[] {
                  new DERSequence(new DEROctetString(a)), new DERSequence(), new DEROctetString(b)
                })
            .getEncoded(ASN1Encoding.DER);
    assertArrayEquals(expected, der);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "1",
        "127",
        "128",
        "255",
        "256",
        "32767",
        "32768",
        // 2^127 and 2^128 - 1: 128-bit serials whose top bit needs a 0x00 sign octet.
        "170141183460469231731687303715884105728",
        "340282366920938463463374607431768211455",
        // 2^127 - 1: top bit clear, 16 octets.
        "170141183460469231731687303715884105727"
      })
  void integer_positiveSerial_isMinimalTwosComplement(String decimal) throws Exception {
    BigInteger value = new BigInteger(decimal);
    byte[] der = new DerWriter(4).integer(value).toByteArray();
    assertArrayEquals(new ASN1Integer(value).getEncoded(ASN1Encoding.DER), der);
    byte[] contents = Arrays.copyOfRange(der, 2, der.length);
    assertEquals(contents.length, der[1], "length");
    assertEquals((value.bitLength() + 8) / 8, contents.length, "sign bit included");
    if (value.bitLength() % 8 == 0) {
      assertEquals(0, contents[0], "a top bit set in the magnitude needs a 0x00 octet");
    }
  }

  @Test
  void integer_highBitSet_getsALeadingZero() {
    assertArrayEquals(
        hex("02020080"), new DerWriter(4).integer(BigInteger.valueOf(128)).toByteArray());
    assertArrayEquals(
        hex("0211" + "00" + "80" + "00".repeat(15)),
        new DerWriter(4).integer(BigInteger.ONE.shiftLeft(127)).toByteArray());
    assertArrayEquals(
        hex("0210" + "7f" + "ff".repeat(15)),
        new DerWriter(4)
            .integer(BigInteger.ONE.shiftLeft(127).subtract(BigInteger.ONE))
            .toByteArray());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "1949-12-31T23:59:59Z",
        "1950-01-01T00:00:00Z",
        "2000-02-29T12:00:00Z",
        "2049-12-31T23:59:59Z",
        "2050-01-01T00:00:00Z",
        "2077-03-01T12:34:56Z",
        "9999-12-31T23:59:59Z"
      })
  void time_aroundTheRfc5280Switch_matchesBouncyCastlesTime(String instant) throws Exception {
    Instant t = Instant.parse(instant);
    byte[] der = new DerWriter(4).time(t).toByteArray();
    assertArrayEquals(new Time(Date.from(t)).getEncoded(ASN1Encoding.DER), der);
  }

  @Test
  void time_2049IsUtcTime_2050IsGeneralizedTime() {
    assertArrayEquals(
        concat(hex("170d"), "491231235959Z".getBytes(StandardCharsets.US_ASCII)),
        new DerWriter(4).time(Instant.parse("2049-12-31T23:59:59Z")).toByteArray());
    assertArrayEquals(
        concat(hex("180f"), "20500101000000Z".getBytes(StandardCharsets.US_ASCII)),
        new DerWriter(4).time(Instant.parse("2050-01-01T00:00:00Z")).toByteArray());
    assertArrayEquals(
        concat(hex("170d"), "500101000000Z".getBytes(StandardCharsets.US_ASCII)),
        new DerWriter(4).time(Instant.parse("1950-01-01T00:00:00Z")).toByteArray());
    assertArrayEquals(
        concat(hex("180f"), "19491231235959Z".getBytes(StandardCharsets.US_ASCII)),
        new DerWriter(4).time(Instant.parse("1949-12-31T23:59:59Z")).toByteArray());
  }

  @Test
  void time_fractionOfASecondOrYearBeyond9999_isRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new DerWriter(4).time(Instant.parse("2031-01-01T00:00:00.500Z")));
    assertThrows(
        IllegalArgumentException.class,
        () -> new DerWriter(4).time(Instant.parse("+10000-01-01T00:00:00Z")));
  }

  @Test
  void namedBits_dropTrailingZeroBits_andCountUnusedBits() throws Exception {
    assertArrayEquals(hex("030100"), new DerWriter(4).namedBits().toByteArray());
    assertArrayEquals(hex("03020780"), new DerWriter(4).namedBits(0).toByteArray());
    assertArrayEquals(hex("030205a0"), new DerWriter(4).namedBits(0, 2).toByteArray());
    assertArrayEquals(hex("03020106"), new DerWriter(4).namedBits(5, 6).toByteArray());
    assertArrayEquals(hex("03020001"), new DerWriter(4).namedBits(7).toByteArray());
    assertArrayEquals(hex("0303070080"), new DerWriter(4).namedBits(8).toByteArray());
    int[][] usages = {{0}, {0, 2}, {5, 6}, {0, 4}, {8}};
    int[] bouncyCastle = {
      KeyUsage.digitalSignature,
      KeyUsage.digitalSignature | KeyUsage.keyEncipherment,
      KeyUsage.keyCertSign | KeyUsage.cRLSign,
      KeyUsage.digitalSignature | KeyUsage.keyAgreement,
      KeyUsage.decipherOnly
    };
    for (int i = 0; i < usages.length; i++) {
      assertArrayEquals(
          new KeyUsage(bouncyCastle[i]).getEncoded(ASN1Encoding.DER),
          new DerWriter(4).namedBits(usages[i]).toByteArray(),
          Arrays.toString(usages[i]));
    }
  }

  @Test
  void boolOctetCharsAndBitString_areEncodedAsDerRequires() {
    assertArrayEquals(hex("0101ff"), new DerWriter(4).bool(true).toByteArray());
    assertArrayEquals(hex("010100"), new DerWriter(4).bool(false).toByteArray());
    assertArrayEquals(
        hex("8603616263"),
        new DerWriter(4).octetChars(DerWriter.contextPrimitive(6), "abc").toByteArray());
    assertArrayEquals(hex("030400010203"), new DerWriter(4).bitString(hex("010203")).toByteArray());
    assertEquals(0xA3, DerWriter.contextConstructed(3));
    assertEquals(0x80, DerWriter.contextPrimitive(0));
  }

  @Test
  void unbalancedBeginAndEnd_isAProgrammingError() {
    assertThrows(IllegalStateException.class, () -> new DerWriter(4).end());
    assertThrows(
        IllegalStateException.class,
        () -> new DerWriter(4).begin(DerWriter.SEQUENCE).toByteArray());
  }
}
