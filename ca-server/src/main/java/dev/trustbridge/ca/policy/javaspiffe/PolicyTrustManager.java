package dev.trustbridge.ca.policy.javaspiffe;

import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.policy.Decision;
import dev.trustbridge.spiffe.policy.Policy;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Enforces the per-identity policy in a TLS handshake: a decorator over the trust manager that
 * verifies the peer's X509-SVID (for Java workloads, java-spiffe's {@code
 * io.spiffe.provider.SpiffeTrustManager}). After the delegate accepted the client's chain, the
 * client's SPIFFE ID is decided with {@link Policy#decide} as the peer of the local workload; a
 * {@code DENY} fails the handshake with a {@link CertificateException} that names the rule outcome.
 *
 * <p>Only the accepting side is governed: the policy says which foreign identities may call local
 * ones, not whom local workloads may call, so {@code checkServerTrusted} delegates unchanged.
 *
 * <p>The policy is read on every handshake from {@code policy}, typically the compiled policy the
 * workload last received with its bundles ({@code FetchBundles}/{@code WatchBundles}), so a change
 * applies to the next handshake without rebuilding the {@code SSLContext}. Calls inside the local
 * trust domain are allowed by {@code decide} and left to the delegate's own ID check.
 *
 * <p>Needs no java-spiffe provider classes: any {@link X509ExtendedTrustManager} can be wrapped,
 * for example in {@code sslContext.init(new KeyManager[] {new SpiffeKeyManager(source)}, new
 * TrustManager[] {new PolicyTrustManager(new SpiffeTrustManager(source), localId, policy)}, null)}.
 */
public final class PolicyTrustManager extends X509ExtendedTrustManager {
  /** The prefix of the message of a handshake refused by the policy. */
  public static final String DENIED = "denied by policy";

  private static final int URI_NAME = 6;

  private final X509ExtendedTrustManager delegate;
  private final Supplier<SpiffeId> localId;
  private final Supplier<Policy> policy;

  /**
   * @param delegate verifies the peer's chain against the bundles (never skipped)
   * @param localId the SPIFFE ID of this workload's current SVID
   * @param policy the current policy; the compiled policy for {@code localId} is enough
   */
  public PolicyTrustManager(
      X509ExtendedTrustManager delegate, Supplier<SpiffeId> localId, Supplier<Policy> policy) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.localId = Objects.requireNonNull(localId, "localId");
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  /**
   * The decision for a peer chain that the delegate has already accepted.
   *
   * @throws CertificateException if the leaf does not carry exactly one valid SPIFFE ID, or no
   *     policy or local ID is available
   */
  public Decision decide(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("no peer certificate");
    }
    SpiffeId peer = spiffeId(chain[0]);
    SpiffeId local = localId.get();
    Policy current = policy.get();
    if (local == null || current == null) {
      throw new CertificateException(DENIED + ": no local SPIFFE ID or policy available");
    }
    return current.decide(local, peer);
  }

  private void enforce(X509Certificate[] chain) throws CertificateException {
    Decision decision = decide(chain);
    if (!decision.isAllowed()) {
      throw new CertificateException(
          DENIED + ": peer " + spiffeId(chain[0]) + ": " + decision.reason());
    }
  }

  static SpiffeId spiffeId(X509Certificate leaf) throws CertificateException {
    Collection<List<?>> names;
    try {
      names = leaf.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      throw new CertificateException("cannot read the peer's subject alternative names", e);
    }
    List<String> uris =
        names == null
            ? List.of()
            : names.stream()
                .filter(n -> n.size() >= 2 && Integer.valueOf(URI_NAME).equals(n.get(0)))
                .map(n -> String.valueOf(n.get(1)))
                .toList();
    if (uris.size() != 1) {
      throw new CertificateException("the peer's certificate must carry exactly one URI SAN");
    }
    try {
      return SpiffeId.parse(uris.get(0));
    } catch (InvalidSpiffeIdException e) {
      throw new CertificateException("the peer's URI SAN is not a SPIFFE ID: " + e.getMessage());
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    delegate.checkClientTrusted(chain, authType);
    enforce(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate.checkClientTrusted(chain, authType, socket);
    enforce(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate.checkClientTrusted(chain, authType, engine);
    enforce(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    delegate.checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate.checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate.checkServerTrusted(chain, authType, engine);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return delegate.getAcceptedIssuers();
  }
}
