package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.KeyType;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;

/**
 * Builds and signs signing (CA) certificates that can only come out conformant (X509-SVID sections
 * 3.2 and 4, SPIFFE-CHECKLIST.md section 7 "Signing CA certificate"): a self-signed root, or an
 * intermediate signed by an {@link IssuingCa} of the same trust domain.
 *
 * <p>What it always emits: exactly one URI SAN {@code spiffe://<td>} (no path); basicConstraints
 * critical with {@code cA=true} and an optional {@code pathLenConstraint}; keyUsage critical with
 * exactly {@code keyCertSign} and {@code cRLSign}; a non-empty subject (by default {@code
 * O=<organization>, CN=<td>, SERIALNUMBER=<serial>}, unique per CA so that chains never confuse two
 * generations; the CN is left out for a trust domain name longer than RFC 5280's 64-character
 * ub-common-name, which SPIFFE-ID section 2.3 allows up to 255 bytes); subject and authority key
 * identifiers; a random positive 128-bit serial; {@code notBefore} back-dated and, for an
 * intermediate, both ends clamped into the issuer's validity.
 *
 * <p>URI name constraints are off by default because many libraries reject them (X509-SVID section
 * 4.2). When enabled, the extension is critical and permits one URI subtree. RFC 5280 section
 * 4.2.1.10 writes a URI constraint as a host, so the subtree {@code spiffe://<td>} is encoded as
 * the host {@code <td>}, which permits exactly the URIs whose host is the trust domain name (and no
 * sub-domains: those are other trust domains). That needs a trust domain name validators can read
 * as a URI host: an RFC 1123 host name whose last label starts with a letter, without a trailing
 * dot, or an IPv4 dotted quad. Other valid trust domain names ({@code a..b}, {@code -x.example},
 * {@code example.org.}, {@code under_score.example}, {@code 999.999.999.999}, ...) are refused: the
 * JDK cannot parse such a constraint, or its PKIX validator fails on it.
 *
 * <p>Setters refuse bad input at once with a {@link TrustbridgeException} of code {@code
 * INVALID_ARGUMENT}; {@link #build()} runs {@link X509SvidProfileChecker#checkCa} on the result.
 */
public final class CaCertificateBuilder {
  /** How far {@code notBefore} is moved into the past to absorb clock skew. */
  public static final Duration DEFAULT_BACKDATE = Duration.ofSeconds(30);

  /** The organization of the default subject. */
  public static final String DEFAULT_ORGANIZATION = "Trustbridge";

  public static final String KEY_TYPE_NOT_ALLOWED =
      "CA public key must be EC P-256/P-384, RSA 2048/3072/4096 or Ed25519";
  public static final String OTHER_TRUST_DOMAIN =
      "intermediate CA must be in the issuing CA's trust domain";
  public static final String PATH_LEN_NEGATIVE = "pathLenConstraint must not be negative";
  public static final String ISSUER_PATH_LEN =
      "the issuing CA's pathLenConstraint does not allow this intermediate";
  public static final String SUBJECT_EMPTY = "CA subject must not be empty";
  public static final String ORGANIZATION_EMPTY = "organization must not be empty";
  public static final String NAME_CONSTRAINTS_UNSUPPORTED =
      "URI name constraints need a trust domain name that is a DNS host name or an IPv4 address";

  /** Longest common name (RFC 5280 Appendix A, ub-common-name). */
  static final int MAX_COMMON_NAME = 64;

  private static final String HOST_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
  private static final String IPV4_OCTET = "(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]{1,2})";

  /**
   * Trust domain names a URI name constraint can carry: what {@code java.net.URI} reads as a
   * server-based host (RFC 2396: the last label starts with a letter) and the JDK's X.509 name
   * classes accept (no trailing dot), or an IPv4 dotted quad.
   */
  private static final Pattern CONSTRAINABLE_HOST =
      Pattern.compile(
          "(?:"
              + HOST_LABEL
              + "\\.)*[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?|(?:"
              + IPV4_OCTET
              + "\\.){3}"
              + IPV4_OCTET);

  public static final String TTL_NOT_POSITIVE = Issuance.TTL_NOT_POSITIVE;
  public static final String BACKDATE_NEGATIVE = Issuance.BACKDATE_NEGATIVE;
  public static final String LIFETIME_MISSING = Issuance.LIFETIME_MISSING;
  public static final String VALIDITY_EMPTY = Issuance.VALIDITY_EMPTY;
  public static final String ISSUER_EXPIRED = Issuance.ISSUER_EXPIRED;
  public static final String ISSUER_NOT_YET_VALID = Issuance.ISSUER_NOT_YET_VALID;

  private final TrustDomain trustDomain;
  private final PublicKey publicKey;
  private final CaKey signer;
  private final Optional<IssuingCa> issuer;
  private final Clock clock;
  private Optional<X500Principal> subject = Optional.empty();
  private String organization = DEFAULT_ORGANIZATION;
  private OptionalInt pathLength = OptionalInt.empty();
  private boolean uriNameConstraints;
  private Optional<Instant> notAfter = Optional.empty();
  private Optional<Duration> ttl = Optional.empty();
  private Duration backdate = DEFAULT_BACKDATE;
  private SecureRandom random;

  private CaCertificateBuilder(
      TrustDomain trustDomain,
      PublicKey publicKey,
      CaKey signer,
      Optional<IssuingCa> issuer,
      Clock clock) {
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.publicKey = Objects.requireNonNull(publicKey, "publicKey");
    this.signer = signer;
    this.issuer = issuer;
    this.clock = Objects.requireNonNull(clock, "clock");
    if (KeyType.of(publicKey).isEmpty()) {
      throw TrustbridgeException.invalidArgument(KEY_TYPE_NOT_ALLOWED);
    }
  }

  /** Starts a self-signed root CA of {@code trustDomain} whose key is {@code key}. */
  public static CaCertificateBuilder selfSigned(TrustDomain trustDomain, CaKey key, Clock clock) {
    Objects.requireNonNull(key, "key");
    return new CaCertificateBuilder(trustDomain, key.publicKey(), key, Optional.empty(), clock);
  }

  /**
   * Starts an intermediate CA of {@code trustDomain} for {@code publicKey}, signed by {@code
   * issuer}, which must be of the same trust domain and allow one more CA below it.
   */
  public static CaCertificateBuilder intermediate(
      TrustDomain trustDomain, PublicKey publicKey, IssuingCa issuer, Clock clock) {
    Objects.requireNonNull(issuer, "issuer");
    if (!issuer.trustDomain().equals(trustDomain)) {
      throw TrustbridgeException.invalidArgument(OTHER_TRUST_DOMAIN);
    }
    if (issuer.certificate().getBasicConstraints() == 0) {
      throw TrustbridgeException.invalidArgument(ISSUER_PATH_LEN);
    }
    return new CaCertificateBuilder(
        trustDomain, publicKey, issuer.key(), Optional.of(issuer), clock);
  }

  /** A caller-chosen subject instead of the default one; it must not be empty. */
  public CaCertificateBuilder subject(X500Principal subject) {
    Objects.requireNonNull(subject, "subject");
    if (subject.getEncoded().length <= 2) {
      throw TrustbridgeException.invalidArgument(SUBJECT_EMPTY);
    }
    this.subject = Optional.of(subject);
    return this;
  }

  /** The O attribute of the default subject; {@link #DEFAULT_ORGANIZATION} unless set. */
  public CaCertificateBuilder organization(String organization) {
    Objects.requireNonNull(organization, "organization");
    if (organization.isBlank()) {
      throw TrustbridgeException.invalidArgument(ORGANIZATION_EMPTY);
    }
    this.organization = organization;
    return this;
  }

  /** Sets {@code pathLenConstraint}; must be below the issuer's own limit, if it has one. */
  public CaCertificateBuilder pathLength(int pathLength) {
    if (pathLength < 0) {
      throw TrustbridgeException.invalidArgument(PATH_LEN_NEGATIVE);
    }
    if (issuer.isPresent()) {
      int issuerLimit = issuer.get().certificate().getBasicConstraints();
      if (issuerLimit != Integer.MAX_VALUE && pathLength >= issuerLimit) {
        throw TrustbridgeException.invalidArgument(ISSUER_PATH_LEN);
      }
    }
    this.pathLength = OptionalInt.of(pathLength);
    return this;
  }

  /** Adds a critical URI name constraint permitting only this trust domain. Off by default. */
  public CaCertificateBuilder uriNameConstraints(boolean enabled) {
    if (enabled
        && (trustDomain.name().length() > 253
            || !CONSTRAINABLE_HOST.matcher(trustDomain.name()).matches())) {
      throw TrustbridgeException.invalidArgument(NAME_CONSTRAINTS_UNSUPPORTED);
    }
    this.uriNameConstraints = enabled;
    return this;
  }

  /** The requested expiry; clamped to the issuer's {@code notAfter}. Replaces a ttl. */
  public CaCertificateBuilder notAfter(Instant notAfter) {
    this.notAfter = Optional.of(Objects.requireNonNull(notAfter, "notAfter"));
    this.ttl = Optional.empty();
    return this;
  }

  /** The requested lifetime from now; clamped to the issuer's {@code notAfter}. */
  public CaCertificateBuilder ttl(Duration ttl) {
    this.ttl = Optional.of(Issuance.requirePositiveTtl(Objects.requireNonNull(ttl, "ttl")));
    this.notAfter = Optional.empty();
    return this;
  }

  /** How far to back-date {@code notBefore}; {@link #DEFAULT_BACKDATE} unless set. */
  public CaCertificateBuilder backdate(Duration backdate) {
    this.backdate = Issuance.requireBackdate(Objects.requireNonNull(backdate, "backdate"));
    return this;
  }

  /** The source of serial numbers; a new {@link SecureRandom} unless set. */
  public CaCertificateBuilder random(SecureRandom random) {
    this.random = Objects.requireNonNull(random, "random");
    return this;
  }

  /**
   * Signs the CA certificate and checks it against the producer profile.
   *
   * @throws TrustbridgeException {@code INVALID_ARGUMENT} if no lifetime is set or the validity
   *     window is empty; {@code FAILED_PRECONDITION} if the issuer is not valid now; {@code
   *     UNAVAILABLE} if the key backend is down
   * @throws SvidProfileException if the result breaks the profile (a bug)
   */
  public X509Certificate build() {
    Optional<X509Certificate> issuerCert = issuer.map(IssuingCa::certificate);
    Issuance.Validity validity =
        Issuance.Validity.of(
            clock.instant(), backdate, notAfter, ttl, issuer.map(IssuingCa::facts));
    BigInteger serial = Issuance.randomSerial(random != null ? random : new SecureRandom());
    X500Name subjectName =
        subject
            .map(s -> X500Name.getInstance(s.getEncoded()))
            .orElseGet(() -> defaultSubject(serial));
    X500Name issuerName =
        issuerCert
            .map(c -> X500Name.getInstance(c.getSubjectX500Principal().getEncoded()))
            .orElse(subjectName);
    X509v3CertificateBuilder template =
        new X509v3CertificateBuilder(
            issuerName,
            serial,
            Date.from(validity.notBefore()),
            Date.from(validity.notAfter()),
            subjectName,
            SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()));
    Issuance.addExtension(
        template,
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(
            new GeneralName(GeneralName.uniformResourceIdentifier, trustDomain.id().toString())));
    Issuance.addExtension(
        template,
        Extension.basicConstraints,
        true,
        pathLength.isPresent()
            ? new BasicConstraints(pathLength.getAsInt())
            : new BasicConstraints(true));
    Issuance.addExtension(
        template, Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    if (uriNameConstraints) {
      GeneralSubtree permitted =
          new GeneralSubtree(
              new GeneralName(GeneralName.uniformResourceIdentifier, trustDomain.name()));
      Issuance.addExtension(
          template,
          Extension.nameConstraints,
          true,
          new NameConstraints(new GeneralSubtree[] {permitted}, null));
    }
    Issuance.addExtension(
        template, Extension.subjectKeyIdentifier, false, Issuance.subjectKeyIdentifier(publicKey));
    X509Certificate ca;
    if (issuerCert.isPresent()) {
      Issuance.addExtension(
          template,
          Extension.authorityKeyIdentifier,
          false,
          Issuance.authorityKeyIdentifier(issuerCert.get()));
      ca = Issuance.sign(template, signer);
      X509SvidProfileChecker.checkCa(ca, issuerCert.get());
    } else {
      Issuance.addExtension(
          template,
          Extension.authorityKeyIdentifier,
          false,
          new org.bouncycastle.asn1.x509.AuthorityKeyIdentifier(
              Issuance.subjectKeyIdentifier(publicKey).getKeyIdentifier()));
      ca = Issuance.sign(template, signer);
      X509SvidProfileChecker.checkCa(ca, ca);
    }
    return ca;
  }

  private X500Name defaultSubject(BigInteger serial) {
    X500NameBuilder name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, organization);
    if (trustDomain.name().length() <= MAX_COMMON_NAME) {
      name.addRDN(BCStyle.CN, trustDomain.name());
    }
    return name.addRDN(BCStyle.SERIALNUMBER, serial.toString()).build();
  }
}
