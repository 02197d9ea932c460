package dev.trustbridge.ca.authority;

import dev.trustbridge.spiffe.id.TrustDomain;
import java.math.BigInteger;
import java.util.Optional;

/**
 * The {@code spiffe_sequence} of each hosted trust domain's bundle. The sequence changes exactly
 * when the bundle's content does, is persisted, and never goes backwards, so peers can tell a newer
 * bundle from an older one across restarts and replicas.
 *
 * <p>Implementations are thread safe, and {@link #advance} is atomic across every process that
 * shares the store. Every method throws {@link dev.trustbridge.spiffe.error.TrustbridgeException}
 * with code {@code UNAVAILABLE} if the backing store cannot be reached.
 */
public interface BundleSequenceStore {
  /**
   * Returns the sequence number for a bundle whose content has digest {@code contentDigest}: the
   * stored sequence if the stored digest is equal, otherwise the stored sequence plus one (or 1 for
   * a trust domain seen for the first time), which is stored with the new digest.
   *
   * @param contentDigest a digest (e.g. SHA-256) of the bundle's canonical content; not empty
   */
  BigInteger advance(TrustDomain trustDomain, byte[] contentDigest);

  /** The stored sequence for a trust domain, or empty if none was ever stored. */
  Optional<BigInteger> current(TrustDomain trustDomain);
}
