package dev.trustbridge.spiffe.bundle;

import static dev.trustbridge.spiffe.bundle.TestAuthorities.ca;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.bundle.TestAuthorities.Kind;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PEM import and export of X.509 authorities. */
class PemBundlesTest {
  static final TrustDomain TD = TrustDomain.parse("example.org");

  static String pem(String label, byte[] der) {
    return "-----BEGIN "
        + label
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + label
        + "-----\n";
  }

  static String certPem(Kind kind) {
    return pem("CERTIFICATE", ca(kind).der());
  }

  static void assertRejected(String text, String message) {
    assertRejected(text.getBytes(StandardCharsets.UTF_8), message);
  }

  static void assertRejected(byte[] bytes, String message) {
    InvalidBundleException e =
        assertThrows(InvalidBundleException.class, () -> PemBundles.readBundle(TD, bytes));
    assertEquals(message, e.getMessage());
  }

  @Test
  void write_thenRead_givesTheSameAuthorities() {
    SpiffeBundle b =
        SpiffeBundle.builder(TD)
            .addX509Authority(ca(Kind.EC_P256).cert())
            .addX509Authority(ca(Kind.RSA_2048).cert())
            .addX509Authority(ca(Kind.ED25519).cert())
            .build();
    byte[] pem = PemBundles.write(b);
    assertEquals(b, PemBundles.readBundle(TD, pem));
    String text = new String(pem, StandardCharsets.US_ASCII);
    assertEquals(3, text.split("-----BEGIN CERTIFICATE-----\n", -1).length - 1);
    for (String line : text.split("\n")) {
      assertTrue(line.length() <= 64, line);
    }
  }

  @Test
  void read_crlfAndBlankLinesBetweenBlocks_isAccepted() {
    String text =
        "\r\n" + certPem(Kind.EC_P256).replace("\n", "\r\n") + "\n\n" + certPem(Kind.EC_P384);
    SpiffeBundle b = PemBundles.readBundle(TD, text.getBytes(StandardCharsets.US_ASCII));
    assertEquals(List.of(ca(Kind.EC_P256).cert(), ca(Kind.EC_P384).cert()), b.x509Authorities());
  }

  @Test
  void read_duplicateCertificate_isKeptOnce() {
    String text = certPem(Kind.EC_P256) + certPem(Kind.EC_P256);
    assertEquals(
        1,
        PemBundles.readBundle(TD, text.getBytes(StandardCharsets.US_ASCII))
            .x509Authorities()
            .size());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"", "\n\n", "   \r\n"})
  void read_empty_isRejected(String text) {
    assertRejected(text, InvalidBundleException.PEM_EMPTY);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {"PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY"})
  void read_privateKey_isRejected(String label) {
    assertRejected(
        certPem(Kind.EC_P256) + pem(label, new byte[] {1, 2, 3}),
        InvalidBundleException.PEM_PRIVATE_KEY);
    assertRejected(pem(label, new byte[] {1, 2, 3}), InvalidBundleException.PEM_PRIVATE_KEY);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"PUBLIC KEY", "CERTIFICATE REQUEST", "X509 CRL", "TRUSTED CERTIFICATE"})
  void read_otherBlockType_isRejected(String label) {
    assertRejected(pem(label, ca(Kind.EC_P256).der()), InvalidBundleException.PEM_NOT_CERTIFICATE);
  }

  @Test
  void read_textOutsideBlocks_isRejected() {
    assertRejected("Subject: CN=x\n" + certPem(Kind.EC_P256), InvalidBundleException.PEM_GARBAGE);
    assertRejected(certPem(Kind.EC_P256) + "trailing", InvalidBundleException.PEM_GARBAGE);
    assertRejected("garbage", InvalidBundleException.PEM_GARBAGE);
  }

  @Test
  void read_nonAscii_isRejected() {
    assertRejected("caf\u00e9\n" + certPem(Kind.EC_P256), InvalidBundleException.PEM_NOT_ASCII);
  }

  @Test
  void read_malformedBlock_isRejected() {
    String good = certPem(Kind.EC_P256);
    assertRejected(
        good.replace("-----END CERTIFICATE-----\n", ""),
        InvalidBundleException.PEM_MALFORMED_BLOCK);
    assertRejected(
        good.replace("-----END CERTIFICATE-----", "-----END X509 CRL-----"),
        InvalidBundleException.PEM_MALFORMED_BLOCK);
    assertRejected(
        good.replace(
            "-----BEGIN CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n"),
        InvalidBundleException.PEM_MALFORMED_BLOCK);
  }

  @Test
  void read_badCertificateBody_isRejected() {
    assertRejected(
        pem("CERTIFICATE", new byte[] {1, 2, 3}), InvalidBundleException.PEM_BAD_CERTIFICATE);
    assertRejected(
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        InvalidBundleException.PEM_BAD_CERTIFICATE);
  }

  @Test
  void read_nonCaCertificate_isRejected() {
    assertRejected(
        pem("CERTIFICATE", TestAuthorities.leaf().der()), InvalidBundleException.AUTHORITY_NOT_CA);
  }

  @Test
  void read_tooLarge_isRejected() {
    assertRejected(new byte[PemBundles.MAX_PEM_BYTES + 1], InvalidBundleException.TOO_LARGE);
  }
}
