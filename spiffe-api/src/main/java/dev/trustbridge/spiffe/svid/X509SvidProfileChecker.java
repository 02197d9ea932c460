package dev.trustbridge.spiffe.svid;

import static dev.trustbridge.spiffe.svid.CertificateFields.BASIC_CONSTRAINTS;
import static dev.trustbridge.spiffe.svid.CertificateFields.CLIENT_AUTH;
import static dev.trustbridge.spiffe.svid.CertificateFields.CRL_SIGN;
import static dev.trustbridge.spiffe.svid.CertificateFields.DIGITAL_SIGNATURE;
import static dev.trustbridge.spiffe.svid.CertificateFields.KEY_AGREEMENT;
import static dev.trustbridge.spiffe.svid.CertificateFields.KEY_CERT_SIGN;
import static dev.trustbridge.spiffe.svid.CertificateFields.KEY_ENCIPHERMENT;
import static dev.trustbridge.spiffe.svid.CertificateFields.KEY_USAGE;
import static dev.trustbridge.spiffe.svid.CertificateFields.NAME_CONSTRAINTS;
import static dev.trustbridge.spiffe.svid.CertificateFields.SERVER_AUTH;
import static dev.trustbridge.spiffe.svid.CertificateFields.SUBJECT_ALT_NAME;

import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraints;

/**
 * The producer face of the X509-SVID profile: what every certificate this CA emits must satisfy,
 * checked on each certificate before it leaves the server (DESIGN.md, request flow step 5).
 *
 * <p>It enforces every rule of X509-SVID sections 2 to 4 that binds a producer, including those a
 * validator does not check (ambiguity A10: KU critical, digitalSignature on leaves, EKU with both
 * purposes, CA ID without path), plus the issuer checklist of SPIFFE-CHECKLIST.md section 7. It is
 * stricter than the spec where our own builders are: a leaf must carry basicConstraints (A8), a
 * leaf must be in its issuer's trust domain and inside its validity, and the signature must verify.
 *
 * <p>A broken rule throws {@link SvidProfileException} whose message is exactly one of the
 * constants below; the first broken rule wins.
 */
public final class X509SvidProfileChecker {
  public static final String NOT_V3 = "certificate must be X.509 version 3";
  public static final String SERIAL_NOT_POSITIVE = "serial number must be positive";
  public static final String SERIAL_TOO_LONG = "serial number must be at most 20 octets";
  public static final String SAN_UNPARSEABLE = "subject alternative name extension is malformed";
  public static final String URI_SAN_COUNT = "certificate must have exactly one URI SAN";
  public static final String URI_SAN_NOT_SPIFFE = "URI SAN scheme must be spiffe";
  public static final String URI_SAN_INVALID = "URI SAN is not a valid SPIFFE ID";
  public static final String LEAF_ROOT_PATH = "leaf SPIFFE ID must have a non-root path";
  public static final String CA_ID_HAS_PATH = "CA SPIFFE ID must not have a path";
  public static final String ISSUER_NOT_SVID = "issuer must have a trust domain SPIFFE ID";
  public static final String LEAF_OTHER_TRUST_DOMAIN =
      "leaf SPIFFE ID must be in the issuer's trust domain";
  public static final String EMPTY_SUBJECT_SAN_NOT_CRITICAL =
      "SAN extension must be critical when the subject is empty";
  public static final String CA_SUBJECT_EMPTY = "CA subject must not be empty";
  public static final String BASIC_CONSTRAINTS_MISSING =
      "basicConstraints extension must be present";
  public static final String BASIC_CONSTRAINTS_NOT_CRITICAL =
      "basicConstraints extension must be critical";
  public static final String LEAF_IS_CA = "leaf must have cA=false";
  public static final String CA_NOT_CA = "CA certificate must have cA=true";
  public static final String KEY_USAGE_MISSING = "keyUsage extension must be present";
  public static final String KEY_USAGE_NOT_CRITICAL = "keyUsage extension must be critical";
  public static final String LEAF_NO_DIGITAL_SIGNATURE = "leaf keyUsage must set digitalSignature";
  public static final String LEAF_KEY_CERT_SIGN = "leaf keyUsage must not set keyCertSign";
  public static final String LEAF_CRL_SIGN = "leaf keyUsage must not set cRLSign";
  public static final String LEAF_KEY_USAGE_EXTRA =
      "leaf keyUsage may set only digitalSignature, keyEncipherment and keyAgreement";
  public static final String CA_NO_KEY_CERT_SIGN = "CA keyUsage must set keyCertSign";
  public static final String CA_LEAF_KEY_USAGE =
      "CA keyUsage must not set digitalSignature, keyEncipherment or keyAgreement";
  public static final String CA_KEY_USAGE_EXTRA =
      "CA keyUsage may set only keyCertSign and cRLSign";
  public static final String EKU_INCOMPLETE =
      "extended key usage, if present, must contain both serverAuth and clientAuth";
  public static final String KEY_TYPE_NOT_ALLOWED = "subject public key type is not allowed";
  public static final String SKI_MISSING = "subjectKeyIdentifier extension must be present";
  public static final String SKI_MALFORMED = "subjectKeyIdentifier extension is malformed";
  public static final String AKI_MALFORMED = "authorityKeyIdentifier extension is malformed";
  public static final String AKI_MISMATCH =
      "authorityKeyIdentifier must match the issuer's subjectKeyIdentifier";
  public static final String NAME_CONSTRAINTS_INVALID =
      "name constraints must be critical and permit exactly the CA's trust domain";
  public static final String ISSUER_NAME_MISMATCH = "issuer name must equal the issuer's subject";
  public static final String VALIDITY_EMPTY = "notAfter must be after notBefore";
  public static final String NOT_BEFORE_BEFORE_ISSUER =
      "notBefore must not be before the issuer's notBefore";
  public static final String NOT_AFTER_AFTER_ISSUER =
      "notAfter must not be after the issuer's notAfter";
  public static final String SIGNATURE_INVALID = "signature does not verify with the issuer's key";

  private static final BigInteger MAX_SERIAL = BigInteger.ONE.shiftLeft(159);

  private X509SvidProfileChecker() {}

  /**
   * Checks a leaf X509-SVID issued by {@code issuer}.
   *
   * @return the leaf's SPIFFE ID
   * @throws SvidProfileException naming the first broken rule
   */
  public static SpiffeId checkLeaf(X509Certificate leaf, X509Certificate issuer) {
    Objects.requireNonNull(leaf, "leaf");
    Objects.requireNonNull(issuer, "issuer");
    return checkLeaf(leaf, IssuerFacts.of(issuer), true);
  }

  /**
   * {@link #checkLeaf(X509Certificate, X509Certificate)} with what it reads of the issuer kept
   * between calls (an {@link IssuingCa}'s facts), so that issuing does not parse the issuer again.
   * Without {@code verifySignature} every rule but the signature's is checked: for a leaf signed by
   * a key that {@link IssuingCa} tested against this issuer.
   */
  static SpiffeId checkLeaf(X509Certificate leaf, IssuerFacts issuer, boolean verifySignature) {
    checkCommonHeader(leaf);
    SpiffeId id = spiffeId(leaf);
    if (id.isTrustDomainId()) {
      throw new SvidProfileException(LEAF_ROOT_PATH);
    }
    SpiffeId issuerId;
    try {
      issuerId = issuer.spiffeId();
    } catch (SvidProfileException e) {
      throw new SvidProfileException(ISSUER_NOT_SVID, e);
    }
    if (!issuerId.isTrustDomainId()) {
      throw new SvidProfileException(ISSUER_NOT_SVID);
    }
    if (!id.isMemberOf(issuerId.trustDomain())) {
      throw new SvidProfileException(LEAF_OTHER_TRUST_DOMAIN);
    }
    Set<String> critical = leaf.getCriticalExtensionOIDs();
    if (CertificateFields.hasEmptySubject(leaf)
        && !CertificateFields.isCritical(critical, SUBJECT_ALT_NAME)) {
      throw new SvidProfileException(EMPTY_SUBJECT_SAN_NOT_CRITICAL);
    }
    checkBasicConstraintsPresentAndCritical(leaf, critical);
    if (leaf.getBasicConstraints() >= 0) {
      throw new SvidProfileException(LEAF_IS_CA);
    }
    checkKeyUsagePresentAndCritical(leaf, critical);
    boolean[] usage = leaf.getKeyUsage();
    if (!CertificateFields.isSet(usage, DIGITAL_SIGNATURE)) {
      throw new SvidProfileException(LEAF_NO_DIGITAL_SIGNATURE);
    }
    if (CertificateFields.isSet(usage, KEY_CERT_SIGN)) {
      throw new SvidProfileException(LEAF_KEY_CERT_SIGN);
    }
    if (CertificateFields.isSet(usage, CRL_SIGN)) {
      throw new SvidProfileException(LEAF_CRL_SIGN);
    }
    if (CertificateFields.setsOtherThan(
        usage, DIGITAL_SIGNATURE, KEY_ENCIPHERMENT, KEY_AGREEMENT)) {
      throw new SvidProfileException(LEAF_KEY_USAGE_EXTRA);
    }
    checkExtendedKeyUsage(leaf);
    checkKeysAndIssuance(leaf, issuer, verifySignature);
    return id;
  }

  /**
   * Checks a signing (CA) certificate issued by {@code issuer}; pass the certificate itself as
   * {@code issuer} for a self-signed root.
   *
   * @return the CA's SPIFFE ID, a trust domain ID
   * @throws SvidProfileException naming the first broken rule
   */
  public static SpiffeId checkCa(X509Certificate ca, X509Certificate issuer) {
    Objects.requireNonNull(ca, "ca");
    Objects.requireNonNull(issuer, "issuer");
    checkCommonHeader(ca);
    SpiffeId id = spiffeId(ca);
    if (!id.isTrustDomainId()) {
      throw new SvidProfileException(CA_ID_HAS_PATH);
    }
    if (CertificateFields.hasEmptySubject(ca)) {
      throw new SvidProfileException(CA_SUBJECT_EMPTY);
    }
    Set<String> critical = ca.getCriticalExtensionOIDs();
    checkBasicConstraintsPresentAndCritical(ca, critical);
    if (ca.getBasicConstraints() < 0) {
      throw new SvidProfileException(CA_NOT_CA);
    }
    checkKeyUsagePresentAndCritical(ca, critical);
    boolean[] usage = ca.getKeyUsage();
    if (!CertificateFields.isSet(usage, KEY_CERT_SIGN)) {
      throw new SvidProfileException(CA_NO_KEY_CERT_SIGN);
    }
    if (CertificateFields.isSet(usage, DIGITAL_SIGNATURE)
        || CertificateFields.isSet(usage, KEY_ENCIPHERMENT)
        || CertificateFields.isSet(usage, KEY_AGREEMENT)) {
      throw new SvidProfileException(CA_LEAF_KEY_USAGE);
    }
    if (CertificateFields.setsOtherThan(usage, KEY_CERT_SIGN, CRL_SIGN)) {
      throw new SvidProfileException(CA_KEY_USAGE_EXTRA);
    }
    checkNameConstraints(ca, critical, id);
    checkKeysAndIssuance(ca, IssuerFacts.of(issuer), true);
    return id;
  }

  private static void checkCommonHeader(X509Certificate cert) {
    if (cert.getVersion() != 3) {
      throw new SvidProfileException(NOT_V3);
    }
    BigInteger serial = cert.getSerialNumber();
    if (serial.signum() <= 0) {
      throw new SvidProfileException(SERIAL_NOT_POSITIVE);
    }
    if (serial.compareTo(MAX_SERIAL) >= 0) {
      // A positive INTEGER fits in 20 DER octets iff it is below 2^159 (sign bit included).
      throw new SvidProfileException(SERIAL_TOO_LONG);
    }
  }

  /** The one URI SAN, parsed strictly as a SPIFFE ID. */
  static SpiffeId spiffeId(X509Certificate cert) {
    List<String> uris;
    try {
      uris = CertificateFields.uriSans(cert);
    } catch (CertificateParsingException e) {
      throw new SvidProfileException(SAN_UNPARSEABLE, e);
    }
    if (uris.size() != 1) {
      throw new SvidProfileException(URI_SAN_COUNT);
    }
    String uri = uris.get(0);
    if (!uri.startsWith("spiffe:")) {
      throw new SvidProfileException(URI_SAN_NOT_SPIFFE);
    }
    try {
      return SpiffeId.parse(uri);
    } catch (InvalidSpiffeIdException e) {
      throw new SvidProfileException(URI_SAN_INVALID, e);
    }
  }

  private static void checkBasicConstraintsPresentAndCritical(
      X509Certificate cert, Set<String> critical) {
    checkPresentAndCritical(
        cert,
        critical,
        BASIC_CONSTRAINTS,
        BASIC_CONSTRAINTS_MISSING,
        BASIC_CONSTRAINTS_NOT_CRITICAL);
  }

  private static void checkKeyUsagePresentAndCritical(X509Certificate cert, Set<String> critical) {
    checkPresentAndCritical(cert, critical, KEY_USAGE, KEY_USAGE_MISSING, KEY_USAGE_NOT_CRITICAL);
  }

  /** "Missing" before "not critical"; a critical extension is present, so that needs no lookup. */
  private static void checkPresentAndCritical(
      X509Certificate cert,
      Set<String> critical,
      String oid,
      String missingRule,
      String notCriticalRule) {
    if (CertificateFields.isCritical(critical, oid)) {
      return;
    }
    if (!CertificateFields.hasExtension(cert, oid)) {
      throw new SvidProfileException(missingRule);
    }
    throw new SvidProfileException(notCriticalRule);
  }

  private static void checkExtendedKeyUsage(X509Certificate leaf) {
    List<String> eku;
    try {
      eku = leaf.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      throw new SvidProfileException(EKU_INCOMPLETE, e);
    }
    if (eku != null && !(eku.contains(SERVER_AUTH) && eku.contains(CLIENT_AUTH))) {
      throw new SvidProfileException(EKU_INCOMPLETE);
    }
  }

  private static void checkNameConstraints(
      X509Certificate ca, Set<String> critical, SpiffeId caId) {
    Optional<NameConstraints> constraints = CertificateFields.nameConstraints(ca);
    if (constraints.isEmpty()) {
      return;
    }
    GeneralSubtree[] permitted = constraints.get().getPermittedSubtrees();
    boolean valid =
        CertificateFields.isCritical(critical, NAME_CONSTRAINTS)
            && constraints.get().getExcludedSubtrees() == null
            && permitted != null
            && permitted.length == 1
            && permitted[0].getBase().getTagNo() == GeneralName.uniformResourceIdentifier
            && permitted[0].getBase().getName().toString().equals(caId.trustDomain().name());
    if (!valid) {
      throw new SvidProfileException(NAME_CONSTRAINTS_INVALID);
    }
  }

  private static void checkKeysAndIssuance(
      X509Certificate cert, IssuerFacts issuer, boolean verifySignature) {
    if (KeyType.of(cert.getPublicKey()).isEmpty()) {
      throw new SvidProfileException(KEY_TYPE_NOT_ALLOWED);
    }
    Optional<byte[]> ski =
        readExtension(() -> CertificateFields.subjectKeyIdentifier(cert), SKI_MALFORMED);
    if (ski.isEmpty()) {
      throw new SvidProfileException(SKI_MISSING);
    }
    Optional<byte[]> aki =
        readExtension(() -> CertificateFields.authorityKeyIdentifier(cert), AKI_MALFORMED);
    // An issuer SKI that cannot be read cannot be matched, like one that is absent.
    Optional<byte[]> issuerSki = readExtension(issuer::subjectKeyIdentifier, AKI_MISMATCH);
    if (aki.isEmpty() || issuerSki.isEmpty() || !Arrays.equals(aki.get(), issuerSki.get())) {
      throw new SvidProfileException(AKI_MISMATCH);
    }
    if (!issuer.isSubject(cert.getIssuerX500Principal())) {
      throw new SvidProfileException(ISSUER_NAME_MISMATCH);
    }
    // Each time read once (a Bouncy Castle certificate parses it on every call), in the order the
    // rules need them.
    Date notAfter = cert.getNotAfter();
    Date notBefore = cert.getNotBefore();
    if (!notAfter.after(notBefore)) {
      throw new SvidProfileException(VALIDITY_EMPTY);
    }
    if (notBefore.toInstant().isBefore(issuer.notBefore())) {
      throw new SvidProfileException(NOT_BEFORE_BEFORE_ISSUER);
    }
    if (notAfter.toInstant().isAfter(issuer.notAfter())) {
      throw new SvidProfileException(NOT_AFTER_AFTER_ISSUER);
    }
    if (!verifySignature) {
      return;
    }
    try {
      // The fast provider (Conscrypt for ECDSA and RSA, Bouncy Castle for the rest): this check
      // runs on every certificate the CA signs, and Bouncy Castle's pure-Java P-256 verify costs
      // more than the signature itself.
      cert.verify(
          issuer.publicKey(), CryptoProviders.detect().signatureProvider(cert.getSigAlgName()));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new SvidProfileException(SIGNATURE_INVALID, e);
    }
  }

  /**
   * Reads a key identifier extension; a value that is not the structure RFC 5280 defines (the
   * parser throws an unchecked exception) breaks the rule named by {@code malformed}.
   */
  private static Optional<byte[]> readExtension(
      java.util.function.Supplier<Optional<byte[]>> read, String malformed) {
    try {
      return read.get();
    } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
      throw new SvidProfileException(malformed, e);
    }
  }
}
