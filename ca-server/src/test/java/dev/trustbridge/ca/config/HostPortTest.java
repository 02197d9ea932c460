package dev.trustbridge.ca.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostPortTest {
  @ParameterizedTest
  @CsvSource({
    "127.0.0.1:8443, 127.0.0.1, 8443",
    "localhost:0, localhost, 0",
    "[::1]:9464, ::1, 9464",
    "0.0.0.0:65535, 0.0.0.0, 65535",
    "ca.example.org:443, ca.example.org, 443"
  })
  void parse_validAddress_roundTrips(String text, String host, int port) {
    HostPort parsed = HostPort.parse(text);
    assertEquals(new HostPort(host, port), parsed);
    assertEquals(text, parsed.toString());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "localhost",
        ":8443",
        "host:",
        "::1:80",
        "[]:80",
        "[host]:80",
        "host:-1",
        "host:80a",
        "host:123456",
        "ho st:80",
        "-host:80"
      })
  void parse_malformedAddress_isRejected(String text) {
    assertThrows(IllegalArgumentException.class, () -> HostPort.parse(text));
  }
}
