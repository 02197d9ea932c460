package dev.trustbridge.spiffe.keys;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.EncryptionScheme;
import org.bouncycastle.asn1.pkcs.KeyDerivationFunc;
import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.BigIntegers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the contract cannot say about {@link EncryptedFileKeyManager}: files, format, failures. */
class EncryptedFileKeyManagerTest {
  private static final char[] PASSPHRASE = "correct horse battery staple".toCharArray();

  @TempDir Path temp;
  private Path directory;

  @BeforeEach
  void setUp() {
    directory = temp.resolve("ca").resolve("keys");
  }

  private EncryptedFileKeyManager open(char[] passphrase) {
    return EncryptedFileKeyManager.builder(directory, passphrase)
        .providers(CryptoProviders.detect())
        .pbkdf2Iterations(EncryptedFileKeyManager.MIN_PBKDF2_ITERATIONS)
        .open();
  }

  private Path keyFile(String id) {
    return directory.resolve(id + ".pem");
  }

  @Test
  void generate_createsDirectory0700AndKeyFile0600() throws IOException {
    assumeTrue(Passphrases.posix(), "POSIX permissions");

    open(PASSPHRASE).generate("root-1", KeyType.EC_P256);

    assertEquals("rwx------", permissions(directory));
    assertEquals("rw-------", permissions(keyFile("root-1")));
  }

  @Test
  void keyFile_isEncryptedPkcs8WithPbkdf2HmacSha256AndAes256() throws Exception {
    EncryptedFileKeyManager manager = open(PASSPHRASE);
    CaKey key = manager.generate("root-1", KeyType.EC_P256);
    String pem = Files.readString(keyFile("root-1"), US_ASCII);
    byte[] scalar = ecScalar(TestKeys.privateKeyEncoding(key).orElseThrow());

    assertTrue(pem.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"), pem);
    assertTrue(pem.strip().endsWith("-----END ENCRYPTED PRIVATE KEY-----"), pem);
    assertFalse(pem.contains("BEGIN PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY"), pem);
    PKCS8EncryptedPrivateKeyInfo encrypted = parse(pem);
    assertFalse(contains(encrypted.getEncoded(), scalar), "the private scalar is in the clear");
    assertEquals(PKCSObjectIdentifiers.id_PBES2, encrypted.getEncryptionAlgorithm().getAlgorithm());
    PBES2Parameters pbes2 =
        PBES2Parameters.getInstance(encrypted.getEncryptionAlgorithm().getParameters());
    KeyDerivationFunc kdf = pbes2.getKeyDerivationFunc();
    assertEquals(PKCSObjectIdentifiers.id_PBKDF2, kdf.getAlgorithm());
    PBKDF2Params pbkdf2 = PBKDF2Params.getInstance(kdf.getParameters());
    assertTrue(pbkdf2.getIterationCount().intValueExact() >= 100_000);
    assertEquals(PKCSObjectIdentifiers.id_hmacWithSHA256, pbkdf2.getPrf().getAlgorithm());
    EncryptionScheme scheme = pbes2.getEncryptionScheme();
    assertEquals(NISTObjectIdentifiers.id_aes256_CBC, scheme.getAlgorithm());
  }

  @Test
  void keyFile_decryptsWithPlainBouncyCastleToTheSameKey() throws Exception {
    CaKey key = open(PASSPHRASE).generate("interop", KeyType.ED25519);

    PrivateKeyInfo info =
        parse(Files.readString(keyFile("interop"), US_ASCII))
            .decryptPrivateKeyInfo(
                new JceOpenSSLPKCS8DecryptorProviderBuilder()
                    .setProvider(CryptoProviders.bouncyCastleOnly().bouncyCastle())
                    .build(PASSPHRASE));

    PrivateKey decoded =
        KeyFactory.getInstance("Ed25519")
            .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    java.security.Signature signer = java.security.Signature.getInstance("Ed25519");
    signer.initSign(decoded);
    signer.update(new byte[] {7});
    assertTrue(
        KeyManagerContractTest.verifyIndependently(
            key.publicKey(), KeyType.ED25519, new byte[] {7}, signer.sign()));
  }

  @Test
  void find_withWrongPassphrase_isFailedPreconditionNamingTheKeyId() {
    open(PASSPHRASE).generate("root-2026", KeyType.EC_P256);
    char[] wrong = "Tr0ub4dor&3".toCharArray();

    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> open(wrong).find("root-2026"));

    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertTrue(e.getMessage().contains("'root-2026'"), e.getMessage());
    assertFalse(e.getMessage().contains("Tr0ub4dor"), e.getMessage());
    assertFalse(e.getMessage().contains("correct horse"), e.getMessage());
    for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
      assertFalse(String.valueOf(cause.getMessage()).contains("Tr0ub4dor"), cause.toString());
    }
  }

  @Test
  void find_truncatedFile_isFailedPrecondition() throws IOException {
    open(PASSPHRASE).generate("cut", KeyType.EC_P256);
    byte[] content = Files.readAllBytes(keyFile("cut"));
    Files.write(keyFile("cut"), Arrays.copyOf(content, content.length / 2));

    assertFailedPreconditionNaming("cut", () -> open(PASSPHRASE).find("cut"));
  }

  @Test
  void find_flippedCiphertextByte_isFailedPrecondition() throws IOException {
    open(PASSPHRASE).generate("flipped", KeyType.EC_P256);
    String pem = Files.readString(keyFile("flipped"), US_ASCII);
    PKCS8EncryptedPrivateKeyInfo encrypted = parse(pem);
    byte[] der = encrypted.getEncoded();
    der[der.length - 20] ^= 0x5a; // inside the ciphertext, before the last block
    Files.writeString(keyFile("flipped"), pem(der), US_ASCII);

    assertFailedPreconditionNaming("flipped", () -> open(PASSPHRASE).find("flipped"));
  }

  @Test
  void find_fileWithOtherContent_isFailedPrecondition() throws IOException {
    open(PASSPHRASE); // creates the directory
    Files.writeString(keyFile("garbage"), "not a key\n");
    Files.writeString(
        keyFile("plain"), "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n");

    assertFailedPreconditionNaming("garbage", () -> open(PASSPHRASE).find("garbage"));
    assertFailedPreconditionNaming("plain", () -> open(PASSPHRASE).find("plain"));
  }

  @Test
  void generate_leavesNoTemporaryFiles() throws IOException {
    EncryptedFileKeyManager manager = open(PASSPHRASE);

    manager.generate("a", KeyType.EC_P256);
    manager.generate("b", KeyType.ED25519);
    manager.delete("a");

    try (Stream<Path> files = Files.list(directory)) {
      assertEquals(List.of("b.pem"), files.map(f -> f.getFileName().toString()).toList());
    }
  }

  @Test
  void open_removesTemporaryFilesLeftByACrash() throws IOException {
    open(PASSPHRASE).generate("survivor", KeyType.EC_P256);
    Files.writeString(directory.resolve(".victim.0011223344556677.tmp"), "half a key");

    EncryptedFileKeyManager reopened = open(PASSPHRASE);

    assertFalse(Files.exists(directory.resolve(".victim.0011223344556677.tmp")));
    assertEquals(List.of("survivor"), reopened.keyIds());
  }

  @Test
  void keyIds_ignoreFilesThatAreNotKeys() throws IOException {
    EncryptedFileKeyManager manager = open(PASSPHRASE);
    manager.generate("real", KeyType.EC_P256);
    Files.writeString(directory.resolve("README"), "notes");
    Files.writeString(directory.resolve(".hidden.pem"), "x");
    Files.createDirectory(directory.resolve("sub.pem"));

    assertEquals(List.of("real"), manager.keyIds());
  }

  @Test
  void generate_overAFileWrittenByAnotherProcess_isAlreadyExistsAndKeepsTheFile()
      throws IOException {
    EncryptedFileKeyManager manager = open(PASSPHRASE);
    Files.writeString(keyFile("taken"), "someone else's");

    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> manager.generate("taken", KeyType.EC_P256));

    assertEquals(ErrorCode.ALREADY_EXISTS, e.code());
    assertEquals("someone else's", Files.readString(keyFile("taken")));
  }

  @Test
  void pathTraversalIds_areRefusedAndWriteNothing() throws IOException {
    EncryptedFileKeyManager manager = open(PASSPHRASE);

    for (String id : List.of("../escape", "..", "../../etc/passwd", "a/../../b", ".hidden")) {
      TrustbridgeException e =
          assertThrows(TrustbridgeException.class, () -> manager.generate(id, KeyType.EC_P256));
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    }

    try (Stream<Path> everything = Files.walk(temp)) {
      assertEquals(List.of(temp, temp.resolve("ca"), directory), everything.sorted().toList());
    }
  }

  @Test
  void open_directoryAccessibleByOthers_isRefused() throws IOException {
    assumeTrue(Passphrases.posix(), "POSIX permissions");
    Files.createDirectories(directory);
    Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));

    TrustbridgeException e = assertThrows(TrustbridgeException.class, () -> open(PASSPHRASE));

    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertTrue(e.getMessage().contains("0755"), e.getMessage());
  }

  @Test
  void builder_refusesWeakSettings() {
    var builder = EncryptedFileKeyManager.builder(directory, PASSPHRASE);

    assertEquals(
        ErrorCode.INVALID_ARGUMENT,
        assertThrows(TrustbridgeException.class, () -> builder.pbkdf2Iterations(99_999)).code());
    assertEquals(
        ErrorCode.INVALID_ARGUMENT,
        assertThrows(
                TrustbridgeException.class,
                () -> EncryptedFileKeyManager.open(directory, new char[0]))
            .code());
  }

  @Test
  void open_copiesThePassphrase_soTheCallerMayWipeIt() {
    char[] mine = PASSPHRASE.clone();
    EncryptedFileKeyManager manager =
        EncryptedFileKeyManager.builder(directory, mine)
            .pbkdf2Iterations(EncryptedFileKeyManager.MIN_PBKDF2_ITERATIONS)
            .open();
    Arrays.fill(mine, '\0');

    manager.generate("after-wipe", KeyType.EC_P256);

    assertTrue(open(PASSPHRASE).find("after-wipe").isPresent());
  }

  @Test
  void close_forgetsKeysAndRefusesFurtherUse() {
    EncryptedFileKeyManager manager = open(PASSPHRASE);
    CaKey key = manager.generate("closing", KeyType.EC_P256);

    manager.close();

    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        assertThrows(TrustbridgeException.class, () -> key.sign(new byte[1])).code());
    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        assertThrows(TrustbridgeException.class, () -> manager.find("closing")).code());
    assertFalse(manager.toString().contains("correct horse"));
  }

  @Test
  void passphraseFromFile_readableByOthers_isRefused() throws IOException {
    assumeTrue(Passphrases.posix(), "POSIX permissions");
    Path file = temp.resolve("passphrase");
    Files.writeString(file, "s3cret-passphrase\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class, () -> EncryptedFileKeyManager.passphraseFromFile(file));

    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertTrue(e.getMessage().contains("0644"), e.getMessage());
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
  }

  @Test
  void passphraseFromFile_ownerOnly_isReadWithoutTheTrailingNewline() throws IOException {
    Path file = temp.resolve("passphrase");
    Files.writeString(file, "s3cret p\u00e4ssphrase\r\n", UTF_8);
    if (Passphrases.posix()) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    assertArrayEquals(
        "s3cret p\u00e4ssphrase".toCharArray(), EncryptedFileKeyManager.passphraseFromFile(file));
  }

  @Test
  void passphraseFromFile_missingOrEmpty_isFailedPrecondition() throws IOException {
    Path empty = temp.resolve("empty");
    Files.writeString(empty, "\n");
    if (Passphrases.posix()) {
      Files.setPosixFilePermissions(empty, PosixFilePermissions.fromString("r--------"));
    }

    for (Path file : List.of(empty, temp.resolve("missing"))) {
      assertEquals(
          ErrorCode.FAILED_PRECONDITION,
          assertThrows(
                  TrustbridgeException.class,
                  () -> EncryptedFileKeyManager.passphraseFromFile(file))
              .code());
    }
  }

  @Test
  void passphraseFromEnv_readsTheVariableAndRefusesUnsetOrEmpty() {
    Map<String, String> environment = Map.of("TB_KEY_PASS", "from-env", "TB_EMPTY", "");

    assertArrayEquals(
        "from-env".toCharArray(), Passphrases.fromEnv("TB_KEY_PASS", environment::get));
    for (String variable : List.of("TB_EMPTY", "TB_UNSET")) {
      TrustbridgeException e =
          assertThrows(
              TrustbridgeException.class, () -> Passphrases.fromEnv(variable, environment::get));
      assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
      assertTrue(e.getMessage().contains(variable), e.getMessage());
    }
  }

  private static void assertFailedPreconditionNaming(String keyId, Runnable operation) {
    TrustbridgeException e = assertThrows(TrustbridgeException.class, operation::run);
    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("'" + keyId + "'"), e.getMessage());
  }

  private static PKCS8EncryptedPrivateKeyInfo parse(String pem) throws IOException {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      return (PKCS8EncryptedPrivateKeyInfo) parser.readObject();
    }
  }

  private static String pem(byte[] der) {
    return "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
        + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END ENCRYPTED PRIVATE KEY-----\n";
  }

  private static byte[] ecScalar(byte[] pkcs8) throws IOException {
    BigInteger d =
        ECPrivateKey.getInstance(PrivateKeyInfo.getInstance(pkcs8).parsePrivateKey()).getKey();
    return BigIntegers.asUnsignedByteArray(32, d);
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static String permissions(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
