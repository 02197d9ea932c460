package dev.trustbridge.ca.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.keys.vault.TestCertificates;
import dev.trustbridge.ca.store.JdbcDatastore;
import dev.trustbridge.federation.client.FederationClientConfig;
import dev.trustbridge.federation.client.FederationRelationship;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers' federations on one datastore (two datastores on one SQLite file stand for two
 * replicas on PostgreSQL): {@link Federation#reload()} takes up what the other one changed.
 */
class FederationReloadTest {
  private static final TrustDomain HOSTED = TrustDomain.parse("example.org");
  private static final TrustDomain PEER = TrustDomain.parse("peer.example");

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
  private JdbcDatastore storeA;
  private JdbcDatastore storeB;
  private Federation a;
  private Federation b;
  private final AtomicInteger changesSeenByB = new AtomicInteger();

  @BeforeEach
  void open() {
    storeA = JdbcDatastore.openSqlite(dir.resolve("shared.db"), clock);
    storeB = JdbcDatastore.openSqlite(dir.resolve("shared.db"), clock);
    FederationClientConfig config = FederationClientConfig.defaults();
    a = new Federation(storeA.relationships(), Set.of(HOSTED), config, clock, () -> {});
    b =
        new Federation(
            storeB.relationships(), Set.of(HOSTED), config, clock, changesSeenByB::incrementAndGet);
  }

  @AfterEach
  void close() {
    a.close();
    b.close();
    storeA.close();
    storeB.close();
  }

  private SpiffeBundle bundle(TrustDomain td) {
    return SpiffeBundle.builder(td)
        .addX509Authority(TestCertificates.selfSignedCa(td.name(), clock.instant()).certificate())
        .build();
  }

  private static FederationRelationship relationship(String url) {
    return new FederationRelationship(
        PEER, URI.create(url), FederationRelationship.HttpsWeb.systemRoots());
  }

  @Test
  void relationshipCreatedChangedAndRemovedElsewhere_isPolledChangedAndStoppedHere() {
    a.create(relationship("https://peer.example/bundle"));
    b.reload();
    assertEquals(URI.create("https://peer.example/bundle"), b.state(PEER).orElseThrow().url());

    a.update(relationship("https://peer.example/v2/bundle"));
    b.reload();
    assertEquals(URI.create("https://peer.example/v2/bundle"), b.state(PEER).orElseThrow().url());

    a.delete(PEER);
    b.reload();
    assertTrue(b.state(PEER).isEmpty());
  }

  @Test
  void bundleImportedElsewhere_isServedHere_andWatchersAreToldOnce() {
    SpiffeBundle imported = bundle(PEER);
    a.importBundle(imported);
    b.reload();
    assertEquals(Optional.of(imported), b.bundle(PEER));
    assertEquals(1, changesSeenByB.get());
    b.reload();
    assertEquals(1, changesSeenByB.get(), "nothing changed, nobody told");
  }

  @Test
  void relationshipEndedElsewhere_thenABundleImportedThere_keepsThatBundle() {
    a.create(relationship("https://peer.example/bundle"));
    b.reload();
    a.delete(PEER);
    SpiffeBundle imported = bundle(PEER);
    a.importBundle(imported);
    b.reload();
    assertTrue(b.state(PEER).isEmpty(), "no longer polled");
    assertEquals(Optional.of(imported), b.bundle(PEER));
    assertEquals(Optional.of(imported), storeA.relationships().load(PEER), "still stored");
  }

  @Test
  void bundleDeletedElsewhere_goesHereToo() {
    a.create(relationship("https://peer.example/bundle"));
    a.importBundle(bundle(PEER));
    b.reload();
    assertTrue(b.bundle(PEER).isPresent());
    a.delete(PEER);
    b.reload();
    assertTrue(b.bundle(PEER).isEmpty());
    assertEquals(2, changesSeenByB.get());
  }
}
