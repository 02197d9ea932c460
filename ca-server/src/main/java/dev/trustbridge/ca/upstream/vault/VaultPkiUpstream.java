package dev.trustbridge.ca.upstream.vault;

import dev.trustbridge.ca.keys.vault.VaultPaths;
import dev.trustbridge.ca.keys.vault.VaultReply;
import dev.trustbridge.ca.keys.vault.VaultSession;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import io.github.jopenlibs.vault.json.JsonValue;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vault's PKI secrets engine as the upstream CA: it signs Trustbridge's intermediate CSR with
 * {@code <mount>/root/sign-intermediate}, or {@code <mount>/issuer/<ref>/sign-intermediate} when an
 * issuer is configured. The key stays ours (any {@link dev.trustbridge.spiffe.keys.KeyManager}
 * backend); only the CSR goes to Vault.
 *
 * <p>What Vault returns is checked before it is used: the certificate is for the CSR's public key,
 * it is a CA, and it chains with PKIX (at the injected clock's time) to the root(s) Vault sent. An
 * answer that fails a check is {@code INTERNAL} (a misconfigured or misbehaving upstream; retrying
 * does not help); Vault down, 403 or 5xx is {@code UNAVAILABLE}; a request Vault rejects (bad CSR,
 * unknown issuer, missing mount) is {@code FAILED_PRECONDITION} with Vault's message.
 *
 * <p>It blocks on Vault; never call it on an event-loop thread.
 */
public final class VaultPkiUpstream {
  private static final Logger LOG = LoggerFactory.getLogger(VaultPkiUpstream.class);

  /**
   * Where and how to sign.
   *
   * @param mount the PKI mount path, e.g. {@code pki}
   * @param issuerRef the issuer name or id to sign with; empty for the mount's default issuer
   *     ({@code root/sign-intermediate})
   * @param ttl the validity asked for (Vault caps it at the issuer's expiry and the mount's max
   *     TTL)
   */
  public record Settings(String mount, Optional<String> issuerRef, Duration ttl) {
    public Settings {
      mount = VaultPaths.requireMount(mount, "PKI mount");
      Objects.requireNonNull(issuerRef, "issuerRef");
      Objects.requireNonNull(ttl, "ttl");
      issuerRef.ifPresent(
          ref -> {
            if (!VaultPaths.isValidName(ref)) {
              throw new IllegalArgumentException("PKI issuer reference '" + ref + "' is not valid");
            }
          });
      if (ttl.compareTo(Duration.ofMinutes(1)) < 0) {
        throw new IllegalArgumentException("intermediate TTL must be at least one minute");
      }
    }
  }

  private final VaultSession session;
  private final Settings settings;
  private final Clock clock;

  private VaultPkiUpstream(VaultSession session, Settings settings, Clock clock) {
    this.session = session;
    this.settings = settings;
    this.clock = clock;
  }

  /**
   * An upstream over {@code session}; {@code clock} is the time the returned chain must be valid
   * at.
   */
  public static VaultPkiUpstream create(VaultSession session, Settings settings, Clock clock) {
    return new VaultPkiUpstream(
        Objects.requireNonNull(session, "session"),
        Objects.requireNonNull(settings, "settings"),
        Objects.requireNonNull(clock, "clock"));
  }

  /** The Vault path the CSR is sent to. */
  public String signPath() {
    return settings
        .issuerRef()
        .map(ref -> settings.mount() + "/issuer/" + ref + "/sign-intermediate")
        .orElse(settings.mount() + "/root/sign-intermediate");
  }

  /**
   * Has Vault sign {@code csr} as an intermediate CA with {@code use_csr_values=true} (subject and
   * requested extensions come from the CSR; {@code commonName} is what Vault requires in the
   * request).
   *
   * @throws TrustbridgeException {@code INVALID_ARGUMENT} if the CSR's signature does not verify,
   *     {@code FAILED_PRECONDITION} if Vault rejects the request, {@code UNAVAILABLE} if Vault
   *     cannot be reached, {@code INTERNAL} if what Vault returned fails validation
   */
  public SignedIntermediate signIntermediate(PKCS10CertificationRequest csr, String commonName) {
    Objects.requireNonNull(csr, "csr");
    Objects.requireNonNull(commonName, "commonName");
    PublicKey csrKey = verifiedPublicKey(csr);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("csr", pem("CERTIFICATE REQUEST", encoded(csr)));
    body.put("common_name", commonName);
    body.put("ttl", settings.ttl().toSeconds() + "s");
    body.put("use_csr_values", true);
    body.put("format", "pem");
    VaultReply reply = session.write(signPath(), body);
    if (!reply.ok()) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION,
          "Vault PKI refused to sign the intermediate at "
              + signPath()
              + " (HTTP "
              + reply.status()
              + ": "
              + reply.errorText()
              + ")");
    }
    SignedIntermediate signed = validate(reply, csrKey);
    LOG.info(
        "Vault PKI signed intermediate at {}: subject={} serial={} not_after={}",
        signPath(),
        signed.certificate().getSubjectX500Principal().getName(),
        signed.certificate().getSerialNumber().toString(16),
        signed.certificate().getNotAfter().toInstant());
    return signed;
  }

  private SignedIntermediate validate(VaultReply reply, PublicKey csrKey) {
    List<X509Certificate> leaf =
        certificates(reply.data().getString("certificate", ""), "certificate");
    if (leaf.isEmpty()) {
      throw invalid("no certificate");
    }
    X509Certificate certificate = leaf.get(0);
    if (!Arrays.equals(certificate.getPublicKey().getEncoded(), csrKey.getEncoded())) {
      throw invalid("a certificate for another public key than the CSR's");
    }
    if (certificate.getBasicConstraints() < 0) {
      throw invalid("a certificate that is not a CA");
    }
    // Everything Vault sent besides our certificate; the chain is then walked from our
    // certificate upwards by subject and issuer, so that Vault's order does not matter.
    List<X509Certificate> sent = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    seen.add(fingerprint(certificate));
    addNew(sent, seen, leaf.subList(1, leaf.size()));
    addNew(sent, seen, certificates(reply.data().getString("issuing_ca", ""), "issuing_ca"));
    JsonValue caChain = reply.data().get("ca_chain");
    if (caChain != null && caChain.isArray()) {
      for (JsonValue element : caChain.asArray()) {
        if (element.isString()) {
          addNew(sent, seen, certificates(element.asString(), "ca_chain"));
        }
      }
    }
    List<X509Certificate> chain = new ArrayList<>();
    X509Certificate current = certificate;
    while (chain.size() < 8) {
      X509Certificate child = current;
      Optional<X509Certificate> issuer =
          sent.stream()
              .filter(c -> !chain.contains(c))
              .filter(c -> c.getSubjectX500Principal().equals(child.getIssuerX500Principal()))
              .findFirst();
      if (issuer.isEmpty()) {
        break;
      }
      chain.add(issuer.get());
      if (selfSigned(issuer.get())) {
        break;
      }
      current = issuer.get();
    }
    if (chain.isEmpty()) {
      throw invalid("no certificate of the intermediate's issuer");
    }
    X509Certificate top = chain.get(chain.size() - 1);
    // Anchor at the root; where Vault sent none (its issuer is itself an intermediate), at the
    // top of what it sent.
    List<X509Certificate> roots = new ArrayList<>(List.of(top));
    // Other roots Vault sent (e.g. the next root during a root rotation) go to the bundle too.
    sent.stream().filter(c -> !chain.contains(c) && selfSigned(c)).forEach(roots::add);
    List<X509Certificate> certPath = new ArrayList<>();
    certPath.add(certificate);
    certPath.addAll(chain.subList(0, chain.size() - 1));
    try {
      Set<TrustAnchor> anchors = new HashSet<>();
      anchors.add(new TrustAnchor(top, null));
      PKIXParameters parameters = new PKIXParameters(anchors);
      parameters.setRevocationEnabled(false);
      parameters.setDate(Date.from(clock.instant()));
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      CertPathValidator.getInstance("PKIX")
          .validate(factory.generateCertPath(certPath), parameters);
    } catch (GeneralSecurityException e) {
      throw invalid("a chain that does not validate (" + e.getMessage() + ")");
    }
    return new SignedIntermediate(certificate, chain, roots);
  }

  private TrustbridgeException invalid(String what) {
    return new TrustbridgeException(
        ErrorCode.INTERNAL,
        "Vault PKI at " + signPath() + " returned " + what + "; refusing to use it");
  }

  private static void addNew(
      List<X509Certificate> chain, Set<String> seen, List<X509Certificate> more) {
    for (X509Certificate certificate : more) {
      if (seen.add(fingerprint(certificate))) {
        chain.add(certificate);
      }
    }
  }

  private static boolean selfSigned(X509Certificate certificate) {
    if (!certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
      return false;
    }
    try {
      certificate.verify(certificate.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private List<X509Certificate> certificates(String pem, String field) {
    if (pem.isBlank()) {
      return List.of();
    }
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (var certificate :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        out.add((X509Certificate) certificate);
      }
      return out;
    } catch (GeneralSecurityException | ClassCastException e) {
      throw invalid("a '" + field + "' that is not PEM certificates");
    }
  }

  private static String fingerprint(X509Certificate certificate) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static PublicKey verifiedPublicKey(PKCS10CertificationRequest csr) {
    try {
      JcaPKCS10CertificationRequest jca = new JcaPKCS10CertificationRequest(csr);
      PublicKey key = jca.getPublicKey();
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
        throw TrustbridgeException.invalidArgument(
            "the intermediate CSR's signature does not verify");
      }
      return key;
    } catch (GeneralSecurityException | OperatorCreationException | PKCSException e) {
      throw TrustbridgeException.invalidArgument(
          "the intermediate CSR cannot be read: " + e.getMessage());
    }
  }

  private static byte[] encoded(PKCS10CertificationRequest csr) {
    try {
      return csr.getEncoded();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(String type, byte[] der) {
    try (StringWriter out = new StringWriter();
        JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(new org.bouncycastle.util.io.pem.PemObject(type, der));
      writer.flush();
      return out.toString();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
