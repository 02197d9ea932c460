package dev.trustbridge.spiffe.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
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
