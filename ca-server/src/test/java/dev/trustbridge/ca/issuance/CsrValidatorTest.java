package dev.trustbridge.ca.issuance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.trustbridge.ca.issuance.CsrValidator.ValidatedCsr;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.spec.ECGenParameterSpec;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CsrValidatorTest {
  private static final Provider BC = new BouncyCastleProvider();
  private static final CsrValidator VALIDATOR =
      new CsrValidator(
          65536, EnumSet.allOf(KeyType.class), CryptoProviders.bouncyCastleOnly()::verify);

  /** The validator under test; a subclass runs every case with the server's providers. */
  CsrValidator validator() {
    return VALIDATOR;
  }

  static KeyPair keyPair(String algorithm, Object param) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm, BC);
    if (param instanceof Integer bits) {
      generator.initialize(bits);
    } else if (param instanceof String curve) {
      generator.initialize(new ECGenParameterSpec(curve));
    }
    return generator.generateKeyPair();
  }

  static byte[] csr(KeyPair keys, String signatureAlgorithm) throws Exception {
    return new JcaPKCS10CertificationRequestBuilder(new X500Principal(""), keys.getPublic())
        .build(
            new JcaContentSignerBuilder(signatureAlgorithm)
                .setProvider(BC)
                .build(keys.getPrivate()))
        .getEncoded();
  }

  static Stream<Arguments> acceptedKeys() {
    return Stream.of(
        Arguments.of("EC", "secp256r1", "SHA256withECDSA", KeyType.EC_P256),
        Arguments.of("EC", "secp384r1", "SHA384withECDSA", KeyType.EC_P384),
        Arguments.of("EC", "secp256r1", "SHA512withECDSA", KeyType.EC_P256),
        Arguments.of("RSA", 2048, "SHA256withRSA", KeyType.RSA_2048),
        Arguments.of("RSA", 3072, "SHA384withRSA", KeyType.RSA_3072),
        Arguments.of("Ed25519", null, "Ed25519", KeyType.ED25519));
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("acceptedKeys")
  void validate_allowedKeyTypes_returnTheCsrPublicKey(
      String algorithm, Object param, String signatureAlgorithm, KeyType expected)
      throws Exception {
    KeyPair keys = keyPair(algorithm, param);
    ValidatedCsr result = validator().validate(csr(keys, signatureAlgorithm));
    assertEquals(expected, result.keyType());
    assertArrayEquals(keys.getPublic().getEncoded(), result.publicKey().getEncoded());
  }

  @Test
  void validate_pemEncodedCsr_isAccepted() throws Exception {
    KeyPair keys = keyPair("EC", "secp256r1");
    StringWriter pem = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
      writer.writeObject(new PKCS10CertificationRequest(csr(keys, "SHA256withECDSA")));
    }
    ValidatedCsr result = validator().validate(pem.toString().getBytes(StandardCharsets.US_ASCII));
    assertEquals(KeyType.EC_P256, result.keyType());
  }

  static Stream<Arguments> rejectedKeys() {
    return Stream.of(
        Arguments.of("RSA", 1024, "SHA256withRSA"),
        Arguments.of("RSA", 1536, "SHA256withRSA"),
        Arguments.of("EC", "secp521r1", "SHA512withECDSA"),
        Arguments.of("EC", "secp256k1", "SHA256withECDSA"),
        Arguments.of("EC", "brainpoolP256r1", "SHA256withECDSA"),
        Arguments.of("Ed448", null, "Ed448"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("rejectedKeys")
  void validate_weakOrUnsupportedKey_isRejected(
      String algorithm, Object param, String signatureAlgorithm) throws Exception {
    byte[] request = csr(keyPair(algorithm, param), signatureAlgorithm);
    assertInvalid(CsrValidator.KEY_UNSUPPORTED, request);
  }

  @Test
  void validate_keyTypeNotAllowedByConfiguration_isRejected() throws Exception {
    CsrValidator ecOnly =
        new CsrValidator(
            65536, Set.of(KeyType.EC_P256), CryptoProviders.bouncyCastleOnly()::verify);
    byte[] request = csr(keyPair("Ed25519", null), "Ed25519");
    assertInvalid(String.format(CsrValidator.KEY_TYPE_DISABLED, KeyType.ED25519), request, ecOnly);
  }

  @Test
  void validate_tamperedSignature_isRejected() throws Exception {
    CertificationRequest request =
        CertificationRequest.getInstance(csr(keyPair("EC", "secp256r1"), "SHA256withECDSA"));
    byte[] signature = request.getSignature().getOctets();
    signature[signature.length - 1] ^= 1;
    byte[] tampered =
        new CertificationRequest(
                request.getCertificationRequestInfo(),
                request.getSignatureAlgorithm(),
                new DERBitString(signature))
            .getEncoded();
    assertInvalid(CsrValidator.BAD_SIGNATURE, tampered);
  }

  @Test
  void validate_csrSignedByAnotherKey_isRejected() throws Exception {
    KeyPair subject = keyPair("EC", "secp256r1");
    KeyPair other = keyPair("EC", "secp256r1");
    byte[] request =
        new JcaPKCS10CertificationRequestBuilder(new X500Principal(""), subject.getPublic())
            .build(
                new JcaContentSignerBuilder("SHA256withECDSA")
                    .setProvider(BC)
                    .build(other.getPrivate()))
            .getEncoded();
    assertInvalid(CsrValidator.BAD_SIGNATURE, request);
  }

  @Test
  void validate_signatureAlgorithmOfAnotherKeyType_isRejected() throws Exception {
    CertificationRequest ec =
        CertificationRequest.getInstance(csr(keyPair("EC", "secp256r1"), "SHA256withECDSA"));
    CertificationRequest rsa =
        CertificationRequest.getInstance(csr(keyPair("RSA", 2048), "SHA256withRSA"));
    byte[] mixed =
        new CertificationRequest(
                ec.getCertificationRequestInfo(), rsa.getSignatureAlgorithm(), ec.getSignature())
            .getEncoded();
    assertInvalid(CsrValidator.ALGORITHM_MISMATCH, mixed);
  }

  @Test
  void validate_emptyInput_isRejected() {
    assertInvalid(CsrValidator.EMPTY, new byte[0]);
  }

  @Test
  void validate_garbage_isRejected() {
    assertInvalid(CsrValidator.NOT_PKCS10, "this is not a CSR".getBytes(StandardCharsets.UTF_8));
    assertInvalid(CsrValidator.NOT_PKCS10, new byte[] {0x30, 0x03, 0x02, 0x01, 0x00});
  }

  @Test
  void validate_trailingBytes_areRejected() throws Exception {
    byte[] request = csr(keyPair("EC", "secp256r1"), "SHA256withECDSA");
    byte[] padded = java.util.Arrays.copyOf(request, request.length + 1);
    assertInvalid(CsrValidator.NOT_PKCS10, padded);
  }

  @Test
  void validate_oneMegabyte_isRejectedBeforeParsing() {
    byte[] huge = new byte[1024 * 1024];
    huge[0] = 0x30;
    assertInvalid(String.format(CsrValidator.TOO_LARGE, 65536), huge);
  }

  @Test
  void validate_malformedPem_isRejected() {
    assertInvalid(
        CsrValidator.BAD_PEM,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
            .getBytes(StandardCharsets.US_ASCII));
    assertInvalid(
        CsrValidator.BAD_PEM,
        "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n"
            .getBytes(StandardCharsets.US_ASCII));
  }

  private void assertInvalid(String message, byte[] csr) {
    assertInvalid(message, csr, validator());
  }

  private static void assertInvalid(String message, byte[] csr, CsrValidator validator) {
    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> validator.validate(csr));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertEquals(message, e.getMessage());
  }
}
