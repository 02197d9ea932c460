package dev.trustbridge.ca.keys.pkcs11;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.CaKeyContentSigner;
import dev.trustbridge.spiffe.keys.KeyType;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What the contract test cannot see: token attributes, login, a token that goes away. */
@ExtendWith(SoftHsm.class)
class Pkcs11KeyManagerTest {
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static final byte[] DATA = "to be signed".getBytes(StandardCharsets.UTF_8);

  private final SoftHsm.Tokens tokens;
  private final List<Pkcs11KeyManager> opened = new ArrayList<>();

  Pkcs11KeyManagerTest(SoftHsm.Tokens tokens) {
    this.tokens = tokens;
  }

  @AfterEach
  void closeManagers() {
    opened.forEach(Pkcs11KeyManager::close);
  }

  @Test
  void generate_privateKeyIsSensitiveNonExtractableTokenObject() throws Exception {
    Pkcs11KeyManager manager = openMisc();
    Pkcs11CaKey key = (Pkcs11CaKey) manager.generate("root", KeyType.EC_P256);

    assertNonExtractableTokenKey(key.tokenObject(), manager.provider());
    // The same holds for the entry as read back from the token by another manager instance.
    manager.close();
    Pkcs11KeyManager reopened = open(manager.settings());
    Pkcs11CaKey found = (Pkcs11CaKey) reopened.find("root").orElseThrow();
    assertNonExtractableTokenKey(found.tokenObject(), reopened.provider());
  }

  /**
   * The control for the test above: the same token and provider configuration without the {@code
   * attributes} blocks makes session keys that are not sensitive, so the checks above fail if the
   * attributes are dropped. (Their encoding is null either way, since SoftHSM defaults to
   * unextractable: {@code getEncoded() == null} alone would prove nothing.)
   */
  @Test
  void generate_withoutTheAttributesBlocks_wouldMakeSessionKeysThatAreNotSensitive()
      throws Exception {
    Pkcs11KeyManager manager = openMisc(); // logs in; PKCS#11 login is per process and token
    String config = Pkcs11Token.config(tokensMiscAddress());
    String bare = config.substring(0, config.indexOf("attributes("));
    Provider plain = Security.getProvider("SunPKCS11").configure(bare);
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", plain);
    generator.initialize(new ECGenParameterSpec("secp256r1"));

    PrivateKey key = generator.generateKeyPair().getPrivate();

    assertTrue(key.toString().contains("session object, not sensitive"), key.toString());
    assertThrows(AssertionError.class, () -> assertNonExtractableTokenKey(key, plain));
    assertTrue(manager.keyIds().isEmpty());
  }

  @Test
  void close_thenOpenAgain_keysPersistAndSignWithTheSameKey() throws Exception {
    Pkcs11KeyManager manager = openMisc();
    PublicKey ec = manager.generate("ec", KeyType.EC_P384).publicKey();
    PublicKey rsa = manager.generate("rsa", KeyType.RSA_2048).publicKey();
    Pkcs11Settings settings = manager.settings();
    manager.close();

    Pkcs11KeyManager restarted = open(settings);

    assertEquals(List.of("ec", "rsa"), restarted.keyIds());
    CaKey foundEc = restarted.find("ec").orElseThrow();
    CaKey foundRsa = restarted.find("rsa").orElseThrow();
    assertEquals(KeyType.EC_P384, foundEc.keyType());
    assertEquals(KeyType.RSA_2048, foundRsa.keyType());
    assertTrue(verify(ec, KeyType.EC_P384, DATA, foundEc.sign(DATA)));
    assertTrue(verify(rsa, KeyType.RSA_2048, DATA, foundRsa.sign(DATA)));
  }

  @Test
  void open_wrongPin_isFailedPreconditionAndNeverShowsThePin() {
    SoftHsm.TestToken token = tokens.get(SoftHsm.Role.LOGIN);
    char[] wrong = wrongPin(token.pin());
    Pkcs11Settings wrongSettings =
        new Pkcs11Settings(SoftHsm.LIBRARY, token.slotListIndex(), wrong);

    TrustbridgeException refused =
        assertThrows(TrustbridgeException.class, () -> Pkcs11KeyManager.open(wrongSettings));

    assertEquals(ErrorCode.FAILED_PRECONDITION, refused.code());
    assertTrue(
        refused.getMessage().contains("wrong PIN (CKR_PIN_INCORRECT)"), refused.getMessage());
    assertFalse(refused.getMessage().contains(new String(wrong)), refused.getMessage());
    assertFalse(refused.getMessage().contains(new String(token.pin())), refused.getMessage());

    // While the token is logged in, PKCS#11 would skip C_Login; the manager compares the PIN.
    Pkcs11KeyManager loggedIn = open(token.settings(""));
    TrustbridgeException refusedAgain =
        assertThrows(TrustbridgeException.class, () -> Pkcs11KeyManager.open(wrongSettings));
    assertEquals(ErrorCode.FAILED_PRECONDITION, refusedAgain.code());
    assertTrue(refusedAgain.getMessage().contains("wrong PIN"), refusedAgain.getMessage());
    assertEquals(List.of(), loggedIn.keyIds());
  }

  @Test
  void open_missingLibrary_isFailedPrecondition() {
    Pkcs11Settings settings =
        new Pkcs11Settings(Path.of("/nonexistent/libpkcs11.so"), 0, "1234".toCharArray());

    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> Pkcs11KeyManager.open(settings));

    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertTrue(e.getMessage().contains("/nonexistent/libpkcs11.so"), e.getMessage());
  }

  @Test
  void open_slotBeyondTheSlotList_isUnavailableNamingTheSlot() {
    Pkcs11Settings settings = new Pkcs11Settings(SoftHsm.LIBRARY, 999, "1234".toCharArray());

    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> Pkcs11KeyManager.open(settings));

    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(
        e.getMessage().startsWith("opening PKCS#11 token at slotListIndex 999 of "),
        e.getMessage());
    assertTrue(e.getMessage().contains("(slotListIndex is 999 but "), e.getMessage());
  }

  @Test
  void tokenDeletedWhileOpen_signAndGenerateAreUnavailable_closeStillWorks() {
    SoftHsm.TestToken token = tokens.get(SoftHsm.Role.DOOMED);
    Pkcs11KeyManager manager = Pkcs11KeyManager.open(token.settings(""));
    CaKey key = manager.generate("doomed", KeyType.EC_P256);
    key.sign(DATA);

    token.deleteNow();

    TrustbridgeException signing = assertThrows(TrustbridgeException.class, () -> key.sign(DATA));
    assertEquals(ErrorCode.UNAVAILABLE, signing.code());
    assertTrue(
        signing.getMessage().startsWith("signing with key 'doomed' (EC_P256) failed"),
        signing.getMessage());
    assertTrue(
        signing.getMessage().contains("failed on the PKCS#11 token (CKR_"), signing.getMessage());
    TrustbridgeException generating =
        assertThrows(
            TrustbridgeException.class, () -> manager.generate("another", KeyType.EC_P256));
    assertEquals(ErrorCode.UNAVAILABLE, generating.code());
    assertTrue(
        generating.getMessage().startsWith("generating key 'another' (EC_P256) failed"),
        generating.getMessage());

    manager.close();
    TrustbridgeException closed = assertThrows(TrustbridgeException.class, () -> key.sign(DATA));
    assertEquals(ErrorCode.FAILED_PRECONDITION, closed.code());
  }

  @Test
  void close_keysHandedOutAndTheManagerRefuseWithFailedPrecondition() {
    Pkcs11KeyManager manager = openMisc();
    CaKey key = manager.generate("k", KeyType.EC_P256);

    manager.close();
    manager.close(); // idempotent

    for (Runnable operation :
        List.<Runnable>of(
            () -> key.sign(DATA),
            () -> manager.generate("other", KeyType.EC_P256),
            () -> manager.find("k"),
            manager::keyIds,
            () -> manager.delete("k"))) {
      TrustbridgeException e = assertThrows(TrustbridgeException.class, operation::run);
      assertEquals(ErrorCode.FAILED_PRECONDITION, e.code(), e.getMessage());
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = KeyType.class,
      names = {"EC_P256", "EC_P384", "RSA_2048"})
  void caCertificate_signedThroughCaKeyContentSigner_verifies(KeyType type) throws Exception {
    CaKey key = openMisc().generate("ca-" + type, type);
    X500Name name = new X500Name("O=Trustbridge test, CN=Trustbridge test root " + type);
    Instant now = Instant.now();

    X509CertificateHolder holder =
        new JcaX509v3CertificateBuilder(
                name,
                BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofMinutes(1))),
                Date.from(now.plus(Duration.ofDays(365))),
                name,
                key.publicKey())
            .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
            .addExtension(
                Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
            .addExtension(
                Extension.subjectKeyIdentifier,
                false,
                new JcaX509ExtensionUtils().createSubjectKeyIdentifier(key.publicKey()))
            .addExtension(
                Extension.subjectAlternativeName,
                false,
                new GeneralNames(
                    new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://example.org")))
            .build(new CaKeyContentSigner(key));
    X509Certificate certificate =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(holder.getEncoded()));

    certificate.verify(independent(key.publicKey(), type));
    assertEquals(Integer.MAX_VALUE, certificate.getBasicConstraints());
    assertEquals(
        type.signatureAlgorithmIdentifier().getAlgorithm().getId(), certificate.getSigAlgOID());
  }

  @Test
  void labelPrefixes_separateKeySpacesOnOneToken() throws Exception {
    int n = PREFIXES.incrementAndGet();
    Pkcs11KeyManager alpha = open(tokens.get(SoftHsm.Role.MISC).settings("alpha-" + n + "/"));
    Pkcs11KeyManager beta = open(tokens.get(SoftHsm.Role.MISC).settings("alpha-" + n + ":"));
    CaKey inAlpha = alpha.generate("root", KeyType.EC_P256);
    CaKey inBeta = beta.generate("root", KeyType.EC_P256);

    alpha.delete("root");

    assertEquals(List.of(), alpha.keyIds());
    assertEquals(List.of("root"), beta.keyIds());
    assertThrows(TrustbridgeException.class, () -> inAlpha.sign(DATA));
    assertTrue(verify(inBeta.publicKey(), KeyType.EC_P256, DATA, inBeta.sign(DATA)));
  }

  @Test
  void generate_ed25519_isInvalidArgument() {
    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> openMisc().generate("ed", KeyType.ED25519));

    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("ED25519"), e.getMessage());
  }

  @Test
  void sign_ecdsa_isDerAndMatchesTheCertificatePublicKey() throws Exception {
    Pkcs11KeyManager manager = openMisc();
    CaKey key = manager.generate("der", KeyType.EC_P256);

    byte[] signature = key.sign(DATA);

    assertEquals(0x30, signature[0] & 0xff, "DER SEQUENCE, not raw r||s");
    assertTrue(verify(key.publicKey(), KeyType.EC_P256, DATA, signature));
    assertArrayEquals(
        key.publicKey().getEncoded(), manager.find("der").orElseThrow().publicKey().getEncoded());
  }

  private static void assertNonExtractableTokenKey(PrivateKey key, Provider provider) {
    assertNull(key.getEncoded(), "the private key's encoding is not readable");
    // SunPKCS11 reads CKA_TOKEN, CKA_SENSITIVE and CKA_EXTRACTABLE from the token for this text.
    String description = key.toString();
    assertTrue(description.contains("token object, sensitive, unextractable"), description);
    // Asking the token for the private value fails as well.
    assertThrows(
        Exception.class,
        () -> KeyFactory.getInstance("EC", provider).getKeySpec(key, ECPrivateKeySpec.class));
  }

  private Pkcs11Token.Address tokensMiscAddress() throws Exception {
    return new Pkcs11Token.Address(
        SoftHsm.LIBRARY.toRealPath(), tokens.get(SoftHsm.Role.MISC).slotListIndex());
  }

  private Pkcs11KeyManager openMisc() {
    return open(tokens.get(SoftHsm.Role.MISC).settings("misc-" + PREFIXES.incrementAndGet() + "/"));
  }

  private Pkcs11KeyManager open(Pkcs11Settings settings) {
    Pkcs11KeyManager manager = Pkcs11KeyManager.open(settings);
    opened.add(manager);
    return manager;
  }

  private static char[] wrongPin(char[] pin) {
    char[] wrong = pin.clone();
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    return wrong;
  }

  private static boolean verify(PublicKey key, KeyType type, byte[] data, byte[] signature)
      throws Exception {
    Signature verifier = Signature.getInstance(type.jcaSignatureAlgorithm());
    verifier.initVerify(independent(key, type));
    verifier.update(data);
    return verifier.verify(signature);
  }

  private static PublicKey independent(PublicKey key, KeyType type) throws Exception {
    return KeyFactory.getInstance(type.jcaKeyAlgorithm())
        .generatePublic(new X509EncodedKeySpec(key.getEncoded()));
  }
}
