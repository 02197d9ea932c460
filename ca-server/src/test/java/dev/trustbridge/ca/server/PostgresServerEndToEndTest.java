package dev.trustbridge.ca.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.server.TestServer.Csr;
import dev.trustbridge.ca.server.TestServer.Svid;
import dev.trustbridge.ca.store.JdbcDatastore;
import dev.trustbridge.ca.store.TestPostgres;
import dev.trustbridge.federation.client.FederationRelationship;
import dev.trustbridge.proto.admin.v1.CreateEntryRequest;
import dev.trustbridge.proto.admin.v1.CreateJoinTokenRequest;
import dev.trustbridge.proto.admin.v1.Entry;
import dev.trustbridge.proto.admin.v1.EntryAdminGrpc;
import dev.trustbridge.proto.admin.v1.GetPolicyRequest;
import dev.trustbridge.proto.admin.v1.ListEntriesRequest;
import dev.trustbridge.proto.admin.v1.PolicyAdminGrpc;
import dev.trustbridge.proto.admin.v1.SetPolicyRequest;
import dev.trustbridge.proto.admin.v1.TokenAdminGrpc;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.FetchBundlesRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.policy.Policy;
import dev.trustbridge.spiffe.policy.PolicyCodec;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real server on PostgreSQL (one embedded server for the class, a role and schema of its own
 * per test, logging in with a password file): it issues, restarts with its CA and entries, serves
 * what it can while the database is gone and recovers when it is back, and two servers on one
 * database act as replicas.
 */
class PostgresServerEndToEndTest {
  private static final TrustDomain TD = TrustDomain.parse("example.org");
  private static final SpiffeId AGENT = SpiffeId.parse("spiffe://example.org/agent/node1");
  private static final SpiffeId WEB = SpiffeId.parse("spiffe://example.org/ns/default/sa/web");
  private static final String PASSWORD = "s3cret-Pg-password";
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  @RegisterExtension static final TestPostgres postgres = new TestPostgres();

  @TempDir Path dir;
  private String role;
  private Path passwordFile;

  @BeforeEach
  void role() throws Exception {
    role = postgres.newRoleWithSchema(PASSWORD);
    passwordFile = dir.resolve("pg-password");
    Files.writeString(passwordFile, PASSWORD + "\n");
    Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
  }

  /** The server's YAML for this test's role; the keys live in {@code keys} (shared by replicas). */
  private String yaml(String url) {
    return "datastore:\n"
        + "  type: postgres\n"
        + "  url: "
        + url
        + "\n"
        + "  password_file: "
        + passwordFile
        + "\n"
        + "keys:\n"
        + "  dir: "
        + dir.resolve("keys")
        + "\n"
        + "trust_domains:\n"
        + "  - name: example.org\n";
  }

  private String url() {
    return postgres.url(role) + "&user=" + role;
  }

  private TestServer start(String name, MutableClock clock) {
    return new TestServer(dir.resolve(name), yaml(url()), clock);
  }

  private static MutableClock clock() {
    return new MutableClock(Instant.now());
  }

  private static String joinToken(TestServer server, SpiffeId id) {
    return TokenAdminGrpc.newBlockingStub(server.admin())
        .createJoinToken(CreateJoinTokenRequest.newBuilder().setSpiffeId(id.toString()).build())
        .getToken();
  }

  private static SignX509SvidResponse signWithToken(TestServer server, String token, Csr csr) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "JoinToken " + token);
    return CertificateAuthorityGrpc.newBlockingStub(server.anonymous())
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .signX509Svid(SignX509SvidRequest.newBuilder().setCsr(csr.bytes()).build());
  }

  private static Svid bootstrapAgent(TestServer server, String token) throws Exception {
    Csr csr = TestServer.csr(KeyType.EC_P256);
    return new Svid(TestServer.chain(signWithToken(server, token, csr)), csr.keys());
  }

  private static void createEntry(TestServer server, SpiffeId id, SpiffeId parent) {
    EntryAdminGrpc.newBlockingStub(server.admin())
        .createEntry(
            CreateEntryRequest.newBuilder()
                .setEntry(
                    Entry.newBuilder().setSpiffeId(id.toString()).setParentId(parent.toString()))
                .build());
  }

  private static SignX509SvidResponse signWorkload(TestServer server, Svid agent, SpiffeId id)
      throws Exception {
    return CertificateAuthorityGrpc.newBlockingStub(server.withSvid(agent))
        .signX509Svid(
            SignX509SvidRequest.newBuilder()
                .setCsr(TestServer.csr(KeyType.EC_P256).bytes())
                .setSpiffeId(id.toString())
                .build());
  }

  private static Status.Code code(Callable<?> call) {
    return assertThrows(StatusRuntimeException.class, call::call).getStatus().getCode();
  }

  /** {@code call}'s result, retried while it fails with UNAVAILABLE, for at most 10 seconds. */
  private static <T> T retried(Callable<T> call) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try {
        return call.call();
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private long rows(String table) throws Exception {
    try (Connection c = postgres.connect(role);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void server_issuesAndRestarts_keepingItsCaAndEntriesInPostgres() throws Exception {
    SpiffeBundle before;
    Svid agent;
    try (TestServer server = start("data", clock())) {
      agent = bootstrapAgent(server, joinToken(server, AGENT));
      createEntry(server, WEB, AGENT);
      assertEquals(WEB.toString(), signWorkload(server, agent, WEB).getSpiffeId());
      before = server.server.authority(TD).bundle();
    }
    assertFalse(Files.exists(dir.resolve("data").resolve("trustbridge.db")), "no SQLite file");
    assertEquals(1, rows("registration_entry"));
    assertTrue(rows("authority") >= 2, "root and intermediate in the journal");
    assertTrue(rows("audit_event") >= 2, "the issuances are audited");

    try (TestServer server = start("data", clock())) {
      assertEquals(before, server.server.authority(TD).bundle());
      assertEquals(
          1,
          EntryAdminGrpc.newBlockingStub(server.admin())
              .listEntries(ListEntriesRequest.newBuilder().setSpiffeId(WEB.toString()).build())
              .getEntriesCount());
      // The agent's SVID from before the restart still authenticates it.
      assertEquals(WEB.toString(), signWorkload(server, agent, WEB).getSpiffeId());
    }
  }

  @Test
  void server_databaseGoneWhileServing_givesUnavailable_servesBundles_andRecovers()
      throws Exception {
    MutableClock clock = clock();
    try (TestServer server = start("data", clock)) {
      Svid agent = bootstrapAgent(server, joinToken(server, AGENT));
      createEntry(server, WEB, AGENT);
      signWorkload(server, agent, WEB);
      CertificateAuthorityGrpc.newBlockingStub(server.withSvid(agent))
          .fetchBundles(FetchBundlesRequest.getDefaultInstance());
      String token = joinToken(server, AGENT);

      postgres.stop();
      try {
        // Past the entry cache's bound: its answers are stale, and cannot be reloaded.
        clock.advance(JdbcDatastore.SHARED_CACHE_MAX_AGE.multipliedBy(2));
        assertEquals(Status.Code.UNAVAILABLE, code(() -> signWorkload(server, agent, WEB)));
        assertEquals(
            Status.Code.UNAVAILABLE,
            code(() -> signWithToken(server, token, TestServer.csr(KeyType.EC_P256))));
        assertEquals(
            Status.Code.UNAVAILABLE,
            code(
                () ->
                    EntryAdminGrpc.newBlockingStub(server.admin())
                        .listEntries(ListEntriesRequest.getDefaultInstance())));
        // What lives in memory is still served: the caller's bundles.
        assertEquals(
            TD.name(),
            CertificateAuthorityGrpc.newBlockingStub(server.withSvid(agent))
                .fetchBundles(FetchBundlesRequest.getDefaultInstance())
                .getBundles(0)
                .getTrustDomain());
        server.server.maintainNow(); // logs and carries on
      } finally {
        postgres.restart();
      }

      // A client retries UNAVAILABLE; the same server serves it again without a restart.
      assertEquals(WEB.toString(), retried(() -> signWorkload(server, agent, WEB)).getSpiffeId());
      assertEquals(
          AGENT.toString(),
          retried(() -> signWithToken(server, token, TestServer.csr(KeyType.EC_P256)))
              .getSpiffeId());
    }
  }

  @Test
  void server_databaseDownAtStart_failsWithAClearMessage() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=" + role;
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () -> new TestServer(dir.resolve("data"), yaml(url), clock()));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertEquals(
        "the PostgreSQL datastore at jdbc:postgresql://127.0.0.1:"
            + port
            + "/postgres cannot be reached; is it running, and is datastore.url right?",
        e.getMessage());
  }

  @Test
  void server_passwordFileReadableByOthers_isRefused() throws Exception {
    Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-r--r--"));
    TrustbridgeException e = assertThrows(TrustbridgeException.class, () -> start("data", clock()));
    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertEquals(
        "datastore.password_file: "
            + passwordFile
            + " is accessible by group or others (mode 0644 rw-r--r--); refusing to use it, run chmod 600"
            + " on it",
        e.getMessage());
  }

  @Test
  void server_wrongPassword_failsNamingTheLoginNotThePassword() throws Exception {
    Files.writeString(passwordFile, "not-" + PASSWORD);
    TrustbridgeException e = assertThrows(TrustbridgeException.class, () -> start("data", clock()));
    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertFalse(e.getMessage().contains(PASSWORD), e.getMessage());
    assertTrue(e.getMessage().contains("refused the datastore's login"), e.getMessage());
  }

  @Test
  void twoServersOnOneDatabase_shareTokensAndEntries_andTakeUpEachOthersChanges() throws Exception {
    MutableClock clockB = clock();
    try (TestServer a = start("a", clock());
        TestServer b = start("b", clockB)) {
      assertEquals(a.server.authority(TD).bundle(), b.server.authority(TD).bundle());

      // A token made through A is consumed through B, once.
      String token = joinToken(a, AGENT);
      Svid agent = bootstrapAgent(b, token);
      assertEquals(
          Status.Code.UNAUTHENTICATED,
          code(() -> signWithToken(a, token, TestServer.csr(KeyType.EC_P256))));

      // An entry made through A: B's cached "no entry" answer holds until the bound.
      assertEquals(Status.Code.PERMISSION_DENIED, code(() -> signWorkload(b, agent, WEB)));
      createEntry(a, WEB, AGENT);
      assertEquals(Status.Code.PERMISSION_DENIED, code(() -> signWorkload(b, agent, WEB)));
      clockB.advance(JdbcDatastore.SHARED_CACHE_MAX_AGE);
      assertEquals(WEB.toString(), signWorkload(b, agent, WEB).getSpiffeId());

      // A relationship, a bundle imported by hand and a policy change made through A reach B at
      // its next reload.
      TrustDomain peer = TrustDomain.parse("peer.example");
      FederationRelationship relationship =
          new FederationRelationship(
              peer,
              URI.create("https://127.0.0.1:1/bundle"),
              FederationRelationship.HttpsWeb.systemRoots());
      a.server.federation().create(relationship);
      SpiffeBundle imported =
          SpiffeBundle.builder(TrustDomain.parse("imported.example"))
              .addX509Authorities(a.anchors())
              .build();
      a.server.federation().importBundle(imported);
      long version =
          PolicyAdminGrpc.newBlockingStub(a.admin())
              .setPolicy(
                  SetPolicyRequest.newBuilder()
                      .setPolicy(ByteString.copyFrom(PolicyCodec.write(Policy.empty(0))))
                      .build())
              .getVersion();
      assertTrue(b.server.federation().relationship(peer).isPresent(), "read from the datastore");
      assertTrue(b.server.federation().state(peer).isEmpty(), "not polled by B yet");
      assertEquals(0, policyVersion(b));

      b.server.maintainNow();

      assertEquals(relationship.url(), b.server.federation().state(peer).orElseThrow().url());
      assertEquals(imported, b.server.federation().bundle(imported.trustDomain()).orElseThrow());
      assertEquals(version, policyVersion(b));

      // Removed through A: B stops polling at its next reload.
      a.server.federation().delete(peer);
      b.server.maintainNow();
      assertTrue(b.server.federation().state(peer).isEmpty());
      assertTrue(b.server.federation().bundle(imported.trustDomain()).isPresent());
    }
  }

  private static long policyVersion(TestServer server) {
    return PolicyAdminGrpc.newBlockingStub(server.admin())
        .getPolicy(GetPolicyRequest.getDefaultInstance())
        .getVersion();
  }

  @Test
  void sharedDatastore_isReloadedOnItsOwn_withinTheBound() throws Exception {
    try (TestServer a = start("a", clock());
        TestServer b = start("b", clock())) {
      long version =
          PolicyAdminGrpc.newBlockingStub(a.admin())
              .setPolicy(
                  SetPolicyRequest.newBuilder()
                      .setPolicy(ByteString.copyFrom(PolicyCodec.write(Policy.empty(0))))
                      .build())
              .getVersion();
      // The reload runs every SHARED_CACHE_MAX_AGE on B's maintenance thread; no maintainNow().
      long deadline =
          System.nanoTime()
              + JdbcDatastore.SHARED_CACHE_MAX_AGE.plus(Duration.ofSeconds(5)).toNanos();
      while (policyVersion(b) != version && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertEquals(version, policyVersion(b));
    }
  }
}
