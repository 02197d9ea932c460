package dev.trustbridge.ca.upstream;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.IssuingCa;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operator-provided CA files as the upstream, as Istio's plug-in {@code cacerts}: {@code
 * root-cert.pem} (the root bundle), {@code cert-chain.pem} (the CA's chain), {@code ca-cert.pem}
 * and {@code ca-key.pem} (the signing CA and its key).
 *
 * <p>A set is used only if it is consistent: the key matches the CA certificate; the CA certificate
 * is a signing CA ({@code cA=true}, {@code keyCertSign}) carrying this trust domain's SPIFFE ID as
 * its only URI SAN (our leaves must pass the X509-SVID producer check, which requires it); and the
 * CA certificate with the chain validates with PKIX, at the clock's time, to a root of the root
 * bundle. At start an inconsistent set is refused with a message naming the broken rule. At each
 * {@link #reload()} the files are read again if a modification time or size changed; a new
 * consistent set replaces the old one, an inconsistent one is logged once and the old CA stays in
 * use.
 *
 * <p>The key is held in memory only ({@link HeldCaKey}), never written anywhere.
 */
public final class PluginFiles implements UpstreamAuthority {
  private static final Logger LOG = LoggerFactory.getLogger(PluginFiles.class);

  public static final String KEY_MISMATCH = "the CA key does not match the CA certificate";
  public static final String NOT_A_CA =
      "the CA certificate is not a signing CA (it needs basicConstraints cA=true and keyUsage"
          + " keyCertSign)";
  public static final String NO_TRUST_DOMAIN_ID =
      "the CA certificate must carry the trust domain's SPIFFE ID as its only URI SAN";
  public static final String NOT_CHAINED =
      "the CA certificate and the certificate chain do not chain to a root of the root bundle";
  public static final String KEY_TYPE_NOT_ALLOWED =
      "the CA key must be EC P-256/P-384, RSA 2048/3072/4096 or Ed25519";

  /** Where the four files are. */
  public record Paths(Path rootBundle, Path certChain, Path caCert, Path caKey) {
    public Paths {
      Objects.requireNonNull(rootBundle, "rootBundle");
      Objects.requireNonNull(certChain, "certChain");
      Objects.requireNonNull(caCert, "caCert");
      Objects.requireNonNull(caKey, "caKey");
    }

    /** Istio's names in one directory: root-cert.pem, cert-chain.pem, ca-cert.pem, ca-key.pem. */
    public static Paths istio(Path dir) {
      return new Paths(
          dir.resolve("root-cert.pem"),
          dir.resolve("cert-chain.pem"),
          dir.resolve("ca-cert.pem"),
          dir.resolve("ca-key.pem"));
    }

    List<Path> all() {
      return List.of(rootBundle, certChain, caCert, caKey);
    }
  }

  private final TrustDomain trustDomain;
  private final Paths paths;
  private final CryptoProviders providers;
  private final Clock clock;
  private volatile PluginCa current;
  private List<String> stamp;

  private PluginFiles(
      TrustDomain trustDomain, Paths paths, CryptoProviders providers, Clock clock) {
    this.trustDomain = trustDomain;
    this.paths = paths;
    this.providers = providers;
    this.clock = clock;
  }

  /**
   * Reads and checks the files.
   *
   * @throws TrustbridgeException {@code FAILED_PRECONDITION} naming the file and the broken rule
   */
  public static PluginFiles open(
      TrustDomain trustDomain, Paths paths, CryptoProviders providers, Clock clock) {
    PluginFiles files =
        new PluginFiles(
            Objects.requireNonNull(trustDomain, "trustDomain"),
            Objects.requireNonNull(paths, "paths"),
            Objects.requireNonNull(providers, "providers"),
            Objects.requireNonNull(clock, "clock"));
    files.stamp = files.stamp();
    files.current = files.load();
    LOG.info(
        "plug-in CA of {} loaded from {}: subject={} not_after={}",
        trustDomain,
        paths.caCert(),
        files.current.ca().certificate().getSubjectX500Principal().getName(),
        files.current.ca().certificate().getNotAfter().toInstant());
    return files;
  }

  @Override
  public String type() {
    return "files";
  }

  public Paths paths() {
    return paths;
  }

  /** The CA in use. */
  public PluginCa current() {
    return current;
  }

  /**
   * Reads the files again if they changed since the last look, and returns the CA to use: the new
   * one if the new files are consistent, otherwise (logged, once per change) the one in use.
   */
  public synchronized PluginCa reload() {
    List<String> now = stamp();
    if (now.equals(stamp)) {
      return current;
    }
    stamp = now;
    try {
      PluginCa next = load();
      if (!next.ca().certificate().equals(current.ca().certificate())
          || !next.roots().equals(current.roots())) {
        LOG.info(
            "plug-in CA files of {} changed: now subject={} not_after={}",
            trustDomain,
            next.ca().certificate().getSubjectX500Principal().getName(),
            next.ca().certificate().getNotAfter().toInstant());
      }
      current = next;
    } catch (TrustbridgeException e) {
      LOG.error(
          "plug-in CA files of {} changed but cannot be used; the CA in use is kept: {}",
          trustDomain,
          e.getMessage());
    }
    return current;
  }

  /** Modification time and size of each file: a change of either triggers a reload. */
  private List<String> stamp() {
    List<String> out = new ArrayList<>();
    for (Path path : paths.all()) {
      try {
        out.add(Files.getLastModifiedTime(path) + "/" + Files.size(path));
      } catch (IOException e) {
        out.add("missing");
      }
    }
    return out;
  }

  private PluginCa load() {
    List<X509Certificate> roots = certificates(paths.rootBundle(), "root bundle");
    List<X509Certificate> caCerts = certificates(paths.caCert(), "CA certificate");
    List<X509Certificate> chainFile = certificates(paths.certChain(), "certificate chain");
    X509Certificate caCert = caCerts.get(0);
    PrivateKey privateKey = privateKey(paths.caKey());
    Optional<KeyType> type = KeyType.of(caCert.getPublicKey());
    if (type.isEmpty()) {
      throw refused(KEY_TYPE_NOT_ALLOWED, paths.caCert().toString());
    }
    HeldCaKey key;
    try {
      key =
          new HeldCaKey(
              "plugin:" + fingerprint(caCert).substring(0, 16),
              type.get(),
              caCert.getPublicKey(),
              privateKey,
              providers);
    } catch (IllegalStateException e) {
      throw refused(KEY_MISMATCH, paths.caKey() + " and " + paths.caCert());
    }
    if (!matches(key, caCert)) {
      throw refused(KEY_MISMATCH, paths.caKey() + " and " + paths.caCert());
    }
    IssuingCa ca;
    try {
      ca = IssuingCa.of(caCert, key);
    } catch (TrustbridgeException e) {
      String rule = e.getMessage().equals(IssuingCa.NOT_A_CA) ? NOT_A_CA : NO_TRUST_DOMAIN_ID;
      throw refused(rule, paths.caCert().toString());
    }
    if (!ca.trustDomain().equals(trustDomain)) {
      throw refused(
          NO_TRUST_DOMAIN_ID,
          paths.caCert() + " is for " + ca.trustDomain() + ", not " + trustDomain);
    }
    List<X509Certificate> chain = new ArrayList<>();
    X509Certificate anchor = chainToRoot(caCert, chainFile, roots, chain);
    return new PluginCa(ca, chain, roots, anchor);
  }

  /**
   * Walks from {@code caCert} up by issuer through the chain file to a root of the bundle, filling
   * {@code chain}, then validates the path with PKIX; returns the root.
   */
  private X509Certificate chainToRoot(
      X509Certificate caCert,
      List<X509Certificate> chainFile,
      List<X509Certificate> roots,
      List<X509Certificate> chain) {
    if (roots.contains(caCert)) {
      return caCert; // a single-level set: the signing CA is itself a root
    }
    X509Certificate current = caCert;
    Optional<X509Certificate> anchor = issuerAmong(current, roots);
    while (anchor.isEmpty() && chain.size() < 8) {
      X509Certificate child = current;
      Optional<X509Certificate> next =
          issuerAmong(
              child,
              chainFile.stream().filter(c -> !c.equals(caCert) && !chain.contains(c)).toList());
      if (next.isEmpty()) {
        break;
      }
      chain.add(next.get());
      current = next.get();
      anchor = issuerAmong(current, roots);
    }
    if (anchor.isEmpty()) {
      throw refused(
          NOT_CHAINED,
          "no issuer of "
              + current.getSubjectX500Principal().getName()
              + " in "
              + paths.rootBundle());
    }
    List<X509Certificate> path = new ArrayList<>();
    path.add(caCert);
    path.addAll(chain);
    try {
      Set<TrustAnchor> anchors =
          roots.stream().map(r -> new TrustAnchor(r, null)).collect(Collectors.toSet());
      PKIXParameters parameters = new PKIXParameters(anchors);
      parameters.setRevocationEnabled(false);
      parameters.setDate(Date.from(clock.instant()));
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
    } catch (GeneralSecurityException e) {
      throw refused(NOT_CHAINED, e.getMessage());
    }
    if (anchor.get().getNotAfter().toInstant().isBefore(clock.instant())) {
      throw refused(NOT_CHAINED, "the root has expired");
    }
    return anchor.get();
  }

  private static Optional<X509Certificate> issuerAmong(
      X509Certificate child, List<X509Certificate> candidates) {
    return candidates.stream()
        .filter(c -> c.getSubjectX500Principal().equals(child.getIssuerX500Principal()))
        .filter(c -> signedBy(child, c))
        .findFirst();
  }

  private static boolean signedBy(X509Certificate child, X509Certificate issuer) {
    try {
      child.verify(issuer.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private boolean matches(HeldCaKey key, X509Certificate certificate) {
    // A key parsed from the file carries no public half we can trust: sign and verify instead.
    byte[] probe = "trustbridge plug-in CA key check".getBytes(StandardCharsets.US_ASCII);
    try {
      java.security.Signature verifier = providers.signature(key.keyType());
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      return verifier.verify(key.sign(probe));
    } catch (GeneralSecurityException | TrustbridgeException e) {
      return false;
    }
  }

  private List<X509Certificate> certificates(Path file, String what) {
    byte[] bytes = read(file, what);
    List<X509Certificate> out = new ArrayList<>();
    try {
      for (var certificate :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(bytes))) {
        out.add((X509Certificate) certificate);
      }
    } catch (GeneralSecurityException | ClassCastException e) {
      throw refused("the " + what + " file is not PEM certificates", file.toString());
    }
    if (out.isEmpty()) {
      throw refused("the " + what + " file holds no certificate", file.toString());
    }
    return out;
  }

  private PrivateKey privateKey(Path file) {
    byte[] bytes = read(file, "CA key");
    try (Reader reader =
            new java.io.InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.UTF_8);
        PEMParser parser = new PEMParser(reader)) {
      Object parsed = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter().setProvider(providers.bouncyCastle());
      if (parsed instanceof PEMKeyPair pair) {
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
      if (parsed instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
    } catch (IOException e) {
      // reported below, without the file's content
    } finally {
      java.util.Arrays.fill(bytes, (byte) 0);
    }
    throw refused(
        "the CA key file holds no unencrypted PEM private key (PKCS#8, EC or RSA)",
        file.toString());
  }

  private static byte[] read(Path file, String what) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION,
          "cannot read the plug-in " + what + " file " + file + ": " + e);
    }
  }

  private TrustbridgeException refused(String rule, String detail) {
    return new TrustbridgeException(
        ErrorCode.FAILED_PRECONDITION,
        "plug-in CA files of " + trustDomain + " refused: " + rule + " (" + detail + ")");
  }

  static String fingerprint(X509Certificate certificate) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }

  @Override
  public String toString() {
    return "PluginFiles[" + paths.caCert() + "]";
  }
}
