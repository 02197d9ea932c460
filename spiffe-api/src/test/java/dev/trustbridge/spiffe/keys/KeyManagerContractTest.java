package dev.trustbridge.spiffe.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The contract every {@link KeyManager} passes. A backend's test extends this class, implements
 * {@link #newKeyManager()} (a fresh, empty manager per call) and overrides {@link
 * #supportedKeyTypes()} and {@link #reopen(KeyManager)} where they apply.
 *
 * <p>Signatures are checked with the JDK's own providers on a re-decoded public key, so a backend
 * cannot pass by verifying its own mistakes. Only EC P-256 keys are generated, except in the tests
 * that go through every supported type, so that slow RSA-4096 generation happens once per class.
 */
public abstract class KeyManagerContractTest {
  private static final Pattern LONG_HEX = Pattern.compile("[0-9a-fA-F]{48,}");
  private static final Pattern LONG_BASE64 = Pattern.compile("[A-Za-z0-9+/=]{64,}");
  private static final Pattern LONG_DECIMAL = Pattern.compile("[0-9]{40,}");

  /** A new, empty key manager. Called once per test, possibly more. */
  protected abstract KeyManager newKeyManager();

  /**
   * Whether this backend's keys sign in this process ({@link CaKey#signsInProcess()}). Each backend
   * must say: a key that claims it wrongly has its leaves' signatures go unverified.
   */
  protected abstract boolean signsInProcess();

  /** The key types this backend can generate; all by default. */
  protected Set<KeyType> supportedKeyTypes() {
    return EnumSet.allOf(KeyType.class);
  }

  /**
   * For persistent backends: a new manager over the same storage as {@code manager} (which may be
   * closed first), as after a restart. Empty (the default) skips the persistence tests.
   */
  protected Optional<KeyManager> reopen(KeyManager manager) {
    return Optional.empty();
  }

  /**
   * The PKCS#8 encoding of a key's private half, where the test can reach it, to check that no
   * string shows it. Empty (the default) leaves only the generic checks.
   */
  protected Optional<byte[]> privateKeyEncodingForLeakCheck(CaKey key) {
    return Optional.empty();
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  public void generate_eachSupportedType_signsVerifiablyAndSignsCertificates(KeyType type)
      throws Exception {
    assumeTrue(supportedKeyTypes().contains(type), type + " is not supported by this backend");
    KeyManager manager = newKeyManager();

    CaKey key = manager.generate("key-" + type, type);

    assertEquals("key-" + type, key.id());
    assertEquals(type, key.keyType());
    assertEquals(Optional.of(type), KeyType.of(key.publicKey()));
    byte[] data = "to be signed".getBytes(StandardCharsets.UTF_8);
    byte[] signature = key.sign(data);
    assertSignatureEncoding(type, key.publicKey(), signature);
    assertTrue(verifyIndependently(key.publicKey(), type, data, signature));
    assertFalse(verifyIndependently(key.publicKey(), type, "other".getBytes(), signature));

    CaKey found = manager.find(key.id()).orElseThrow();
    assertEquals(type, found.keyType());
    assertArrayEquals(key.publicKey().getEncoded(), found.publicKey().getEncoded());
    assertTrue(verifyIndependently(found.publicKey(), type, data, found.sign(data)));

    X509Certificate certificate = selfSignedCertificate(found);
    certificate.verify(independentPublicKey(key.publicKey(), type));
    assertEquals(
        type.signatureAlgorithmIdentifier().getAlgorithm().getId(), certificate.getSigAlgOID());
  }

  @Test
  public void sign_emptyAndLargeData_verifies() throws Exception {
    CaKey key = newKeyManager().generate("big-and-empty", KeyType.EC_P256);
    byte[] empty = new byte[0];
    byte[] large = new byte[8 * 1024 * 1024 + 3];
    new Random(42).nextBytes(large);

    assertTrue(verifyIndependently(key.publicKey(), KeyType.EC_P256, empty, key.sign(empty)));
    assertTrue(verifyIndependently(key.publicKey(), KeyType.EC_P256, large, key.sign(large)));
  }

  @Test
  public void signsInProcess_isWhatTheBackendDeclares() {
    KeyManager manager = newKeyManager();
    CaKey generated = manager.generate("where-it-signs", KeyType.EC_P256);
    assertEquals(signsInProcess(), generated.signsInProcess());
    assertEquals(signsInProcess(), manager.find("where-it-signs").orElseThrow().signsInProcess());
  }

  @Test
  public void find_unknownId_isEmpty() {
    assertEquals(Optional.empty(), newKeyManager().find("never-generated"));
  }

  @Test
  public void keyIds_areSorted() {
    KeyManager manager = newKeyManager();
    for (String id : List.of("charlie", "alpha.2", "Bravo", "alpha-1", "0-zero")) {
      manager.generate(id, KeyType.EC_P256);
    }

    assertEquals(List.of("0-zero", "Bravo", "alpha-1", "alpha.2", "charlie"), manager.keyIds());
  }

  @Test
  public void keyIds_ofNewManager_isEmpty() {
    assertEquals(List.of(), newKeyManager().keyIds());
  }

  @Test
  public void delete_thenFind_isEmptyAndIdIsGone() {
    KeyManager manager = newKeyManager();
    manager.generate("doomed", KeyType.EC_P256);
    manager.generate("kept", KeyType.EC_P256);

    manager.delete("doomed");

    assertEquals(Optional.empty(), manager.find("doomed"));
    assertEquals(List.of("kept"), manager.keyIds());
    assertTrue(manager.find("kept").isPresent());
  }

  @Test
  public void delete_thenGenerateSameId_makesANewKey() {
    KeyManager manager = newKeyManager();
    PublicKey first = manager.generate("reused", KeyType.EC_P256).publicKey();
    manager.delete("reused");

    PublicKey second = manager.generate("reused", KeyType.EC_P256).publicKey();

    assertNotEquals(hex(first.getEncoded()), hex(second.getEncoded()));
  }

  @Test
  public void sign_withKeyDeletedSinceFound_fails() {
    KeyManager manager = newKeyManager();
    CaKey key = manager.generate("deleted-under-me", KeyType.EC_P256);

    manager.delete("deleted-under-me");

    assertThrows(TrustbridgeException.class, () -> key.sign(new byte[] {1}));
  }

  @Test
  public void delete_unknownId_isNoOp() {
    KeyManager manager = newKeyManager();
    manager.generate("present", KeyType.EC_P256);

    manager.delete("absent");

    assertEquals(List.of("present"), manager.keyIds());
  }

  @Test
  public void generate_duplicateId_isAlreadyExistsAndKeepsTheFirstKey() {
    KeyManager manager = newKeyManager();
    CaKey first = manager.generate("twice", KeyType.EC_P256);

    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> manager.generate("twice", KeyType.EC_P384));

    assertEquals(ErrorCode.ALREADY_EXISTS, e.code());
    assertTrue(e.getMessage().contains("twice"), e.getMessage());
    CaKey found = manager.find("twice").orElseThrow();
    assertEquals(KeyType.EC_P256, found.keyType());
    assertEquals(hex(first.publicKey().getEncoded()), hex(found.publicKey().getEncoded()));
  }

  @Test
  public void generate_sameIdConcurrently_exactlyOneWins() throws Exception {
    KeyManager manager = newKeyManager();
    int threads = 6;
    List<Callable<Boolean>> attempts = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      attempts.add(
          () -> {
            try {
              manager.generate("contended", KeyType.EC_P256);
              return true;
            } catch (TrustbridgeException e) {
              assertEquals(ErrorCode.ALREADY_EXISTS, e.code());
              return false;
            }
          });
    }

    List<Boolean> outcomes = runTogether(attempts);

    assertEquals(1, outcomes.stream().filter(won -> won).count());
    assertEquals(List.of("contended"), manager.keyIds());
  }

  @Test
  public void invalidIds_areInvalidArgument_forEveryOperation() {
    KeyManager manager = newKeyManager();
    List<String> invalid =
        List.of(
            "",
            ".",
            "..",
            ".hidden",
            "../escape",
            "a/b",
            "/absolute",
            "a\\b",
            "with space",
            "tab\t",
            "nul\0",
            "colon:x",
            "caf\u00e9",
            "x".repeat(129));
    for (String id : invalid) {
      assertInvalidArgument(() -> manager.generate(id, KeyType.EC_P256), id);
      assertInvalidArgument(() -> manager.find(id), id);
      assertInvalidArgument(() -> manager.delete(id), id);
    }
    assertEquals(List.of(), manager.keyIds());
  }

  @Test
  public void validIds_atTheLimits_areAccepted() {
    KeyManager manager = newKeyManager();
    String longest = "k".repeat(128);

    manager.generate(longest, KeyType.EC_P256);
    manager.generate("a", KeyType.EC_P256);
    manager.generate("A-z_0.9", KeyType.EC_P256);

    assertEquals(List.of("A-z_0.9", "a", longest), manager.keyIds());
  }

  @Test
  public void sign_fromSeveralThreadsAtOnce_allSignaturesVerify() throws Exception {
    CaKey key = newKeyManager().generate("shared", KeyType.EC_P256);
    List<Callable<Boolean>> signers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int thread = t;
      signers.add(
          () -> {
            for (int i = 0; i < 10; i++) {
              byte[] data = ("thread " + thread + " message " + i).getBytes(StandardCharsets.UTF_8);
              if (!verifyIndependently(key.publicKey(), KeyType.EC_P256, data, key.sign(data))) {
                return false;
              }
            }
            return true;
          });
    }

    assertEquals(List.of(true, true, true, true, true, true, true, true), runTogether(signers));
  }

  @Test
  public void generate_differentIds_haveDifferentPublicKeys() {
    KeyManager manager = newKeyManager();

    CaKey one = manager.generate("one", KeyType.EC_P256);
    CaKey two = manager.generate("two", KeyType.EC_P256);

    assertNotEquals(hex(one.publicKey().getEncoded()), hex(two.publicKey().getEncoded()));
  }

  @ParameterizedTest
  @EnumSource(
      value = KeyType.class,
      names = {"EC_P256", "EC_P384", "RSA_2048", "ED25519"})
  public void reopen_keepsKeysOfEachType(KeyType type) throws Exception {
    assumeTrue(supportedKeyTypes().contains(type), type + " is not supported by this backend");
    KeyManager manager = newKeyManager();
    CaKey original = manager.generate("persistent", type);
    manager.generate("other", KeyType.EC_P256);
    byte[] data = "after restart".getBytes(StandardCharsets.UTF_8);

    Optional<KeyManager> reopened = reopen(manager);
    assumeTrue(reopened.isPresent(), "this backend does not persist keys");

    KeyManager restarted = reopened.get();
    assertEquals(List.of("other", "persistent"), restarted.keyIds());
    CaKey found = restarted.find("persistent").orElseThrow();
    assertEquals(type, found.keyType());
    assertEquals(hex(original.publicKey().getEncoded()), hex(found.publicKey().getEncoded()));
    assertTrue(verifyIndependently(original.publicKey(), type, data, found.sign(data)));
  }

  @Test
  public void reopen_afterDelete_keyStaysGone() {
    KeyManager manager = newKeyManager();
    manager.generate("gone", KeyType.EC_P256);
    manager.delete("gone");

    Optional<KeyManager> reopened = reopen(manager);
    assumeTrue(reopened.isPresent(), "this backend does not persist keys");

    assertEquals(Optional.empty(), reopened.get().find("gone"));
    assertEquals(List.of(), reopened.get().keyIds());
  }

  @Test
  public void toString_ofKeyAndManager_revealsNoPrivateKeyMaterial() {
    KeyManager manager = newKeyManager();
    List<CaKey> keys = new ArrayList<>();
    for (KeyType type : List.of(KeyType.EC_P256, KeyType.ED25519, KeyType.RSA_2048)) {
      if (supportedKeyTypes().contains(type)) {
        keys.add(manager.generate("leak-" + type, type));
      }
    }
    keys.add(manager.find("leak-" + keys.get(0).keyType()).orElseThrow());
    TrustbridgeException duplicate =
        assertThrows(
            TrustbridgeException.class,
            () -> manager.generate(keys.get(0).id(), keys.get(0).keyType()));

    List<String> shown = new ArrayList<>();
    shown.add(manager.toString());
    shown.add(duplicate.getMessage());
    keys.forEach(key -> shown.add(key.toString()));
    for (String text : shown) {
      assertFalse(text.contains("PRIVATE"), text);
      assertFalse(LONG_HEX.matcher(text).find(), text);
      assertFalse(LONG_BASE64.matcher(text).find(), text);
      assertFalse(LONG_DECIMAL.matcher(text).find(), text);
      for (CaKey key : keys) {
        Optional<byte[]> secret = privateKeyEncodingForLeakCheck(key);
        secret.ifPresent(
            encoded -> {
              for (String form : PrivateKeyForms.of(encoded)) {
                assertFalse(text.contains(form), text);
              }
            });
      }
    }
  }

  /**
   * A self-signed certificate signed through {@link CaKeyContentSigner}, as issuance builds them.
   */
  protected static X509Certificate selfSignedCertificate(CaKey key) throws Exception {
    X500Name name = new X500Name("CN=Trustbridge contract test " + key.id());
    Instant now = Instant.now();
    X509CertificateHolder holder =
        new JcaX509v3CertificateBuilder(
                name,
                BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofMinutes(1))),
                Date.from(now.plus(Duration.ofHours(1))),
                name,
                key.publicKey())
            .build(new CaKeyContentSigner(key));
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new java.io.ByteArrayInputStream(holder.getEncoded()));
  }

  /**
   * Verifies with the JDK's default providers on a public key re-decoded from its encoding, so
   * neither Conscrypt nor Bouncy Castle (nor the backend's own key objects) take part.
   */
  protected static boolean verifyIndependently(
      PublicKey publicKey, KeyType type, byte[] data, byte[] signature) throws Exception {
    Signature verifier = Signature.getInstance(type.jcaSignatureAlgorithm());
    verifier.initVerify(independentPublicKey(publicKey, type));
    verifier.update(data);
    return verifier.verify(signature);
  }

  private static PublicKey independentPublicKey(PublicKey publicKey, KeyType type)
      throws Exception {
    return KeyFactory.getInstance(type.jcaKeyAlgorithm())
        .generatePublic(new X509EncodedKeySpec(publicKey.getEncoded()));
  }

  /**
   * DER Ecdsa-Sig-Value for ECDSA, modulus-length PKCS#1 v1.5 for RSA, raw 64 bytes for Ed25519.
   */
  protected static void assertSignatureEncoding(KeyType type, PublicKey publicKey, byte[] signature)
      throws Exception {
    switch (type) {
      case EC_P256, EC_P384 -> {
        ASN1Sequence sequence = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(signature));
        assertEquals(2, sequence.size(), "Ecdsa-Sig-Value has r and s");
        BigInteger order = ((ECPublicKey) publicKey).getParams().getOrder();
        for (int i = 0; i < 2; i++) {
          BigInteger value = ASN1Integer.getInstance(sequence.getObjectAt(i)).getPositiveValue();
          assertTrue(value.signum() > 0 && value.compareTo(order) < 0, "r and s are in [1, n)");
        }
        assertArrayEquals(signature, sequence.getEncoded("DER"), "signature is strict DER");
      }
      case RSA_2048, RSA_3072, RSA_4096 ->
          assertEquals(
              (((RSAPublicKey) publicKey).getModulus().bitLength() + 7) / 8, signature.length);
      case ED25519 -> assertEquals(64, signature.length);
    }
  }

  private static void assertInvalidArgument(Runnable operation, String id) {
    try {
      operation.run();
      fail("key id " + HexFormat.of().formatHex(id.getBytes(StandardCharsets.UTF_8)) + " accepted");
    } catch (TrustbridgeException e) {
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
    }
  }

  private static <T> List<T> runTogether(List<Callable<T>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> task : tasks) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return task.call();
                }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> future : futures) {
        results.add(future.get(60, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  /** The ways a private key could show up in text: hex, Base64, and its secret scalar. */
  static final class PrivateKeyForms {
    private PrivateKeyForms() {}

    static List<String> of(byte[] pkcs8) {
      List<String> forms = new ArrayList<>();
      forms.add(HexFormat.of().formatHex(pkcs8));
      forms.add(HexFormat.of().withUpperCase().formatHex(pkcs8));
      forms.add(Base64.getEncoder().encodeToString(pkcs8));
      try {
        org.bouncycastle.asn1.pkcs.PrivateKeyInfo info =
            org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(pkcs8);
        org.bouncycastle.asn1.ASN1Encodable inner = info.parsePrivateKey();
        BigInteger secret;
        if (inner instanceof org.bouncycastle.asn1.ASN1OctetString octets) {
          secret = new BigInteger(1, octets.getOctets()); // Ed25519 seed
        } else if (ASN1Sequence.getInstance(inner).size() >= 9) {
          secret = org.bouncycastle.asn1.pkcs.RSAPrivateKey.getInstance(inner).getPrivateExponent();
        } else {
          secret = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(inner).getKey();
        }
        forms.add(secret.toString(16));
        forms.add(secret.toString(10));
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
      return forms;
    }
  }
}
