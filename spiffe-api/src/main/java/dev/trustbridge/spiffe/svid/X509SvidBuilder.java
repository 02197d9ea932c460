package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.KeyType;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * Builds and signs leaf X509-SVIDs that can only come out conformant (X509-SVID sections 2 to 4,
 * SPIFFE-CHECKLIST.md section 7 "Leaf X509-SVID").
 *
 * <p>What it always emits: exactly one URI SAN (the SPIFFE ID, whose path must be non-root and
 * whose trust domain must be the issuer's) plus any DNS SANs, the SAN extension critical;
 * basicConstraints critical with {@code cA=false} (present, encoded as an empty SEQUENCE); keyUsage
 * critical with {@code digitalSignature}, plus {@code keyEncipherment} for RSA keys only; EKU
 * serverAuth and clientAuth, not critical; subject and authority key identifiers; a random positive
 * 128-bit serial; {@code notBefore} back-dated by {@link #DEFAULT_BACKDATE} (never before the
 * issuer's) and {@code notAfter} clamped to the issuer's. Nothing is copied from a CSR: only the
 * public key is taken.
 *
 * <p>Setters refuse bad input at once with a {@link TrustbridgeException} of code {@code
 * INVALID_ARGUMENT} whose message is one of the constants below; {@link #build()} then runs {@link
 * X509SvidProfileChecker#checkLeaf} on the result, so a bug here surfaces as an {@code INTERNAL}
 * {@link SvidProfileException} rather than as a bad certificate. The leaf's signature is verified
 * too when the issuer's key signs outside this process (an HSM, Vault) or when {@link
 * #verifySignature(boolean)} asks; a key that signs in process was tested against the issuer's
 * certificate once, when its {@link IssuingCa} was made, and a verification per leaf would cost
 * about as much as the signature itself.
 *
 * <pre>{@code
 * X509Certificate leaf = X509SvidBuilder.newBuilder(issuingCa, clock)
 *     .spiffeId(SpiffeId.parse("spiffe://example.org/ns/default/sa/web"))
 *     .publicKey(csrPublicKey)
 *     .dnsNames(List.of("web.default.svc"))
 *     .ttl(Duration.ofHours(1))
 *     .build();
 * }</pre>
 */
public final class X509SvidBuilder {
  /** How far {@code notBefore} is moved into the past to absorb clock skew. */
  public static final Duration DEFAULT_BACKDATE = Duration.ofSeconds(30);

  public static final String TRUST_DOMAIN_ID =
      "leaf SPIFFE ID must have a non-root path, not be a trust domain ID";
  public static final String OTHER_TRUST_DOMAIN =
      "leaf SPIFFE ID must be in the issuing CA's trust domain";
  public static final String KEY_TYPE_NOT_ALLOWED =
      "leaf public key must be EC P-256/P-384, RSA 2048/3072/4096 or Ed25519";
  public static final String DNS_NAME_INVALID = "DNS SAN is not a valid DNS name";
  public static final String SPIFFE_ID_MISSING = "spiffeId must be set";
  public static final String PUBLIC_KEY_MISSING = "publicKey must be set";
  public static final String TTL_NOT_POSITIVE = Issuance.TTL_NOT_POSITIVE;
  public static final String BACKDATE_NEGATIVE = Issuance.BACKDATE_NEGATIVE;
  public static final String LIFETIME_MISSING = Issuance.LIFETIME_MISSING;
  public static final String VALIDITY_EMPTY = Issuance.VALIDITY_EMPTY;
  public static final String ISSUER_EXPIRED = Issuance.ISSUER_EXPIRED;
  public static final String ISSUER_NOT_YET_VALID = Issuance.ISSUER_NOT_YET_VALID;

  // RFC 1035 host names (letters, digits, inner hyphens; labels of 1 to 63 characters), at most
  // 253 characters, optionally with a leading "*." wildcard label.
  private static final Pattern DNS_NAME =
      Pattern.compile(
          "(?=.{1,253}$)(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*"
              + "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

  // SecureRandom is thread safe; one instance spares seeding a new one for every leaf.
  private static final SecureRandom SHARED_RANDOM = new SecureRandom();

  // Tags of GeneralName (RFC 5280 section 4.2.1.6).
  private static final int DNS_NAME_TAG = 2;
  private static final int URI_NAME_TAG = 6;
  private static final int IP_ADDRESS_TAG = 7;

  private static final byte[] EMPTY_NAME = {DerWriter.SEQUENCE, 0};
  // [0] EXPLICIT INTEGER 2
  private static final byte[] VERSION_3 = {(byte) 0xA0, 3, DerWriter.INTEGER, 1, 2};
  private static final byte[] SUBJECT_ALT_NAME_OID =
      CertificateFields.der(Extension.subjectAlternativeName);
  private static final byte[] SUBJECT_KEY_IDENTIFIER_OID =
      CertificateFields.der(Extension.subjectKeyIdentifier);
  // The extensions that are the same in every leaf, encoded once.
  private static final byte[] BASIC_CONSTRAINTS_NOT_CA =
      extension(Extension.basicConstraints, true, w -> w.begin(DerWriter.SEQUENCE).end());
  private static final byte[] KEY_USAGE =
      extension(Extension.keyUsage, true, w -> w.namedBits(CertificateFields.DIGITAL_SIGNATURE));
  private static final byte[] KEY_USAGE_RSA =
      extension(
          Extension.keyUsage,
          true,
          w ->
              w.namedBits(CertificateFields.DIGITAL_SIGNATURE, CertificateFields.KEY_ENCIPHERMENT));
  private static final byte[] EXTENDED_KEY_USAGE =
      extension(
          Extension.extendedKeyUsage,
          false,
          w ->
              w.begin(DerWriter.SEQUENCE)
                  .raw(CertificateFields.der(KeyPurposeId.id_kp_serverAuth.toOID()))
                  .raw(CertificateFields.der(KeyPurposeId.id_kp_clientAuth.toOID()))
                  .end());
  private static final Map<KeyType, byte[]> SIGNATURE_ALGORITHMS = signatureAlgorithms();

  private final IssuingCa issuer;
  private final Clock clock;
  private SpiffeId spiffeId;
  private PublicKey publicKey;
  private KeyType keyType;
  private List<String> dnsNames = List.of();
  private List<InetAddress> ipAddresses = List.of();
  private byte[] subject = EMPTY_NAME; // DER Name
  private Optional<Instant> notAfter = Optional.empty();
  private Optional<Duration> ttl = Optional.empty();
  private Duration backdate = DEFAULT_BACKDATE;
  private SecureRandom random;
  private boolean verifySignature;

  private X509SvidBuilder(IssuingCa issuer, Clock clock) {
    this.issuer = issuer;
    this.clock = clock;
  }

  /** Starts a leaf signed by {@code issuer}, reading the time from {@code clock}. */
  public static X509SvidBuilder newBuilder(IssuingCa issuer, Clock clock) {
    return new X509SvidBuilder(
        Objects.requireNonNull(issuer, "issuer"), Objects.requireNonNull(clock, "clock"));
  }

  /** The leaf's SPIFFE ID: a non-root path in the issuer's trust domain. */
  public X509SvidBuilder spiffeId(SpiffeId id) {
    Objects.requireNonNull(id, "id");
    if (id.isTrustDomainId()) {
      throw TrustbridgeException.invalidArgument(TRUST_DOMAIN_ID);
    }
    if (!id.isMemberOf(issuer.trustDomain())) {
      throw TrustbridgeException.invalidArgument(OTHER_TRUST_DOMAIN);
    }
    this.spiffeId = id;
    return this;
  }

  /** The subject public key (from the CSR); it must be of a {@link KeyType} Trustbridge allows. */
  public X509SvidBuilder publicKey(PublicKey key) {
    Objects.requireNonNull(key, "key");
    this.keyType =
        KeyType.of(key)
            .orElseThrow(() -> TrustbridgeException.invalidArgument(KEY_TYPE_NOT_ALLOWED));
    this.publicKey = key;
    return this;
  }

  /** Extra DNS SANs, each a valid host name (a leading {@code *.} label is allowed). */
  public X509SvidBuilder dnsNames(Collection<String> names) {
    Set<String> unique = new LinkedHashSet<>();
    for (String name : Objects.requireNonNull(names, "names")) {
      if (name == null || !DNS_NAME.matcher(name).matches()) {
        throw TrustbridgeException.invalidArgument(DNS_NAME_INVALID);
      }
      unique.add(name);
    }
    this.dnsNames = new ArrayList<>(unique);
    return this;
  }

  /**
   * Optional IP address SANs (X509-SVID §2 allows other SAN types beside the one URI SAN), for
   * servers that clients reach by address and verify by host name.
   */
  public X509SvidBuilder ipAddresses(Collection<InetAddress> addresses) {
    Set<InetAddress> unique = new LinkedHashSet<>();
    for (InetAddress address : Objects.requireNonNull(addresses, "addresses")) {
      unique.add(Objects.requireNonNull(address, "address"));
    }
    this.ipAddresses = new ArrayList<>(unique);
    return this;
  }

  /** An optional subject; empty by default (the SAN extension is critical either way). */
  public X509SvidBuilder subject(X500Principal subject) {
    // Re-encoded by Bouncy Castle, as the certificate builder did: DER whatever the input was.
    X500Name name = X500Name.getInstance(Objects.requireNonNull(subject, "subject").getEncoded());
    try {
      this.subject = name.getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode the subject", e);
    }
    return this;
  }

  /** The requested expiry; it is clamped to the issuer's {@code notAfter}. Replaces a ttl. */
  public X509SvidBuilder notAfter(Instant notAfter) {
    this.notAfter = Optional.of(Objects.requireNonNull(notAfter, "notAfter"));
    this.ttl = Optional.empty();
    return this;
  }

  /**
   * The requested lifetime from now; clamped to the issuer's {@code notAfter}. Replaces notAfter.
   */
  public X509SvidBuilder ttl(Duration ttl) {
    this.ttl = Optional.of(Issuance.requirePositiveTtl(Objects.requireNonNull(ttl, "ttl")));
    this.notAfter = Optional.empty();
    return this;
  }

  /** How far to back-date {@code notBefore}; {@link #DEFAULT_BACKDATE} unless set. */
  public X509SvidBuilder backdate(Duration backdate) {
    this.backdate = Issuance.requireBackdate(Objects.requireNonNull(backdate, "backdate"));
    return this;
  }

  /** The source of serial numbers; a process-wide {@link SecureRandom} unless set. */
  public X509SvidBuilder random(SecureRandom random) {
    this.random = Objects.requireNonNull(random, "random");
    return this;
  }

  /**
   * Verifies the new leaf's signature with the issuer's public key even when the issuer's key signs
   * in process, as Go's {@code x509.CreateCertificate} does for every certificate: a guard against
   * a computation fault in the signer. Off unless set.
   */
  public X509SvidBuilder verifySignature(boolean verify) {
    this.verifySignature = verify;
    return this;
  }

  /**
   * Signs the leaf with the issuer's key and checks it against the producer profile.
   *
   * @throws TrustbridgeException {@code INVALID_ARGUMENT} if a required field is missing or the
   *     validity window is empty; {@code FAILED_PRECONDITION} if the issuer is not valid now;
   *     {@code UNAVAILABLE} if the key backend is down
   * @throws SvidProfileException if the result breaks the profile (a bug)
   */
  public X509Certificate build() {
    if (spiffeId == null) {
      throw TrustbridgeException.invalidArgument(SPIFFE_ID_MISSING);
    }
    if (publicKey == null) {
      throw TrustbridgeException.invalidArgument(PUBLIC_KEY_MISSING);
    }
    IssuerFacts issuerFacts = issuer.facts();
    Issuance.Validity validity =
        Issuance.Validity.of(clock.instant(), backdate, notAfter, ttl, Optional.of(issuerFacts));
    BigInteger serial = Issuance.randomSerial(random != null ? random : SHARED_RANDOM);
    byte[] signatureAlgorithm = SIGNATURE_ALGORITHMS.get(issuer.key().keyType());
    byte[] tbs = tbsCertificate(serial, validity, issuerFacts, signatureAlgorithm);
    X509Certificate leaf = Issuance.sign(tbs, issuer.key(), signatureAlgorithm);
    X509SvidProfileChecker.checkLeaf(leaf, issuerFacts, verifySignature || !issuer.keyTested());
    return leaf;
  }

  /**
   * The DER TBSCertificate (RFC 5280 section 4.1), written directly: the same bytes Bouncy Castle's
   * {@code X509v3CertificateBuilder} wrote, without building an object graph per leaf.
   */
  private byte[] tbsCertificate(
      BigInteger serial,
      Issuance.Validity validity,
      IssuerFacts issuerFacts,
      byte[] signatureAlgorithm) {
    byte[] spki = publicKey.getEncoded();
    byte[] keyBits = DerReader.isStrictDer(spki) ? subjectPublicKeyBits(spki) : null;
    byte[] keyId;
    if (keyBits != null) {
      keyId = sha1(keyBits);
    } else {
      // An encoding that is not plain DER: Bouncy Castle re-encodes it and computes the key
      // identifier from it, as the certificate builder did.
      spki = reencode(SubjectPublicKeyInfo.getInstance(spki));
      keyId = Issuance.subjectKeyIdentifier(publicKey).getKeyIdentifier();
    }
    DerWriter der =
        new DerWriter(640)
            .begin(DerWriter.SEQUENCE)
            .raw(VERSION_3)
            .integer(serial)
            .raw(signatureAlgorithm)
            .raw(issuerFacts.subjectDer())
            .begin(DerWriter.SEQUENCE)
            .time(validity.notBefore())
            .time(validity.notAfter())
            .end()
            .raw(subject)
            .raw(spki)
            .begin(DerWriter.contextConstructed(3))
            .begin(DerWriter.SEQUENCE);
    writeSubjectAltNames(der);
    der.raw(BASIC_CONSTRAINTS_NOT_CA)
        .raw(keyType.isRsa() ? KEY_USAGE_RSA : KEY_USAGE)
        .raw(EXTENDED_KEY_USAGE)
        .begin(DerWriter.SEQUENCE)
        .raw(SUBJECT_KEY_IDENTIFIER_OID)
        .begin(DerWriter.OCTET_STRING)
        .primitive(DerWriter.OCTET_STRING, keyId)
        .end()
        .end()
        .raw(issuerFacts.authorityKeyIdentifierExtension());
    return der.end().end().end().toByteArray();
  }

  /** The critical SAN extension: the URI SAN, then DNS names, then IP addresses. */
  private void writeSubjectAltNames(DerWriter der) {
    der.begin(DerWriter.SEQUENCE)
        .raw(SUBJECT_ALT_NAME_OID)
        .bool(true)
        .begin(DerWriter.OCTET_STRING)
        .begin(DerWriter.SEQUENCE)
        .octetChars(DerWriter.contextPrimitive(URI_NAME_TAG), spiffeId.toString());
    for (String dns : dnsNames) {
      der.octetChars(DerWriter.contextPrimitive(DNS_NAME_TAG), dns);
    }
    for (InetAddress address : ipAddresses) {
      der.primitive(DerWriter.contextPrimitive(IP_ADDRESS_TAG), address.getAddress());
    }
    der.end().end().end();
  }

  /**
   * RFC 5280 section 4.2.1.2 method (1), as Bouncy Castle's {@code JcaX509ExtensionUtils} computes
   * it: SHA-1 of the subjectPublicKey BIT STRING's bits.
   */
  private static byte[] sha1(byte[] keyBits) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(keyBits);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is not available for key identifiers", e);
    }
  }

  private static byte[] reencode(SubjectPublicKeyInfo spki) {
    try {
      return spki.getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode the public key", e);
    }
  }

  /** The subjectPublicKey of a strict-DER SubjectPublicKeyInfo without unused bits, or null. */
  private static byte[] subjectPublicKeyBits(byte[] spki) {
    DerReader outer = new DerReader(spki);
    if (!outer.next() || outer.tag() != DerWriter.SEQUENCE || !outer.atEnd()) {
      return null;
    }
    DerReader fields = outer.contents();
    if (!fields.next() || fields.tag() != DerWriter.SEQUENCE) {
      return null; // algorithm
    }
    if (!fields.next() || fields.tag() != DerWriter.BIT_STRING || !fields.atEnd()) {
      return null;
    }
    byte[] bitString = fields.contentBytes();
    if (bitString.length == 0 || bitString[0] != 0) {
      return null;
    }
    return Arrays.copyOfRange(bitString, 1, bitString.length);
  }

  /**
   * An Extension whose value {@code value} writes; {@code critical} FALSE is left out (DEFAULT).
   */
  private static byte[] extension(
      ASN1ObjectIdentifier oid, boolean critical, Consumer<DerWriter> value) {
    DerWriter der = new DerWriter(64).begin(DerWriter.SEQUENCE).raw(CertificateFields.der(oid));
    if (critical) {
      der.bool(true);
    }
    der.begin(DerWriter.OCTET_STRING);
    value.accept(der);
    return der.end().end().toByteArray();
  }

  /** The DER AlgorithmIdentifier each key type signs certificates with, encoded once. */
  private static Map<KeyType, byte[]> signatureAlgorithms() {
    Map<KeyType, byte[]> encoded = new EnumMap<>(KeyType.class);
    for (KeyType type : KeyType.values()) {
      try {
        encoded.put(type, type.signatureAlgorithmIdentifier().getEncoded(ASN1Encoding.DER));
      } catch (IOException e) {
        throw new IllegalStateException("cannot encode the algorithm of " + type, e);
      }
    }
    return encoded;
  }
}
