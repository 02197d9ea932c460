package dev.trustbridge.federation.endpoint;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How a {@link BundleEndpointServer} authenticates itself (SPIFFE Federation section 5.2): with a
 * Web PKI certificate ({@code https_web}) or with its own X509-SVID ({@code https_spiffe}).
 */
public sealed interface BundleEndpointProfile
    permits BundleEndpointProfile.HttpsWeb, BundleEndpointProfile.HttpsSpiffe {

  /**
   * {@code https_web}: an operator-provided certificate chain and private key, both PEM files. The
   * server checks the files' modification time and size every few seconds and serves a changed pair
   * to new connections; a pair that cannot be read, does not match or is not currently valid is
   * logged and the previous pair is kept.
   *
   * @param certificateChainFile PEM certificates, leaf first
   * @param privateKeyFile PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted)
   */
  record HttpsWeb(Path certificateChainFile, Path privateKeyFile) implements BundleEndpointProfile {
    public HttpsWeb {
      Objects.requireNonNull(certificateChainFile, "certificateChainFile");
      Objects.requireNonNull(privateKeyFile, "privateKeyFile");
    }
  }

  /** {@code https_spiffe}: the server presents its current X509-SVID from {@code svidSource}. */
  record HttpsSpiffe(ServerSvidSource svidSource) implements BundleEndpointProfile {
    public HttpsSpiffe {
      Objects.requireNonNull(svidSource, "svidSource");
    }
  }
}
