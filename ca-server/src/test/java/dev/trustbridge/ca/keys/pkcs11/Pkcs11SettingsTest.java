package dev.trustbridge.ca.keys.pkcs11;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class Pkcs11SettingsTest {
  private static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");

  @Test
  void toString_neverShowsThePin() {
    Pkcs11Settings settings = new Pkcs11Settings(LIBRARY, 2, "s3cr3t-PIN".toCharArray(), "tb/");

    assertEquals(
        "Pkcs11Settings[library=/usr/lib/softhsm/libsofthsm2.so, slotListIndex=2, pin=***,"
            + " labelPrefix='tb/']",
        settings.toString());
    assertFalse(String.valueOf(settings.hashCode()).isEmpty());
  }

  @Test
  void pin_isCopiedInAndOut() {
    char[] pin = "1234".toCharArray();
    Pkcs11Settings settings = new Pkcs11Settings(LIBRARY, 0, pin);
    pin[0] = 'x';

    char[] out = settings.pin();
    out[1] = 'y';

    assertArrayEquals("1234".toCharArray(), settings.pin());
    assertNotSame(settings.pin(), settings.pin());
  }

  @Test
  void labelPrefix_mustEndOutsideTheKeyIdAlphabet() {
    for (String valid : List.of("", "tb/", "trust-domain.example:", "a/b/")) {
      new Pkcs11Settings(LIBRARY, 0, "1".toCharArray(), valid);
    }
    for (String invalid : List.of("tb", "tb-", "with space/", "tab\t/", "x".repeat(64) + "/")) {
      TrustbridgeException e =
          assertThrows(
              TrustbridgeException.class,
              () -> new Pkcs11Settings(LIBRARY, 0, "1".toCharArray(), invalid));
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), invalid);
    }
  }

  @Test
  void keyIdOf_onlyLabelsOfThisPrefixWithValidIds() {
    Pkcs11Settings settings = new Pkcs11Settings(LIBRARY, 0, "1".toCharArray(), "a/");

    assertEquals("root", settings.keyIdOf("a/root"));
    assertEquals("a/root", settings.label("root"));
    assertNull(settings.keyIdOf("ab/root"));
    assertNull(settings.keyIdOf("a/b/root"));
    assertNull(settings.keyIdOf("root"));
    assertNull(new Pkcs11Settings(LIBRARY, 0, "1".toCharArray()).keyIdOf("a/root"));
  }

  @Test
  void invalidValues_areInvalidArgument() {
    List<Runnable> invalid =
        List.of(
            () -> new Pkcs11Settings(LIBRARY, -1, "1".toCharArray()),
            () -> new Pkcs11Settings(LIBRARY, 0, new char[0]),
            () -> new Pkcs11Settings(Path.of("relative/lib.so"), 0, "1".toCharArray()),
            () -> new Pkcs11Settings(Path.of("/opt/${user.home}/lib.so"), 0, "1".toCharArray()),
            () -> new Pkcs11Settings(Path.of("/opt/\"quoted\"/lib.so"), 0, "1".toCharArray()));
    for (Runnable construction : invalid) {
      TrustbridgeException e = assertThrows(TrustbridgeException.class, construction::run);
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
      assertTrue(e.getMessage().startsWith("PKCS#11 "), e.getMessage());
    }
  }
}
