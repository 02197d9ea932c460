package dev.trustbridge.spiffe.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class KeyIdsTest {
  @Property
  void isValid_agreesWithTheRuleSpelledOut(
      @ForAll @StringLength(max = 140) @Chars({'a', 'Z', '0', '.', '_', '-', '/', ' ', '\u00e9'})
          String id) {
    boolean expected =
        !id.isEmpty()
            && id.length() <= 128
            && id.charAt(0) != '.'
            && id.chars()
                .allMatch(
                    c ->
                        (c >= 'a' && c <= 'z')
                            || (c >= 'A' && c <= 'Z')
                            || (c >= '0' && c <= '9')
                            || c == '.'
                            || c == '_'
                            || c == '-');

    assertEquals(expected, KeyIds.isValid(id));
  }

  @Test
  void requireValid_returnsAValidId() {
    String id = "root-2026.01_a";

    assertSame(id, KeyIds.requireValid(id));
  }

  @Test
  void requireValid_escapesAndTruncatesTheIdInTheMessage() {
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class, () -> KeyIds.requireValid("bad\nid" + "x".repeat(200)));

    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("'bad\\u000aid"), e.getMessage());
    assertTrue(e.getMessage().contains("..."), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void isValid_null_isFalse() {
    assertFalse(KeyIds.isValid(null));
  }
}
