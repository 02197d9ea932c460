package dev.trustbridge.ca.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A TLS key manager that always presents the latest X509-SVID it was given, so the server's and
 * clients' own certificates can be renewed without restarting listeners or channels.
 */
public final class RotatingKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS = "svid";

  /** A certificate chain (leaf first) and its private key. */
  public record Credential(List<X509Certificate> chain, PrivateKey privateKey) {
    public Credential {
      chain = List.copyOf(chain);
      Objects.requireNonNull(privateKey, "privateKey");
      if (chain.isEmpty()) {
        throw new IllegalArgumentException("chain must hold at least the leaf");
      }
    }

    @Override
    public String toString() {
      return "Credential[" + chain.get(0).getSubjectX500Principal() + "]";
    }
  }

  private volatile Credential credential;

  public RotatingKeyManager(Credential initial) {
    this.credential = Objects.requireNonNull(initial, "initial");
  }

  /** Presents {@code next} on every handshake from now on. */
  public void update(Credential next) {
    this.credential = Objects.requireNonNull(next, "next");
  }

  /** The credential presented now. */
  public Credential current() {
    return credential;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return ALIAS;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return ALIAS;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return ALIAS;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return ALIAS;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return ALIAS.equals(alias) ? credential.chain().toArray(X509Certificate[]::new) : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return ALIAS.equals(alias) ? credential.privateKey() : null;
  }
}
