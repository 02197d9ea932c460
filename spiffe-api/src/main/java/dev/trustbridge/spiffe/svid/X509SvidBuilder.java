package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.KeyType;
import java.net.InetAddress;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;

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
 * {@link SvidProfileException} rather than as a bad certificate.
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

  private final IssuingCa issuer;
  private final Clock clock;
  private SpiffeId spiffeId;
  private PublicKey publicKey;
  private KeyType keyType;
  private List<String> dnsNames = List.of();
  private List<InetAddress> ipAddresses = List.of();
  private X500Name subject = new X500Name(new RDN[0]);
  private Optional<Instant> notAfter = Optional.empty();
  private Optional<Duration> ttl = Optional.empty();
  private Duration backdate = DEFAULT_BACKDATE;
  private SecureRandom random;

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
    this.subject = X500Name.getInstance(Objects.requireNonNull(subject, "subject").getEncoded());
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

  /** The source of serial numbers; a new {@link SecureRandom} unless set. */
  public X509SvidBuilder random(SecureRandom random) {
    this.random = Objects.requireNonNull(random, "random");
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
    X509Certificate issuerCert = issuer.certificate();
    Issuance.Validity validity =
        Issuance.Validity.of(clock.instant(), backdate, notAfter, ttl, Optional.of(issuerCert));
    X509v3CertificateBuilder template =
        new X509v3CertificateBuilder(
            X500Name.getInstance(issuerCert.getSubjectX500Principal().getEncoded()),
            Issuance.randomSerial(random != null ? random : new SecureRandom()),
            Date.from(validity.notBefore()),
            Date.from(validity.notAfter()),
            subject,
            SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()));
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId.toString()));
    for (String dns : dnsNames) {
      names.add(new GeneralName(GeneralName.dNSName, dns));
    }
    for (InetAddress address : ipAddresses) {
      names.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(address.getAddress())));
    }
    int usage = KeyUsage.digitalSignature | (keyType.isRsa() ? KeyUsage.keyEncipherment : 0);
    Issuance.addExtension(
        template,
        Extension.subjectAlternativeName,
        true,
        new GeneralNames(names.toArray(GeneralName[]::new)));
    Issuance.addExtension(template, Extension.basicConstraints, true, new BasicConstraints(false));
    Issuance.addExtension(template, Extension.keyUsage, true, new KeyUsage(usage));
    Issuance.addExtension(
        template,
        Extension.extendedKeyUsage,
        false,
        new ExtendedKeyUsage(
            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    Issuance.addExtension(
        template, Extension.subjectKeyIdentifier, false, Issuance.subjectKeyIdentifier(publicKey));
    Issuance.addExtension(
        template,
        Extension.authorityKeyIdentifier,
        false,
        Issuance.authorityKeyIdentifier(issuerCert));
    X509Certificate leaf = Issuance.sign(template, issuer.key());
    X509SvidProfileChecker.checkLeaf(leaf, issuerCert);
    return leaf;
  }
}
