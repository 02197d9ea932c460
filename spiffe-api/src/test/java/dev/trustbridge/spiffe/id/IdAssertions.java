package dev.trustbridge.spiffe.id;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.trustbridge.spiffe.error.ErrorCode;
import org.junit.jupiter.api.function.Executable;

/** Shared assertions and fixtures for the SPIFFE ID tests. */
final class IdAssertions {
  private IdAssertions() {}

  /** Asserts that {@code call} fails with exactly the given rule message and INVALID_ARGUMENT. */
  static void assertRejected(String expectedMessage, Executable call) {
    InvalidSpiffeIdException e = assertThrows(InvalidSpiffeIdException.class, call);
    assertEquals(expectedMessage, e.getMessage());
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
  }

  /** An all-ASCII valid SPIFFE ID of exactly {@code bytes} bytes (at least 22). */
  static String idOfBytes(int bytes) {
    String prefix = "spiffe://example.org/";
    return prefix + "a".repeat(bytes - prefix.length());
  }

  /** A valid trust domain name of exactly {@code bytes} bytes, made of short dotted labels. */
  static String trustDomainOfBytes(int bytes) {
    StringBuilder name = new StringBuilder();
    while (name.length() < bytes) {
      name.append(name.length() % 10 == 9 ? '.' : 'a');
    }
    // Never end on a dot so the name reads like a DNS name; a trailing dot would also be legal.
    name.setCharAt(bytes - 1, 'z');
    return name.toString();
  }
}
