package dev.trustbridge.ca.upstream;

import dev.trustbridge.ca.authority.AuthorityRecord;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

/** The certificate of a journal record, for assertions. */
final class JournalCertificate {
  private JournalCertificate() {}

  static X509Certificate of(AuthorityRecord record) {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(record.certificateDer()));
    } catch (CertificateException e) {
      throw new IllegalStateException(e);
    }
  }
}
