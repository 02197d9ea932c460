package dev.trustbridge.spiffe.svid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.KeyType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Pairing a CA certificate with its key. */
class IssuingCaTest {
  private static final TestPki PKI = TestPki.create(TestPki.EXAMPLE, TestPki.nowClock());

  private static void assertInvalidArgument(String message, Executable executable) {
    TrustbridgeException e = assertThrows(TrustbridgeException.class, executable);
    assertEquals(message, e.getMessage());
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
  }

  @Test
  void issuingCa_matchingCaAndKey_exposesItsTrustDomain() {
    IssuingCa ca = PKI.issuingIntermediate();
    assertEquals(TestPki.EXAMPLE, ca.trustDomain());
    assertEquals(TestPki.EXAMPLE.id(), ca.spiffeId());
    assertEquals(PKI.intermediate(), ca.certificate());
    assertEquals(PKI.intermediateKey(), ca.key());
  }

  @Test
  void issuingCa_keyOfAnotherCertificate_isRejected() {
    assertInvalidArgument(
        IssuingCa.KEY_MISMATCH, () -> IssuingCa.of(PKI.intermediate(), PKI.rootKey()));
  }

  @Test
  void issuingCa_inProcessKeyThatSignsWithAnotherKey_failsThePairwiseTest() {
    // It shows the intermediate's public key, so only a signature can tell.
    FaultyCaKey key = FaultyCaKey.signingWithAnotherKey(PKI.intermediateKey(), PKI.rootKey(), true);
    assertInvalidArgument(IssuingCa.KEY_MISMATCH, () -> IssuingCa.of(PKI.intermediate(), key));
  }

  @Test
  void issuingCa_inProcessKey_signsOneProbe() {
    FaultyCaKey key = FaultyCaKey.failingAfter(PKI.intermediateKey(), true, Integer.MAX_VALUE);
    IssuingCa.of(PKI.intermediate(), key);
    assertEquals(1, key.signatures());
  }

  @Test
  void issuingCa_keyOutsideTheProcess_isNotAskedToSign() {
    // An HSM or Vault key: pairing must not cost a remote call; its signatures are checked each
    // time instead.
    FaultyCaKey key =
        FaultyCaKey.signingWithAnotherKey(PKI.intermediateKey(), PKI.rootKey(), false);
    IssuingCa.of(PKI.intermediate(), key);
    assertEquals(0, key.signatures());
  }

  @Test
  void issuingCa_leafCertificate_isRejected() {
    TestCaKey leafKey = new TestCaKey("leaf", KeyType.EC_P256, TestKeys.pair(KeyType.EC_P256, 2));
    assertInvalidArgument(IssuingCa.NOT_A_CA, () -> IssuingCa.of(PKI.leaf(), leafKey));
  }

  @Test
  void issuingCa_caWithoutSpiffeId_isRejected() {
    CraftedCert c =
        CraftedCert.ca("spiffe://example.org", PKI.root(), PKI.rootKey(), PKI.clock().instant());
    c.sans.clear();
    c.publicKey = PKI.intermediateKey().publicKey();
    assertInvalidArgument(
        IssuingCa.NO_TRUST_DOMAIN_ID, () -> IssuingCa.of(c.build(), PKI.intermediateKey()));
  }

  @Test
  void issuingCa_caWithPathId_isRejected() {
    CraftedCert c =
        CraftedCert.ca("spiffe://example.org/ca", PKI.root(), PKI.rootKey(), PKI.clock().instant());
    c.publicKey = PKI.intermediateKey().publicKey();
    assertInvalidArgument(
        IssuingCa.NO_TRUST_DOMAIN_ID, () -> IssuingCa.of(c.build(), PKI.intermediateKey()));
  }
}
