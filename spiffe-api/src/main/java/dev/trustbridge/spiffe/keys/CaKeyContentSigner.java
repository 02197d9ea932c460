package dev.trustbridge.spiffe.keys;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;

/**
 * Lets Bouncy Castle's certificate and CSR builders sign with a {@link CaKey}: the builder writes
 * the to-be-signed bytes, then the key signs them once. Not thread safe: use one per certificate.
 */
public final class CaKeyContentSigner implements ContentSigner {
  private final CaKey key;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024);

  public CaKeyContentSigner(CaKey key) {
    this.key = Objects.requireNonNull(key, "key");
  }

  @Override
  public AlgorithmIdentifier getAlgorithmIdentifier() {
    return key.keyType().signatureAlgorithmIdentifier();
  }

  @Override
  public OutputStream getOutputStream() {
    return buffer;
  }

  @Override
  public byte[] getSignature() {
    byte[] toBeSigned = buffer.toByteArray();
    // Reset so that a reused signer signs the next structure alone, not the concatenation.
    buffer.reset();
    return key.sign(toBeSigned);
  }
}
