package dev.trustbridge.ca.keys.pkcs11;

import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.CaKeyContentSigner;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/**
 * The self-signed certificate stored next to each private key. It exists only because the PKCS#11
 * {@code KeyStore} shows no private key without a certificate; it is never published or trusted
 * ({@code cA=false}, no key usage for anything else). Signing it through the token is also the
 * self-test of a new key: the signature is verified with the generated public key before the key is
 * stored.
 */
final class PlaceholderCertificate {
  private static final SecureRandom RANDOM = new SecureRandom();
  // RFC 5280 4.1.2.5: 99991231235959Z means "no well-defined expiration date".
  private static final Date NO_EXPIRY = Date.from(Instant.parse("9999-12-31T23:59:59Z"));

  private PlaceholderCertificate() {}

  /** A placeholder for {@code key}, signed by it. Fails if the signature does not verify. */
  static X509Certificate create(CaKey key, Instant now)
      throws IOException, GeneralSecurityException {
    var name =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, "Trustbridge")
            .addRDN(BCStyle.CN, "PKCS#11 key placeholder, not a CA")
            .build();
    X509CertificateHolder holder =
        new JcaX509v3CertificateBuilder(
                name,
                new BigInteger(127, RANDOM).add(BigInteger.ONE),
                Date.from(now.truncatedTo(ChronoUnit.SECONDS)),
                NO_EXPIRY,
                name,
                key.publicKey())
            .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
            .build(new CaKeyContentSigner(key));
    X509Certificate certificate =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(holder.getEncoded()));
    certificate.verify(key.publicKey());
    return certificate;
  }
}
