package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Objects;

/**
 * A signing CA ready to issue: its certificate and the {@link CaKey} holding the matching private
 * key. An instance guarantees that the key matches the certificate, that the certificate is a
 * signing certificate ({@code cA=true} and {@code keyCertSign}) and that it carries a trust domain
 * SPIFFE ID, which fixes the one trust domain it issues leaves for.
 *
 * <p>For a key that {@linkplain CaKey#signsInProcess() signs in this process}, "matches" is tested,
 * not taken from {@link CaKey#publicKey()}: {@link #of} signs a probe with the key and verifies it
 * with the certificate's public key (a pairwise consistency test, as FIPS 140 runs on new key
 * pairs). {@link X509SvidBuilder} relies on that test instead of verifying each leaf's signature.
 */
public final class IssuingCa {
  public static final String KEY_MISMATCH = "issuer key does not match the issuer certificate";
  public static final String NOT_A_CA = "issuer certificate must have cA=true and keyCertSign";
  public static final String NO_TRUST_DOMAIN_ID =
      "issuer certificate must carry a trust domain SPIFFE ID as its only URI SAN";

  // Signed by each in-process key when it is paired with its certificate; any bytes would do.
  private static final byte[] PROBE =
      "Trustbridge pairwise consistency test".getBytes(StandardCharsets.US_ASCII);

  private final X509Certificate certificate;
  private final CaKey key;
  private final SpiffeId spiffeId;
  private final IssuerFacts facts;
  private final boolean keyTested;

  private IssuingCa(X509Certificate certificate, CaKey key, SpiffeId spiffeId, boolean keyTested) {
    this.certificate = certificate;
    this.key = key;
    this.spiffeId = spiffeId;
    this.keyTested = keyTested;
    // Read on first use and kept: subject, key identifier and validity are parsed once per CA,
    // not once per leaf.
    this.facts = IssuerFacts.of(certificate, spiffeId);
  }

  /**
   * Pairs a CA certificate with its key; a key that signs in process signs a probe that the
   * certificate's public key must verify.
   *
   * @throws TrustbridgeException with code {@code INVALID_ARGUMENT} if the key does not match, the
   *     certificate is not a signing CA, or it has no trust domain SPIFFE ID; the key's own code if
   *     it cannot sign the probe
   */
  public static IssuingCa of(X509Certificate certificate, CaKey key) {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(key, "key");
    if (!Arrays.equals(certificate.getPublicKey().getEncoded(), key.publicKey().getEncoded())) {
      throw TrustbridgeException.invalidArgument(KEY_MISMATCH);
    }
    if (certificate.getBasicConstraints() < 0
        || !CertificateFields.keyUsage(certificate, CertificateFields.KEY_CERT_SIGN)) {
      throw TrustbridgeException.invalidArgument(NOT_A_CA);
    }
    SpiffeId id;
    try {
      id = X509SvidProfileChecker.spiffeId(certificate);
    } catch (SvidProfileException e) {
      throw TrustbridgeException.invalidArgument(NO_TRUST_DOMAIN_ID);
    }
    if (!id.isTrustDomainId()) {
      throw TrustbridgeException.invalidArgument(NO_TRUST_DOMAIN_ID);
    }
    boolean keyTested = key.signsInProcess();
    if (keyTested && !signsForCertificate(key, certificate)) {
      throw TrustbridgeException.invalidArgument(KEY_MISMATCH);
    }
    return new IssuingCa(certificate, key, id, keyTested);
  }

  /** True if a signature {@code key} makes verifies with {@code certificate}'s public key. */
  private static boolean signsForCertificate(CaKey key, X509Certificate certificate) {
    byte[] signature = key.sign(PROBE);
    try {
      return CryptoProviders.detect()
          .verify(
              key.keyType().jcaSignatureAlgorithm(), certificate.getPublicKey(), PROBE, signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      // A signature the provider cannot even parse does not verify.
      return false;
    }
  }

  /** The CA certificate. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** The key that signs on behalf of this CA. */
  public CaKey key() {
    return key;
  }

  /** The CA's SPIFFE ID, {@code spiffe://<td>}. */
  public SpiffeId spiffeId() {
    return spiffeId;
  }

  /** The trust domain this CA issues leaves for. */
  public TrustDomain trustDomain() {
    return spiffeId.trustDomain();
  }

  /**
   * True if the key passed the pairwise test in {@link #of}, so the signatures it makes need not be
   * verified one by one.
   */
  boolean keyTested() {
    return keyTested;
  }

  /** What issuing and checking need to know about the certificate, computed once. */
  IssuerFacts facts() {
    return facts;
  }
}
