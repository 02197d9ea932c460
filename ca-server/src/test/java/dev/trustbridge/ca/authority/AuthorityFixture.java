package dev.trustbridge.ca.authority;

import dev.trustbridge.ca.store.JdbcDatastore;
import dev.trustbridge.ca.upstream.UpstreamAuthority;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.InMemoryKeyManager;
import dev.trustbridge.spiffe.keys.KeyManager;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.X509SvidBuilder;
import dev.trustbridge.spiffe.svid.X509SvidVerifier;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One trust domain's {@link TrustDomainAuthority} as the authority and upstream tests set it up: a
 * SQLite datastore in the test's temporary directory, in-memory keys, EC P-256 CAs of organization
 * "Acme", a one-day maximum leaf TTL and a five-minute refresh hint; plus the leaf issuing, chain
 * validation and journal queries those tests assert with. Close it after each test.
 */
public final class AuthorityFixture implements AutoCloseable {
  public static final Duration MAX_LEAF_TTL = Duration.ofDays(1);
  public static final Duration REFRESH_HINT = Duration.ofMinutes(5);

  private final TrustDomain trustDomain;
  private final Clock clock;
  private final JdbcDatastore datastore;
  private final InMemoryKeyManager keys = new InMemoryKeyManager();
  private final KeyPair leafKeys;
  private Duration rootTtl = Duration.ofDays(60);
  private Duration intermediateTtl = Duration.ofDays(10);

  private AuthorityFixture(TrustDomain trustDomain, Path dir, Clock clock) {
    this.trustDomain = trustDomain;
    this.clock = clock;
    this.leafKeys = ecKeys();
    this.datastore = JdbcDatastore.openSqlite(dir.resolve("trustbridge.db"), clock);
  }

  /** Opens the datastore in {@code dir}; root TTL 60 days and intermediate TTL 10 unless set. */
  public static AuthorityFixture open(TrustDomain trustDomain, Path dir, Clock clock) {
    return new AuthorityFixture(trustDomain, dir, clock);
  }

  /** The CA lifetimes of the authorities made from here on. */
  public AuthorityFixture ttls(Duration root, Duration intermediate) {
    this.rootTtl = root;
    this.intermediateTtl = intermediate;
    return this;
  }

  public TrustDomainAuthority.Settings settings() {
    return new TrustDomainAuthority.Settings(
        trustDomain, KeyType.EC_P256, rootTtl, intermediateTtl, "Acme", MAX_LEAF_TTL, REFRESH_HINT);
  }

  /** A self-signed authority over the shared datastore and {@link #keys()}, not initialized. */
  public TrustDomainAuthority authority() {
    return new TrustDomainAuthority(
        settings(), datastore.authorities(), datastore.bundleSequences(), keys, clock);
  }

  /** As {@link #authority()}, initialized. */
  public TrustDomainAuthority initialized() {
    TrustDomainAuthority authority = authority();
    authority.initialize();
    return authority;
  }

  /**
   * An initialized authority under {@code upstream}, with root and intermediate keys in {@code
   * keys}.
   */
  public TrustDomainAuthority initialized(UpstreamAuthority upstream, KeyManager keys) {
    TrustDomainAuthority authority =
        new TrustDomainAuthority(
            settings(),
            datastore.authorities(),
            datastore.bundleSequences(),
            keys,
            keys,
            upstream,
            clock);
    authority.initialize();
    return authority;
  }

  /**
   * A leaf of the maximum TTL for a workload of the trust domain, followed by the signer's chain.
   */
  public List<X509Certificate> issue(TrustDomainAuthority authority) {
    TrustDomainAuthority.Signer signer = authority.signer();
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(
        X509SvidBuilder.newBuilder(signer.ca(), clock)
            .spiffeId(SpiffeId.parse("spiffe://" + trustDomain.name() + "/ns/default/sa/web"))
            .publicKey(leafKeys.getPublic())
            .ttl(MAX_LEAF_TTL)
            .build());
    chain.addAll(signer.chain());
    return chain;
  }

  /** True if {@code chain} verifies against {@code bundle} now. */
  public boolean validates(List<X509Certificate> chain, SpiffeBundle bundle) {
    try {
      new X509SvidVerifier(
              td ->
                  td.equals(trustDomain) ? Optional.of(bundle.x509Authorities()) : Optional.empty(),
              clock)
          .verify(chain);
      return true;
    } catch (TrustbridgeException e) {
      return false;
    }
  }

  /** The trust domain's journal as stored, oldest first. */
  public List<AuthorityRecord> journal() {
    return datastore.authorities().list(trustDomain);
  }

  public List<AuthorityRecord> journal(AuthorityKind kind, AuthorityState state) {
    return journal().stream().filter(r -> r.kind() == kind && r.state() == state).toList();
  }

  public JdbcDatastore datastore() {
    return datastore;
  }

  /** The keys of {@link #authority()} and {@link #initialized()}. */
  public InMemoryKeyManager keys() {
    return keys;
  }

  @Override
  public void close() {
    datastore.close();
  }

  private static KeyPair ecKeys() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(256);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
