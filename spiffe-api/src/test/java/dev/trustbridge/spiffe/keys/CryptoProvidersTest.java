package dev.trustbridge.spiffe.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class CryptoProvidersTest {
  private static final Set<String> ALLOWED = Set.of("Conscrypt", "BC");

  @Test
  void detect_isCachedAndPrefersConscrypt() {
    CryptoProviders detected = CryptoProviders.detect();

    assertSame(detected, CryptoProviders.detect());
    assertSame(CryptoProviders.conscrypt().orElseGet(CryptoProviders::bouncyCastleOnly), detected);
  }

  @Test
  void conscrypt_loadsOnLinuxX86_64() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch");
    assumeTrue(
        os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")),
        "Conscrypt's uber jar is only certain to ship a native library for linux x86_64");

    assertTrue(CryptoProviders.conscrypt().isPresent(), CryptoProviders.conscryptStatus());
  }

  @Test
  void conscrypt_signsEcdsaAndRsa_bouncyCastleSignsEd25519() {
    CryptoProviders providers = TestKeys.conscryptOrSkip();

    assertEquals("Conscrypt", providers.signature(KeyType.EC_P256).getProvider().getName());
    assertEquals("Conscrypt", providers.signature(KeyType.EC_P384).getProvider().getName());
    assertEquals("Conscrypt", providers.signature(KeyType.RSA_4096).getProvider().getName());
    assertEquals("BC", providers.signature(KeyType.ED25519).getProvider().getName());
    assertEquals("Conscrypt", providers.keyPairGenerator(KeyType.EC_P256).getProvider().getName());
    assertEquals("BC", providers.keyPairGenerator(KeyType.ED25519).getProvider().getName());
    assertEquals("BC", providers.keyFactory("Ed25519").getProvider().getName());
    assertTrue(
        providers
            .describe()
            .matches(
                "Conscrypt \\d+\\.\\d+\\.\\d+ \\(BoringSSL\\) for ECDSA/RSA, "
                    + "Bouncy Castle [\\d.]+ for Ed25519"),
        providers.describe());
  }

  @Test
  void bouncyCastleOnly_neverUsesConscrypt() {
    CryptoProviders providers = CryptoProviders.bouncyCastleOnly();

    for (KeyType type : KeyType.values()) {
      assertEquals("BC", providers.signature(type).getProvider().getName());
      assertEquals("BC", providers.keyPairGenerator(type).getProvider().getName());
      assertEquals("BC", providers.keyFactory(type.jcaKeyAlgorithm()).getProvider().getName());
    }
    assertTrue(
        providers.describe().matches("Bouncy Castle [\\d.]+ for ECDSA/RSA/Ed25519"),
        providers.describe());
  }

  @Test
  void noChoice_isEverAJdkProvider() {
    for (CryptoProviders providers : all()) {
      for (KeyType type : KeyType.values()) {
        assertAllowed(providers.signature(type).getProvider());
        assertAllowed(providers.signature(type.jcaSignatureAlgorithm()).getProvider());
        assertAllowed(providers.keyPairGenerator(type).getProvider());
        assertAllowed(providers.keyFactory(type.jcaKeyAlgorithm()).getProvider());
      }
    }
  }

  @Test
  void providers_areNeverInstalledGlobally() {
    for (CryptoProviders providers : all()) {
      providers.signature(KeyType.EC_P256);
      for (Provider installed : Security.getProviders()) {
        assertNotSame(providers.bouncyCastle(), installed);
        assertNotSame(providers.signatureProvider("SHA256withECDSA"), installed);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = KeyType.class,
      names = {"EC_P256", "EC_P384", "RSA_2048", "ED25519"})
  void keyPairGenerator_makesKeysOfTheRequestedType(KeyType type) {
    for (CryptoProviders providers : all()) {
      PublicKey key = providers.keyPairGenerator(type).generateKeyPair().getPublic();

      assertEquals(Optional.of(type), KeyType.of(key));
      if (key instanceof RSAPublicKey rsa) {
        assertEquals(BigInteger.valueOf(65537), rsa.getPublicExponent());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = KeyType.class,
      names = {"EC_P256", "EC_P384", "RSA_2048"})
  void keysOfOneProvider_signAndVerifyWithTheOther(KeyType type) throws Exception {
    CryptoProviders conscrypt = TestKeys.conscryptOrSkip();
    CryptoProviders bouncyCastle = CryptoProviders.bouncyCastleOnly();
    byte[] data = {1, 2, 3};
    for (CryptoProviders[] pair :
        List.of(
            new CryptoProviders[] {conscrypt, bouncyCastle},
            new CryptoProviders[] {bouncyCastle, conscrypt})) {
      KeyPair keys = pair[0].keyPairGenerator(type).generateKeyPair();

      Signature signer = pair[1].signature(type);
      signer.initSign(keys.getPrivate());
      signer.update(data);
      byte[] signature = signer.sign();
      Signature verifier = pair[1].signature(type);
      verifier.initVerify(keys.getPublic());
      verifier.update(data);

      assertTrue(verifier.verify(signature));
      assertTrue(
          KeyManagerContractTest.verifyIndependently(keys.getPublic(), type, data, signature));
    }
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void sign_isVerifiedByAPlainSignatureOfBouncyCastle(KeyType type) throws Exception {
    for (CryptoProviders providers : all()) {
      KeyPair keys = providers.keyPairGenerator(type).generateKeyPair();
      PrivateKey signingKey = providers.toSigningKey(type, keys.getPrivate());
      byte[] data = "to be signed".getBytes(StandardCharsets.US_ASCII);

      byte[] signature = providers.sign(type, signingKey, data);

      assertTrue(
          KeyManagerContractTest.verifyIndependently(keys.getPublic(), type, data, signature));
      assertFalse(
          KeyManagerContractTest.verifyIndependently(
              keys.getPublic(), type, "other".getBytes(StandardCharsets.US_ASCII), signature));
    }
  }

  /** ECDSA's digest and curve vary independently in a CSR: every pairing verifies, and only it. */
  @ParameterizedTest
  @CsvSource({
    "EC_P256, SHA256withECDSA",
    "EC_P256, SHA384withECDSA",
    "EC_P256, SHA512withECDSA",
    "EC_P384, SHA256withECDSA",
    "EC_P384, SHA384withECDSA",
    "EC_P384, SHA512withECDSA",
    "RSA_2048, SHA256withRSA",
    "RSA_2048, SHA512withRSA",
    "ED25519, Ed25519"
  })
  void verify_aPlainSignatureOfBouncyCastle_isTrueForItsDataOnly(KeyType type, String algorithm)
      throws Exception {
    byte[] data = new byte[1000];
    new Random(7).nextBytes(data);
    KeyPair keys = CryptoProviders.bouncyCastleOnly().keyPairGenerator(type).generateKeyPair();
    Signature signer =
        Signature.getInstance(algorithm, CryptoProviders.bouncyCastleOnly().bouncyCastle());
    signer.initSign(keys.getPrivate());
    signer.update(data);
    byte[] signature = signer.sign();
    byte[] otherData = data.clone();
    otherData[999] ^= 1;
    PublicKey otherKey =
        CryptoProviders.bouncyCastleOnly().keyPairGenerator(type).generateKeyPair().getPublic();

    for (CryptoProviders providers : all()) {
      assertTrue(
          providers.verify(algorithm, keys.getPublic(), data, signature), providers.describe());
      assertFalse(providers.verify(algorithm, keys.getPublic(), otherData, signature));
      assertFalse(providers.verify(algorithm, otherKey, data, signature));
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = KeyType.class,
      names = {"EC_P256", "RSA_2048", "ED25519"})
  void verify_malformedSignature_isFalse(KeyType type) throws Exception {
    for (CryptoProviders providers : all()) {
      KeyPair keys = providers.keyPairGenerator(type).generateKeyPair();
      byte[] data = {1, 2, 3};
      byte[] signature =
          providers.sign(type, providers.toSigningKey(type, keys.getPrivate()), data);
      String algorithm = type.jcaSignatureAlgorithm();

      for (byte[] malformed :
          List.of(
              new byte[0],
              new byte[] {0x30},
              Arrays.copyOf(signature, signature.length - 1),
              Arrays.copyOf(signature, signature.length + 1),
              new byte[signature.length])) {
        assertFalse(providers.verify(algorithm, keys.getPublic(), data, malformed));
      }
    }
  }

  @Test
  void verify_keyOfAnotherAlgorithm_isRefused() {
    for (CryptoProviders providers : all()) {
      PublicKey rsa = providers.keyPairGenerator(KeyType.RSA_2048).generateKeyPair().getPublic();

      assertThrows(
          InvalidKeyException.class,
          () -> providers.verify("SHA256withECDSA", rsa, new byte[] {1}, new byte[] {0x30, 0}));
    }
  }

  @Test
  void toSigningKey_convertsABouncyCastleKeyIntoConscrypt() throws Exception {
    CryptoProviders conscrypt = TestKeys.conscryptOrSkip();
    KeyPair bcKeys =
        CryptoProviders.bouncyCastleOnly().keyPairGenerator(KeyType.EC_P384).generateKeyPair();

    PrivateKey converted = conscrypt.toSigningKey(KeyType.EC_P384, bcKeys.getPrivate());

    assertTrue(
        converted.getClass().getName().startsWith("org.conscrypt."),
        converted.getClass().getName());
    Signature signer = conscrypt.signature(KeyType.EC_P384);
    signer.initSign(converted);
    signer.update(new byte[] {9});
    assertTrue(
        KeyManagerContractTest.verifyIndependently(
            bcKeys.getPublic(), KeyType.EC_P384, new byte[] {9}, signer.sign()));
  }

  @Test
  void toSigningKey_keepsEd25519InBouncyCastle() {
    CryptoProviders providers = CryptoProviders.detect();
    KeyPair keys = providers.keyPairGenerator(KeyType.ED25519).generateKeyPair();

    PrivateKey converted = providers.toSigningKey(KeyType.ED25519, keys.getPrivate());

    assertTrue(converted.getClass().getName().startsWith("org.bouncycastle."));
  }

  private static List<CryptoProviders> all() {
    return CryptoProviders.conscrypt()
        .map(c -> List.of(c, CryptoProviders.bouncyCastleOnly()))
        .orElseGet(() -> List.of(CryptoProviders.bouncyCastleOnly()));
  }

  private static void assertAllowed(Provider provider) {
    assertTrue(ALLOWED.contains(provider.getName()), provider.getName());
  }
}
