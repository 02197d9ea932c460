package dev.trustbridge.spiffe.bundle;

import dev.trustbridge.spiffe.id.TrustDomain;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * X.509 authorities as PEM (RFC 7468 {@code CERTIFICATE} blocks), for manual bundle exchange and
 * for the {@code https_spiffe} bootstrap bundle that SPIFFE_Federation.md 5.2.2 allows as PEM.
 *
 * <p>Reading is strict, because what it reads becomes trust anchors: the input must be ASCII, at
 * most {@link #MAX_PEM_BYTES} long, and consist only of {@code CERTIFICATE} blocks separated by
 * blank lines; explanatory text outside blocks, encapsulated headers, other block types (a private
 * key above all, which is refused without being decoded) and certificates that are not CAs are
 * rejected with an {@link InvalidBundleException}. Duplicate certificates are kept once.
 */
public final class PemBundles {
  /** The largest PEM input read, in bytes. */
  public static final int MAX_PEM_BYTES = 1024 * 1024;

  private static final String BEGIN = "-----BEGIN ";
  private static final String END = "-----END ";
  private static final String DASHES = "-----";
  private static final String CERTIFICATE = "CERTIFICATE";

  private PemBundles() {}

  /**
   * Reads PEM CA certificates as the X.509 authorities of a bundle of the given trust domain.
   *
   * @throws InvalidBundleException with a {@code PEM_*} message, {@link
   *     InvalidBundleException#TOO_LARGE}, {@link InvalidBundleException#AUTHORITY_NOT_CA} or
   *     {@link InvalidBundleException#AUTHORITY_KEY_UNSUPPORTED}; nothing else is thrown
   */
  public static SpiffeBundle readBundle(TrustDomain trustDomain, byte[] pem) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(pem, "pem");
    return SpiffeBundle.builder(trustDomain).addX509Authorities(readCertificates(pem)).build();
  }

  /** Writes the bundle's X.509 authorities as PEM; its JWT authorities have no PEM form. */
  public static byte[] write(SpiffeBundle bundle) {
    return writeCertificates(Objects.requireNonNull(bundle, "bundle").x509Authorities());
  }

  /** Writes certificates as PEM {@code CERTIFICATE} blocks with 64-character lines and LF. */
  public static byte[] writeCertificates(Collection<X509Certificate> certificates) {
    Base64.Encoder encoder = Base64.getMimeEncoder(64, new byte[] {'\n'});
    StringBuilder out = new StringBuilder();
    for (X509Certificate cert : Objects.requireNonNull(certificates, "certificates")) {
      out.append(BEGIN).append(CERTIFICATE).append(DASHES).append('\n');
      out.append(encoder.encodeToString(X509Authorities.der(cert))).append('\n');
      out.append(END).append(CERTIFICATE).append(DASHES).append('\n');
    }
    return out.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static List<X509Certificate> readCertificates(byte[] pem) {
    if (pem.length > MAX_PEM_BYTES) {
      throw new InvalidBundleException(InvalidBundleException.TOO_LARGE);
    }
    for (byte b : pem) {
      if (b < 0) {
        throw new InvalidBundleException(InvalidBundleException.PEM_NOT_ASCII);
      }
    }
    String[] lines = new String(pem, StandardCharsets.US_ASCII).split("\n", -1);
    List<X509Certificate> certs = new ArrayList<>();
    int i = 0;
    while (i < lines.length) {
      String line = stripCr(lines[i++]);
      if (line.isBlank()) {
        continue;
      }
      checkBeginCertificate(line);
      StringBuilder body = new StringBuilder();
      while (true) {
        if (i >= lines.length) {
          throw new InvalidBundleException(InvalidBundleException.PEM_MALFORMED_BLOCK);
        }
        String bodyLine = stripCr(lines[i++]);
        if (bodyLine.startsWith(END)) {
          if (!bodyLine.equals(END + CERTIFICATE + DASHES)) {
            throw new InvalidBundleException(InvalidBundleException.PEM_MALFORMED_BLOCK);
          }
          break;
        }
        if (bodyLine.isEmpty() || bodyLine.contains(":")) {
          // Blank lines and "Proc-Type:"-style headers belong to the legacy encrypted format.
          throw new InvalidBundleException(InvalidBundleException.PEM_MALFORMED_BLOCK);
        }
        body.append(bodyLine);
      }
      certs.add(
          Base64Text.decodeStandard(body.toString())
              .flatMap(X509Authorities::fromDer)
              .orElseThrow(
                  () -> new InvalidBundleException(InvalidBundleException.PEM_BAD_CERTIFICATE)));
    }
    if (certs.isEmpty()) {
      throw new InvalidBundleException(InvalidBundleException.PEM_EMPTY);
    }
    return certs;
  }

  private static void checkBeginCertificate(String line) {
    if (!line.startsWith(BEGIN)
        || !line.endsWith(DASHES)
        || line.length() < BEGIN.length() + DASHES.length()) {
      throw new InvalidBundleException(InvalidBundleException.PEM_GARBAGE);
    }
    String label = line.substring(BEGIN.length(), line.length() - DASHES.length());
    if (label.contains("PRIVATE KEY")) {
      throw new InvalidBundleException(InvalidBundleException.PEM_PRIVATE_KEY);
    }
    if (!label.equals(CERTIFICATE)) {
      throw new InvalidBundleException(InvalidBundleException.PEM_NOT_CERTIFICATE);
    }
  }

  private static String stripCr(String line) {
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }
}
