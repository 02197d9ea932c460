package dev.trustbridge.spiffe.svid;

import static dev.trustbridge.spiffe.svid.CertificateFields.CRL_SIGN;
import static dev.trustbridge.spiffe.svid.CertificateFields.KEY_CERT_SIGN;

import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.SpiffeId;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The consumer face of the X509-SVID profile: verifies a peer's X509-SVID chain by X509-SVID
 * section 5, then authenticates it with RFC 5280 path validation against the X.509 authorities of
 * the leaf's own trust domain only.
 *
 * <p>Leaf checks, in this order: {@code cA=false} (an absent basicConstraints extension is
 * accepted, ambiguity A8), neither {@code keyCertSign} nor {@code cRLSign}, exactly one URI SAN,
 * scheme {@code spiffe}, a SPIFFE ID valid under our strict parser, a non-root path, and (RFC 5280,
 * which the JDK enforces when parsing) a critical SAN if the subject is empty. Then every other
 * certificate of the chain must be a CA, the leaf's trust domain must have a non-empty set of
 * authorities, and the JDK's PKIX validator (revocation off, validity date from the {@link Clock})
 * must accept the path. Producer-only rules (A10), such as a critical KU or an EKU with both
 * purposes, are deliberately not enforced here: peers built by other CAs may omit them.
 *
 * <p>Instances are immutable and thread safe if the authority source is.
 */
public final class X509SvidVerifier {
  public static final String CHAIN_EMPTY = "certificate chain is empty";
  public static final String LEAF_IS_CA = "leaf certificate must not be a CA";
  public static final String LEAF_KEY_CERT_SIGN = "leaf certificate must not set keyCertSign";
  public static final String LEAF_CRL_SIGN = "leaf certificate must not set cRLSign";
  public static final String SAN_UNPARSEABLE = "subject alternative name extension is malformed";
  public static final String URI_SAN_COUNT = "leaf certificate must have exactly one URI SAN";
  public static final String URI_SAN_NOT_SPIFFE = "leaf URI SAN scheme must be spiffe";
  public static final String URI_SAN_INVALID = "leaf URI SAN is not a valid SPIFFE ID";
  public static final String LEAF_ROOT_PATH = "leaf SPIFFE ID must have a non-root path";
  public static final String EMPTY_SUBJECT_SAN_NOT_CRITICAL =
      "leaf SAN extension must be critical when the subject is empty";
  public static final String INTERMEDIATE_NOT_CA = "intermediate certificate must be a CA";
  public static final String NO_AUTHORITIES =
      "no X.509 authorities are known for the leaf's trust domain";
  public static final String EMPTY_AUTHORITIES =
      "the X.509 authorities of the leaf's trust domain are empty";
  public static final String EXPIRED = "a certificate of the chain has expired";
  public static final String NOT_YET_VALID = "a certificate of the chain is not yet valid";
  public static final String UNTRUSTED =
      "chain does not lead to an X.509 authority of the leaf's trust domain";
  public static final String SIGNATURE_INVALID =
      "a signature of the chain does not verify with its issuer's key";
  public static final String PATH_INVALID = "certificate chain failed PKIX path validation";

  private final X509AuthoritySource authorities;
  private final Clock clock;

  /**
   * @param authorities where the X.509 authorities of a trust domain come from
   * @param clock the time at which validity periods are checked
   */
  public X509SvidVerifier(X509AuthoritySource authorities, Clock clock) {
    this.authorities = Objects.requireNonNull(authorities, "authorities");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Verifies a peer's chain, leaf first, optionally followed by intermediates (and even the trust
   * anchor itself, which is then dropped).
   *
   * @return the peer's SPIFFE ID and the validated path
   * @throws SvidVerificationException naming the first broken rule
   */
  public VerifiedX509Svid verify(List<X509Certificate> chain) {
    Objects.requireNonNull(chain, "chain");
    if (chain.isEmpty()) {
      throw new SvidVerificationException(CHAIN_EMPTY);
    }
    X509Certificate leaf = Objects.requireNonNull(chain.get(0), "leaf");
    SpiffeId id = checkLeaf(leaf);
    for (X509Certificate cert : chain.subList(1, chain.size())) {
      if (cert.getBasicConstraints() < 0) {
        throw new SvidVerificationException(INTERMEDIATE_NOT_CA);
      }
    }
    Collection<X509Certificate> anchors =
        authorities
            .x509Authorities(id.trustDomain())
            .orElseThrow(() -> new SvidVerificationException(NO_AUTHORITIES));
    if (anchors.isEmpty()) {
      throw new SvidVerificationException(EMPTY_AUTHORITIES);
    }
    return validatePath(id, chain, anchors);
  }

  private static SpiffeId checkLeaf(X509Certificate leaf) {
    if (leaf.getBasicConstraints() >= 0) {
      throw new SvidVerificationException(LEAF_IS_CA);
    }
    if (CertificateFields.keyUsage(leaf, KEY_CERT_SIGN)) {
      throw new SvidVerificationException(LEAF_KEY_CERT_SIGN);
    }
    if (CertificateFields.keyUsage(leaf, CRL_SIGN)) {
      throw new SvidVerificationException(LEAF_CRL_SIGN);
    }
    List<String> uris;
    try {
      uris = CertificateFields.uriSans(leaf);
    } catch (CertificateParsingException e) {
      throw new SvidVerificationException(SAN_UNPARSEABLE, e);
    }
    if (uris.size() != 1) {
      throw new SvidVerificationException(URI_SAN_COUNT);
    }
    String uri = uris.get(0);
    if (!uri.startsWith("spiffe:")) {
      throw new SvidVerificationException(URI_SAN_NOT_SPIFFE);
    }
    SpiffeId id;
    try {
      id = SpiffeId.parse(uri);
    } catch (InvalidSpiffeIdException e) {
      throw new SvidVerificationException(URI_SAN_INVALID, e);
    }
    if (id.isTrustDomainId()) {
      throw new SvidVerificationException(LEAF_ROOT_PATH);
    }
    // RFC 5280 section 4.1.2.6; the JDK refuses to parse such a certificate anyway, so checking it
    // here only gives the failure a precise message.
    if (CertificateFields.hasEmptySubject(leaf)
        && !CertificateFields.isCritical(leaf, CertificateFields.SUBJECT_ALT_NAME)) {
      throw new SvidVerificationException(EMPTY_SUBJECT_SAN_NOT_CRITICAL);
    }
    return id;
  }

  private VerifiedX509Svid validatePath(
      SpiffeId id, List<X509Certificate> chain, Collection<X509Certificate> anchorCerts) {
    Set<TrustAnchor> anchors = new HashSet<>();
    for (X509Certificate anchor : anchorCerts) {
      anchors.add(new TrustAnchor(anchor, null));
    }
    // A peer may send its root too; PKIX wants the path without the anchor.
    List<X509Certificate> path = new ArrayList<>(chain);
    while (path.size() > 1 && anchorCerts.contains(path.get(path.size() - 1))) {
      path.remove(path.size() - 1);
    }
    try {
      CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
      PKIXParameters parameters = new PKIXParameters(anchors);
      parameters.setRevocationEnabled(false);
      parameters.setDate(Date.from(clock.instant()));
      PKIXCertPathValidatorResult result =
          (PKIXCertPathValidatorResult)
              CertPathValidator.getInstance("PKIX").validate(certPath, parameters);
      return new VerifiedX509Svid(id, path, result.getTrustAnchor().getTrustedCert());
    } catch (CertPathValidatorException e) {
      throw new SvidVerificationException(reasonMessage(e), e);
    } catch (CertificateException e) {
      throw new SvidVerificationException(PATH_INVALID, e);
    } catch (RuntimeException e) {
      // The JDK's name constraint code throws NullPointerException for a URI without a
      // server-based host (spiffe://999.999.999.999/x) under a URI constraint: a peer's chain must
      // never fail with anything but a verification failure.
      throw new SvidVerificationException(PATH_INVALID, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no PKIX validator", e);
    }
  }

  private static String reasonMessage(CertPathValidatorException e) {
    CertPathValidatorException.Reason reason = e.getReason();
    if (reason == BasicReason.EXPIRED) {
      return EXPIRED;
    }
    if (reason == BasicReason.NOT_YET_VALID) {
      return NOT_YET_VALID;
    }
    if (reason == BasicReason.INVALID_SIGNATURE) {
      return SIGNATURE_INVALID;
    }
    if (reason == PKIXReason.NO_TRUST_ANCHOR) {
      return UNTRUSTED;
    }
    return PATH_INVALID;
  }
}
