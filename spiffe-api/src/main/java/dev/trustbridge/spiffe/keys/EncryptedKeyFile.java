package dev.trustbridge.spiffe.keys;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.jcajce.JcaPKCS8EncryptedPrivateKeyInfoBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * The content of one key file: a single PEM block {@code ENCRYPTED PRIVATE KEY} holding a PKCS#8
 * {@code EncryptedPrivateKeyInfo} (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC). Nothing else is stored:
 * the public key and the key type are derived from the private key when it is read.
 */
final class EncryptedKeyFile {
  private static final byte[] PAIRWISE_TEST_MESSAGE =
      "trustbridge pairwise test".getBytes(US_ASCII);

  private EncryptedKeyFile() {}

  /** The PEM text of {@code key} encrypted under {@code passphrase}, with a fresh salt and IV. */
  static byte[] encrypt(
      String keyId,
      PrivateKey key,
      char[] passphrase,
      int iterations,
      SecureRandom random,
      CryptoProviders providers) {
    try {
      OutputEncryptor encryptor =
          new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
              .setProvider(providers.bouncyCastle())
              .setPRF(PKCS8Generator.PRF_HMACSHA256)
              .setIterationCount(iterations)
              .setRandom(random)
              .setPassword(passphrase)
              .build();
      PKCS8EncryptedPrivateKeyInfo encrypted =
          new JcaPKCS8EncryptedPrivateKeyInfoBuilder(key).build(encryptor);
      StringWriter pem = new StringWriter();
      try (PemWriter writer = new PemWriter(pem)) {
        writer.writeObject(new PemObject("ENCRYPTED PRIVATE KEY", encrypted.getEncoded()));
      }
      return pem.toString().getBytes(US_ASCII);
    } catch (OperatorCreationException | IOException e) {
      throw new TrustbridgeException(
          ErrorCode.INTERNAL, "cannot encrypt new key '" + keyId + "'", e);
    }
  }

  /**
   * Decrypts a key file and checks that the key is whole: its type is one Trustbridge accepts and a
   * test signature verifies under the derived public key.
   *
   * @throws TrustbridgeException FAILED_PRECONDITION naming the key id if the file is corrupt, the
   *     passphrase is wrong, or the key is unusable
   */
  static SoftwareCaKey decrypt(
      String keyId, byte[] content, char[] passphrase, CryptoProviders providers) {
    PrivateKeyInfo info;
    try {
      info =
          parse(keyId, content)
              .decryptPrivateKeyInfo(
                  new JceOpenSSLPKCS8DecryptorProviderBuilder()
                      .setProvider(providers.bouncyCastle())
                      .build(passphrase));
    } catch (TrustbridgeException e) {
      throw e;
    } catch (Exception e) {
      // Deliberately one message: a wrong passphrase and damaged ciphertext look the same to CBC.
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION,
          "cannot decrypt key '" + keyId + "': wrong passphrase or corrupt key file",
          e);
    }
    try {
      SubjectPublicKeyInfo publicInfo = derivePublicKey(info);
      String algorithm = jcaAlgorithm(info.getPrivateKeyAlgorithm().getAlgorithm());
      KeyFactory factory = providers.keyFactory(algorithm);
      PublicKey publicKey = factory.generatePublic(new X509EncodedKeySpec(publicInfo.getEncoded()));
      KeyType type =
          KeyType.of(publicKey)
              .orElseThrow(() -> unusable(keyId, "its type or size is not accepted", null));
      byte[] encoded = info.getEncoded();
      PrivateKey privateKey;
      try {
        privateKey = factory.generatePrivate(new PKCS8EncodedKeySpec(encoded));
      } finally {
        Arrays.fill(encoded, (byte) 0);
      }
      pairwiseTest(keyId, type, publicKey, privateKey, providers);
      return new SoftwareCaKey(keyId, type, publicKey, privateKey, providers);
    } catch (TrustbridgeException e) {
      throw e;
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      throw unusable(keyId, "it cannot be decoded", e);
    }
  }

  private static PKCS8EncryptedPrivateKeyInfo parse(String keyId, byte[] content) {
    try (PEMParser parser = new PEMParser(new StringReader(new String(content, US_ASCII)))) {
      Object first = parser.readObject();
      if (first instanceof PKCS8EncryptedPrivateKeyInfo info && parser.readObject() == null) {
        return info;
      }
      throw corrupt(keyId, null);
    } catch (IOException | RuntimeException e) {
      if (e instanceof TrustbridgeException t) {
        throw t;
      }
      throw corrupt(keyId, e);
    }
  }

  /** The public half, computed from the private key alone so that the two can never disagree. */
  private static SubjectPublicKeyInfo derivePublicKey(PrivateKeyInfo info) throws IOException {
    AlgorithmIdentifier algorithm = info.getPrivateKeyAlgorithm();
    ASN1ObjectIdentifier oid = algorithm.getAlgorithm();
    if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      ASN1ObjectIdentifier curve = ASN1ObjectIdentifier.getInstance(algorithm.getParameters());
      X9ECParameters parameters = ECNamedCurveTable.getByOID(curve);
      if (parameters == null) {
        throw new IOException("unknown curve " + curve);
      }
      BigInteger d = ECPrivateKey.getInstance(info.parsePrivateKey()).getKey();
      byte[] point = parameters.getG().multiply(d).normalize().getEncoded(false);
      return new SubjectPublicKeyInfo(
          new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, curve), point);
    }
    if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
      RSAPrivateKey rsa = RSAPrivateKey.getInstance(info.parsePrivateKey());
      return new SubjectPublicKeyInfo(
          new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
          new RSAPublicKey(rsa.getModulus(), rsa.getPublicExponent()));
    }
    if (oid.equals(EdECObjectIdentifiers.id_Ed25519)) {
      byte[] seed = ASN1OctetString.getInstance(info.parsePrivateKey()).getOctets();
      try {
        byte[] point = new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
        return new SubjectPublicKeyInfo(new AlgorithmIdentifier(oid), point);
      } finally {
        Arrays.fill(seed, (byte) 0);
      }
    }
    throw new IOException("unsupported key algorithm " + oid);
  }

  private static String jcaAlgorithm(ASN1ObjectIdentifier oid) throws IOException {
    if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      return "EC";
    }
    if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
      return "RSA";
    }
    if (oid.equals(EdECObjectIdentifiers.id_Ed25519)) {
      return "Ed25519";
    }
    throw new IOException("unsupported key algorithm " + oid);
  }

  /**
   * Signs once and verifies with Bouncy Castle: a damaged RSA-CRT key would otherwise make faulty
   * signatures, and a faulty RSA-CRT signature reveals the private key.
   */
  private static void pairwiseTest(
      String keyId,
      KeyType type,
      PublicKey publicKey,
      PrivateKey privateKey,
      CryptoProviders providers)
      throws GeneralSecurityException {
    Signature signer = providers.signature(type);
    signer.initSign(privateKey);
    signer.update(PAIRWISE_TEST_MESSAGE);
    byte[] signature = signer.sign();
    Signature verifier =
        Signature.getInstance(type.jcaSignatureAlgorithm(), providers.bouncyCastle());
    verifier.initVerify(publicKey);
    verifier.update(PAIRWISE_TEST_MESSAGE);
    if (!verifier.verify(signature)) {
      throw unusable(keyId, "a test signature does not verify", null);
    }
  }

  private static TrustbridgeException corrupt(String keyId, Throwable cause) {
    return new TrustbridgeException(
        ErrorCode.FAILED_PRECONDITION,
        "key file of key '" + keyId + "' is corrupt: it does not hold one encrypted PKCS#8 key",
        cause);
  }

  private static TrustbridgeException unusable(String keyId, String why, Throwable cause) {
    return new TrustbridgeException(
        ErrorCode.FAILED_PRECONDITION, "key '" + keyId + "' is unusable: " + why, cause);
  }
}
