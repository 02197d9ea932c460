package dev.trustbridge.ca.issuance;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.KeyType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Provider;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Checks a PKCS#10 certification request and extracts the only thing issuance takes from it: the
 * public key. Subject, SANs and extensions in the request are ignored.
 *
 * <p>The signature is verified once, by the chosen provider over the DER of the
 * CertificationRequestInfo, after the algorithm has been checked against the key type. (Bouncy
 * Castle's content verifier would verify twice per call.)
 */
public final class CsrValidator {
  public static final String EMPTY = "CSR is empty";
  public static final String TOO_LARGE = "CSR exceeds the maximum size of %d bytes";
  public static final String NOT_PKCS10 = "CSR is not a valid PKCS#10 request";
  public static final String BAD_PEM = "CSR PEM block is malformed";
  public static final String KEY_UNSUPPORTED =
      "CSR public key is not allowed: use EC P-256, EC P-384, RSA 2048/3072/4096 or Ed25519";
  public static final String KEY_TYPE_DISABLED = "CSR key type %s is not allowed by this server";
  public static final String ALGORITHM_MISMATCH =
      "CSR signature algorithm does not match its key type";
  public static final String BAD_SIGNATURE = "CSR signature is invalid";

  /**
   * Verifies a signature in a JCA signature algorithm with the chosen provider, as {@link
   * dev.trustbridge.spiffe.keys.CryptoProviders#verify} does.
   */
  @FunctionalInterface
  public interface SignatureVerifier {
    /** True if {@code signature} is {@code key}'s valid {@code jcaAlgorithm} signature of data. */
    boolean verify(String jcaAlgorithm, PublicKey key, byte[] data, byte[] signature)
        throws GeneralSecurityException;
  }

  /**
   * Decodes an X.509 SubjectPublicKeyInfo for a JCA key algorithm name ({@code EC}, {@code RSA},
   * {@code Ed25519}).
   */
  @FunctionalInterface
  public interface KeyFactorySource {
    /**
     * The JDK's own key factories (SunEC, SunRsaSign). What the server uses: their key objects
     * answer {@code getParams()} and {@code getEncoded()} from fields, where a Conscrypt key goes
     * to native code on each call (3.9% of an issuance's CPU in KeyType.of alone), and a Conscrypt
     * verifier translates a JDK key from its cached encoding in one native call.
     */
    KeyFactorySource JDK = KeyFactory::getInstance;

    KeyFactory create(String jcaKeyAlgorithm) throws GeneralSecurityException;
  }

  /** A CSR that passed every check: its public key and that key's type. */
  public record ValidatedCsr(PublicKey publicKey, KeyType keyType) {
    public ValidatedCsr {
      Objects.requireNonNull(publicKey, "publicKey");
      Objects.requireNonNull(keyType, "keyType");
    }
  }

  private static final Map<ASN1ObjectIdentifier, String> EC_ALGORITHMS =
      Map.of(
          X9ObjectIdentifiers.ecdsa_with_SHA256, "SHA256withECDSA",
          X9ObjectIdentifiers.ecdsa_with_SHA384, "SHA384withECDSA",
          X9ObjectIdentifiers.ecdsa_with_SHA512, "SHA512withECDSA");
  private static final Map<ASN1ObjectIdentifier, String> RSA_ALGORITHMS =
      Map.of(
          PKCSObjectIdentifiers.sha256WithRSAEncryption, "SHA256withRSA",
          PKCSObjectIdentifiers.sha384WithRSAEncryption, "SHA384withRSA",
          PKCSObjectIdentifiers.sha512WithRSAEncryption, "SHA512withRSA");

  /** Decodes public keys when no key factory source is given. */
  private static final Provider KEY_PROVIDER = new BouncyCastleProvider();

  private final int maxBytes;
  private final Set<KeyType> allowedKeyTypes;
  private final SignatureVerifier signatures;
  private final KeyFactorySource keyFactories;

  /** Decodes public keys with Bouncy Castle and verifies with {@code signatures}. */
  public CsrValidator(int maxBytes, Set<KeyType> allowedKeyTypes, SignatureVerifier signatures) {
    this(maxBytes, allowedKeyTypes, signatures, alg -> KeyFactory.getInstance(alg, KEY_PROVIDER));
  }

  /**
   * Decodes public keys with {@code keyFactories} and verifies with {@code signatures}. The server
   * passes {@link KeyFactorySource#JDK} and the fast provider's signatures.
   */
  public CsrValidator(
      int maxBytes,
      Set<KeyType> allowedKeyTypes,
      SignatureVerifier signatures,
      KeyFactorySource keyFactories) {
    this.keyFactories = Objects.requireNonNull(keyFactories, "keyFactories");
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive");
    }
    this.maxBytes = maxBytes;
    this.allowedKeyTypes = Set.copyOf(EnumSet.copyOf(allowedKeyTypes));
    this.signatures = Objects.requireNonNull(signatures, "signatures");
  }

  /**
   * Validates a CSR given as DER or as a PEM {@code CERTIFICATE REQUEST} block.
   *
   * @throws TrustbridgeException with code INVALID_ARGUMENT and one of this class's messages
   */
  public ValidatedCsr validate(byte[] csr) {
    Objects.requireNonNull(csr, "csr");
    if (csr.length == 0) {
      throw TrustbridgeException.invalidArgument(EMPTY);
    }
    if (csr.length > maxBytes) {
      throw TrustbridgeException.invalidArgument(String.format(TOO_LARGE, maxBytes));
    }
    byte[] der = looksLikePem(csr) ? pemToDer(csr) : csr;
    CertificationRequest request = parse(der);
    PublicKey publicKey = publicKey(request, keyFactories);
    KeyType keyType =
        KeyType.of(publicKey)
            .orElseThrow(() -> TrustbridgeException.invalidArgument(KEY_UNSUPPORTED));
    if (!allowedKeyTypes.contains(keyType)) {
      throw TrustbridgeException.invalidArgument(String.format(KEY_TYPE_DISABLED, keyType));
    }
    String algorithm =
        signatureAlgorithm(request.getSignatureAlgorithm().getAlgorithm(), keyType)
            .orElseThrow(() -> TrustbridgeException.invalidArgument(ALGORITHM_MISMATCH));
    // ECDSA and Ed25519 identifiers carry no parameters (RFC 5758, RFC 8410).
    if (!keyType.isRsa() && request.getSignatureAlgorithm().getParameters() != null) {
      throw TrustbridgeException.invalidArgument(ALGORITHM_MISMATCH);
    }
    verify(request, publicKey, algorithm);
    return new ValidatedCsr(publicKey, keyType);
  }

  private static boolean looksLikePem(byte[] csr) {
    // DER starts with a SEQUENCE tag (0x30); PEM with "-----" possibly after whitespace.
    for (byte b : csr) {
      if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
        continue;
      }
      return b == '-';
    }
    return false;
  }

  private static byte[] pemToDer(byte[] pem) {
    String text = new String(pem, StandardCharsets.US_ASCII).strip();
    String begin;
    String end;
    if (text.startsWith("-----BEGIN CERTIFICATE REQUEST-----")) {
      begin = "-----BEGIN CERTIFICATE REQUEST-----";
      end = "-----END CERTIFICATE REQUEST-----";
    } else if (text.startsWith("-----BEGIN NEW CERTIFICATE REQUEST-----")) {
      begin = "-----BEGIN NEW CERTIFICATE REQUEST-----";
      end = "-----END NEW CERTIFICATE REQUEST-----";
    } else {
      throw TrustbridgeException.invalidArgument(BAD_PEM);
    }
    int endIndex = text.indexOf(end);
    if (endIndex < 0 || !text.substring(endIndex + end.length()).isBlank()) {
      throw TrustbridgeException.invalidArgument(BAD_PEM);
    }
    String body = text.substring(begin.length(), endIndex).replaceAll("\\s+", "");
    try {
      return Base64.getDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw TrustbridgeException.invalidArgument(BAD_PEM);
    }
  }

  private static CertificationRequest parse(byte[] der) {
    try {
      CertificationRequest request = CertificationRequest.getInstance(der);
      // Reject trailing bytes and non-DER encodings: re-encoding must give the input back.
      if (request == null || !Arrays.equals(request.getEncoded(ASN1Encoding.DER), der)) {
        throw TrustbridgeException.invalidArgument(NOT_PKCS10);
      }
      return request;
    } catch (IOException | RuntimeException e) {
      if (e instanceof TrustbridgeException te) {
        throw te;
      }
      throw TrustbridgeException.invalidArgument(NOT_PKCS10);
    }
  }

  private static PublicKey publicKey(CertificationRequest request, KeyFactorySource factories) {
    try {
      byte[] spki =
          request
              .getCertificationRequestInfo()
              .getSubjectPublicKeyInfo()
              .getEncoded(ASN1Encoding.DER);
      ASN1ObjectIdentifier keyAlgorithm =
          request
              .getCertificationRequestInfo()
              .getSubjectPublicKeyInfo()
              .getAlgorithm()
              .getAlgorithm();
      String jcaName;
      if (keyAlgorithm.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
        jcaName = "EC";
      } else if (keyAlgorithm.equals(PKCSObjectIdentifiers.rsaEncryption)) {
        jcaName = "RSA";
      } else if (keyAlgorithm.equals(EdECObjectIdentifiers.id_Ed25519)) {
        jcaName = "Ed25519";
      } else {
        throw TrustbridgeException.invalidArgument(KEY_UNSUPPORTED);
      }
      return factories.create(jcaName).generatePublic(new X509EncodedKeySpec(spki));
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      if (e instanceof TrustbridgeException te) {
        throw te;
      }
      throw TrustbridgeException.invalidArgument(KEY_UNSUPPORTED);
    }
  }

  private static Optional<String> signatureAlgorithm(ASN1ObjectIdentifier oid, KeyType keyType) {
    return switch (keyType) {
      case EC_P256, EC_P384 -> Optional.ofNullable(EC_ALGORITHMS.get(oid));
      case RSA_2048, RSA_3072, RSA_4096 -> Optional.ofNullable(RSA_ALGORITHMS.get(oid));
      case ED25519 ->
          oid.equals(EdECObjectIdentifiers.id_Ed25519) ? Optional.of("Ed25519") : Optional.empty();
    };
  }

  private void verify(CertificationRequest request, PublicKey key, String algorithm) {
    boolean valid;
    try {
      valid =
          signatures.verify(
              algorithm,
              key,
              request.getCertificationRequestInfo().getEncoded(ASN1Encoding.DER),
              request.getSignature().getOctets());
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      valid = false;
    }
    if (!valid) {
      throw TrustbridgeException.invalidArgument(BAD_SIGNATURE);
    }
  }
}
