package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.KeyType;
import java.security.PublicKey;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link CaKey} that breaks its contract on purpose: it shows {@code shown}'s public key but
 * signs with {@code signer}, and after {@code goodSignatures} signatures it flips a bit of each one
 * (a computation fault). It counts the signatures asked of it.
 */
final class FaultyCaKey implements CaKey {
  private final CaKey shown;
  private final CaKey signer;
  private final boolean inProcess;
  private final int goodSignatures;
  private final AtomicInteger signatures = new AtomicInteger();

  FaultyCaKey(CaKey shown, CaKey signer, boolean inProcess, int goodSignatures) {
    this.shown = shown;
    this.signer = signer;
    this.inProcess = inProcess;
    this.goodSignatures = goodSignatures;
  }

  /** Signs with the key it shows, correctly {@code goodSignatures} times, then with faults. */
  static FaultyCaKey failingAfter(CaKey key, boolean inProcess, int goodSignatures) {
    return new FaultyCaKey(key, key, inProcess, goodSignatures);
  }

  /** Shows {@code shown}'s public key and signs with {@code signer}, always. */
  static FaultyCaKey signingWithAnotherKey(CaKey shown, CaKey signer, boolean inProcess) {
    return new FaultyCaKey(shown, signer, inProcess, Integer.MAX_VALUE);
  }

  int signatures() {
    return signatures.get();
  }

  @Override
  public String id() {
    return shown.id();
  }

  @Override
  public KeyType keyType() {
    return shown.keyType();
  }

  @Override
  public PublicKey publicKey() {
    return shown.publicKey();
  }

  @Override
  public boolean signsInProcess() {
    return inProcess;
  }

  @Override
  public byte[] sign(byte[] data) {
    byte[] signature = signer.sign(data);
    if (signatures.incrementAndGet() > goodSignatures) {
      // The last byte is inside the ECDSA s value or the RSA signature: still well formed DER
      // for ECDSA in nearly every case, and a different number.
      signature[signature.length - 1] ^= 1;
    }
    return signature;
  }
}
