package dev.trustbridge.benchmarks;

import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import java.io.IOException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Pre-made PKCS#10 requests, built the way {@code trustbridge x509 mint} builds them (empty
 * subject, signed with Bouncy Castle), so that neither the load nor the micro benchmark pays for
 * key generation inside the measured loop.
 */
final class Csrs {
  private Csrs() {}

  /** {@code count} DER CSRs, each for a fresh key pair of {@code type}. */
  static List<byte[]> make(int count, KeyType type) {
    CryptoProviders providers = CryptoProviders.detect();
    KeyPairGenerator generator = providers.keyPairGenerator(type);
    List<byte[]> csrs = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      KeyPair keys = generator.generateKeyPair();
      try {
        csrs.add(
            new JcaPKCS10CertificationRequestBuilder(new X500Principal(""), keys.getPublic())
                .build(
                    new JcaContentSignerBuilder(type.jcaSignatureAlgorithm())
                        .setProvider(providers.bouncyCastle())
                        .build(keys.getPrivate()))
                .getEncoded());
      } catch (IOException | OperatorCreationException e) {
        throw new IllegalStateException("cannot build a CSR", e);
      }
    }
    return csrs;
  }
}
