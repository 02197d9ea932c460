package dev.trustbridge.ca.upstream;

import dev.trustbridge.ca.upstream.vault.SignedIntermediate;
import dev.trustbridge.ca.upstream.vault.VaultPkiUpstream;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.CaKeyContentSigner;
import dev.trustbridge.spiffe.svid.IssuingCa;
import java.io.IOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Vault's PKI engine as the upstream: this server generates each intermediate key (in any key
 * backend), and Vault signs its CSR ({@code root/sign-intermediate} or {@code
 * issuer/<ref>/sign-intermediate}); the roots Vault returns go to the bundle.
 *
 * <p>The CSR asks for what an X509-SVID signing CA needs (the trust domain's SPIFFE ID as the only
 * URI SAN, {@code cA=true}, {@code keyCertSign}); it is sent with {@code use_csr_values=true} so
 * that Vault keeps the SAN. What comes back is checked by {@link VaultPkiUpstream} (our key, a CA,
 * chains to the returned root) and here (a signing CA of this trust domain).
 */
public final class VaultPki implements UpstreamAuthority, AutoCloseable {
  private final VaultPkiUpstream vault;
  private final Optional<String> commonName;
  private final Runnable onClose;
  private final SecureRandom random = new SecureRandom();

  /**
   * @param vault the signing client
   * @param commonName the CN of the CSR; empty for {@code Trustbridge intermediate <td>}
   * @param onClose what closing this upstream does (close the Vault session), or a no-op
   */
  public VaultPki(VaultPkiUpstream vault, Optional<String> commonName, Runnable onClose) {
    this.vault = Objects.requireNonNull(vault, "vault");
    this.commonName = Objects.requireNonNull(commonName, "commonName");
    this.onClose = Objects.requireNonNull(onClose, "onClose");
  }

  @Override
  public String type() {
    return "vault-pki";
  }

  /** The Vault path intermediates are signed at. */
  public String signPath() {
    return vault.signPath();
  }

  /**
   * Has Vault sign an intermediate CA of {@code trustDomain} for {@code key}.
   *
   * @throws TrustbridgeException {@code UNAVAILABLE} if Vault cannot be reached, {@code
   *     FAILED_PRECONDITION} if it refuses, {@code INTERNAL} if what it signed is not a signing CA
   *     of this trust domain
   */
  public SignedIntermediate sign(TrustDomain trustDomain, CaKey key, String organization) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(key, "key");
    String cn = commonName.orElse("Trustbridge intermediate " + trustDomain.name());
    SignedIntermediate signed = vault.signIntermediate(csr(trustDomain, key, organization, cn), cn);
    IssuingCa ca;
    try {
      ca = IssuingCa.of(signed.certificate(), key);
    } catch (TrustbridgeException e) {
      throw new TrustbridgeException(
          ErrorCode.INTERNAL,
          "Vault PKI at "
              + signPath()
              + " signed an intermediate that cannot sign X509-SVIDs ("
              + e.getMessage()
              + "); Vault must keep the CSR's URI SAN (use_csr_values)",
          e);
    }
    if (!ca.trustDomain().equals(trustDomain)) {
      throw new TrustbridgeException(
          ErrorCode.INTERNAL,
          "Vault PKI at "
              + signPath()
              + " signed an intermediate of trust domain "
              + ca.trustDomain()
              + ", not "
              + trustDomain);
    }
    return signed;
  }

  private PKCS10CertificationRequest csr(
      TrustDomain trustDomain, CaKey key, String organization, String cn) {
    try {
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName(GeneralName.uniformResourceIdentifier, trustDomain.id().toString())));
      extensions.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      extensions.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      // A serial number in the subject keeps every generation's name unique, as for our own CAs.
      return new JcaPKCS10CertificationRequestBuilder(
              new X500NameBuilder(BCStyle.INSTANCE)
                  .addRDN(BCStyle.O, organization)
                  .addRDN(BCStyle.CN, cn)
                  .addRDN(BCStyle.SERIALNUMBER, new BigInteger(64, random).toString())
                  .build(),
              key.publicKey())
          .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
          .build(new CaKeyContentSigner(key));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode the intermediate CSR", e);
    }
  }

  @Override
  public void close() {
    onClose.run();
  }

  @Override
  public String toString() {
    return "VaultPki[" + signPath() + "]";
  }
}
