package dev.trustbridge.spiffe.svid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The strict DER reader: what it reads, and what it leaves to Bouncy Castle. */
class DerReaderTest {
  private static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }

  @Test
  void contentsOfOnly_strictDer_isRead() {
    assertArrayEquals(new byte[0], DerReader.contentsOfOnly(hex("0400"), 0x04));
    assertArrayEquals(hex("aa"), DerReader.contentsOfOnly(hex("0401aa"), 0x04));
    byte[] long128 = new byte[3 + 128];
    long128[0] = 0x04;
    long128[1] = (byte) 0x81;
    long128[2] = (byte) 0x80;
    assertEquals(128, DerReader.contentsOfOnly(long128, 0x04).length);
    assertArrayEquals(hex("8001aa"), DerReader.contentsOfOnly(hex("30038001aa"), 0x30));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", // nothing
        "04", // no length
        "0402aa", // truncated
        "0401aa00", // trailing octets
        "048101aa", // long form for a short length
        "04820080" + "00", // leading zero length octet
        "2480040100" + "0000", // BER indefinite length
        "04840000000100", // four length octets
        "1f0100", // multi-octet tag
        "0301aa" // another tag
      })
  void contentsOfOnly_anythingButOneStrictDerOctetString_isNull(String input) {
    assertNull(DerReader.contentsOfOnly(hex(input), 0x04));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "3000",
        "0500",
        "3006" + "0201" + "7f" + "0101" + "ff",
        "3006" + "020200" + "80" + "a0" + "00",
        "3005" + "a003" + "020101",
        "3003" + "8001" + "aa"
      })
  void isStrictDer_derAsBouncyCastleWritesIt_isStrict(String input) {
    assertTrue(DerReader.isStrictDer(hex(input)));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "308103" + "020101", // non-minimal outer length
        "3004" + "02810101", // non-minimal inner length
        "3003" + "020100" + "00", // trailing octets after the value
        "3004" + "02020001", // INTEGER with a redundant 0x00
        "3004" + "0202ff80", // INTEGER with a redundant 0xff
        "3000" + "3000", // two values
        "3003" + "010101", // BOOLEAN that is neither 00 nor ff
        "3003" + "0200" + "00", // empty INTEGER
        "3103" + "020101", // SET, which DER sorts
        "2403" + "0401" + "aa", // constructed OCTET STRING
        "30800000" // indefinite length
      })
  void isStrictDer_anythingBouncyCastleWouldReencode_isNotStrict(String input) {
    assertFalse(DerReader.isStrictDer(hex(input)));
  }

  @Test
  void next_walksAConstructedValue_andStopsAtItsEnd() {
    DerReader outer = new DerReader(hex("3008" + "0500" + "0401aa" + "0101ff"));
    assertTrue(outer.next());
    assertEquals(0x30, outer.tag());
    assertTrue(outer.atEnd());
    DerReader inner = outer.contents();
    assertTrue(inner.next());
    assertEquals(0x05, inner.tag());
    assertTrue(inner.next());
    assertArrayEquals(hex("aa"), inner.contentBytes());
    assertFalse(inner.atEnd());
    assertTrue(inner.next());
    assertEquals(0x01, inner.tag());
    assertTrue(inner.atEnd());
    assertFalse(inner.next());
  }

  @Test
  void next_afterMalformedInput_staysFalse() {
    DerReader reader = new DerReader(hex("0500" + "0481" + "0500"));
    assertTrue(reader.next());
    assertFalse(reader.next());
    assertFalse(reader.next());
    assertFalse(reader.atEnd());
  }
}
