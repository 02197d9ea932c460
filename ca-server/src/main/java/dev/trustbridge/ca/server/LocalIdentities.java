package dev.trustbridge.ca.server;

import dev.trustbridge.ca.authority.TrustDomainAuthority;
import dev.trustbridge.ca.tls.RotatingKeyManager;
import dev.trustbridge.spiffe.bundle.PemBundles;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.X509SvidBuilder;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * The server's own X509-SVIDs: the one it serves TLS with ({@code spiffe://TD/trustbridge/server})
 * and the local admin credential ({@code spiffe://TD/trustbridge/admin}) that it writes into {@code
 * <data_dir>/admin/} with mode 0600 so that the CLI on the same machine can call the admin APIs.
 * Both are re-issued before they expire.
 */
public final class LocalIdentities {
  /**
   * The server's SVID also names the loopback addresses and {@code localhost}, so that ordinary TLS
   * clients that check host names (gRPC stacks of other languages, openssl, Istio agents pointed at
   * 127.0.0.1) accept it; SPIFFE-aware clients check the SPIFFE ID instead.
   */
  private static final List<InetAddress> LOOPBACK = loopback();

  /** Lifetime of the server's and the admin's own SVIDs. */
  static final Duration TTL = Duration.ofHours(24);

  private final TrustDomainAuthority authority;
  private final CryptoProviders providers;
  private final Clock clock;
  private final Optional<Path> adminDir;
  private final RotatingKeyManager serverKeys;
  private final List<Consumer<RotatingKeyManager.Credential>> listeners =
      new CopyOnWriteArrayList<>();

  /**
   * @param adminDir where to write the local admin credential; empty for trust domains other than
   *     the first
   */
  LocalIdentities(
      TrustDomainAuthority authority,
      CryptoProviders providers,
      Clock clock,
      Optional<Path> adminDir) {
    this.authority = Objects.requireNonNull(authority, "authority");
    this.providers = Objects.requireNonNull(providers, "providers");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.adminDir = Objects.requireNonNull(adminDir, "adminDir");
    this.serverKeys = new RotatingKeyManager(issue(serverId(authority.trustDomain())));
    adminDir.ifPresent(this::writeAdminCredential);
  }

  /** Calls {@code listener} with the server's new credential after every renewal. */
  Runnable subscribe(Consumer<RotatingKeyManager.Credential> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return () -> listeners.remove(listener);
  }

  private static List<InetAddress> loopback() {
    try {
      return List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1"));
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException("literal loopback addresses always parse", e);
    }
  }

  /** The ID the server presents over TLS. */
  public static SpiffeId serverId(TrustDomain td) {
    return SpiffeId.fromSegments(td, "trustbridge", "server");
  }

  /** The ID of the local admin credential. */
  public static SpiffeId adminId(TrustDomain td) {
    return SpiffeId.fromSegments(td, "trustbridge", "admin");
  }

  RotatingKeyManager serverKeys() {
    return serverKeys;
  }

  /**
   * Re-issues both SVIDs if less than half of their lifetime is left, or once the intermediate that
   * signed them is no longer the active one (after a rotation).
   */
  void renewIfDue() {
    X509Certificate leaf = serverKeys.current().chain().get(0);
    Duration left = Duration.between(clock.instant(), leaf.getNotAfter().toInstant());
    if (left.compareTo(TTL.dividedBy(2)) < 0
        || !authority.signer().ca().certificate().equals(serverKeys.current().chain().get(1))) {
      RotatingKeyManager.Credential renewed = issue(serverId(authority.trustDomain()));
      serverKeys.update(renewed);
      adminDir.ifPresent(this::writeAdminCredential);
      listeners.forEach(l -> l.accept(renewed));
    }
  }

  private RotatingKeyManager.Credential issue(SpiffeId id) {
    KeyPair keys = providers.keyPairGenerator(KeyType.EC_P256).generateKeyPair();
    TrustDomainAuthority.Signer signer = authority.signer();
    X509Certificate leaf =
        X509SvidBuilder.newBuilder(signer.ca(), clock)
            .spiffeId(id)
            .publicKey(keys.getPublic())
            .dnsNames(List.of("localhost"))
            .ipAddresses(LOOPBACK)
            .ttl(TTL)
            .build();
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(leaf);
    chain.addAll(signer.chain());
    return new RotatingKeyManager.Credential(chain, keys.getPrivate());
  }

  private void writeAdminCredential(Path adminDir) {
    RotatingKeyManager.Credential admin = issue(adminId(authority.trustDomain()));
    try {
      Files.createDirectories(adminDir);
      Files.setPosixFilePermissions(adminDir, PosixFilePermissions.fromString("rwx------"));
      writePrivate(adminDir.resolve("svid.pem"), PemBundles.writeCertificates(admin.chain()));
      writePrivate(adminDir.resolve("svid.key"), pkcs8Pem(admin));
      writePrivate(
          adminDir.resolve("bundle.pem"),
          PemBundles.writeCertificates(authority.bundle().x509Authorities()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the admin credential to " + adminDir, e);
    }
  }

  private static byte[] pkcs8Pem(RotatingKeyManager.Credential credential) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(new PemObject("PRIVATE KEY", credential.privateKey().getEncoded()));
    }
    return out.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** Writes a file that is 0600 from its creation, then moves it into place atomically. */
  static void writePrivate(Path target, byte[] content) throws IOException {
    Path temp =
        Files.createTempFile(
            target.getParent(),
            "." + target.getFileName(),
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.write(temp, content);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
