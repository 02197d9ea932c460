package dev.trustbridge.ca.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditQuery;
import dev.trustbridge.ca.authority.AuthorityState;
import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.entry.RegistrationEntry;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.policy.Policy;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The datastore contract on a real PostgreSQL server (one per class, a fresh schema per test), plus
 * what only a shared database has: several datastores on it standing for several replicas.
 */
class PostgresDatastoreTest extends DatastoreContractTest {
  static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);

  @RegisterExtension static final TestPostgres postgres = new TestPostgres();

  /** This test's schema, created by the first {@link #open()} of the test. */
  private String schema;

  @TempDir Path dir;

  private String schema() {
    if (schema == null) {
      schema = postgres.newSchema();
    }
    return schema;
  }

  @Override
  protected JdbcDatastore open() {
    return postgres.open(schema(), CLOCK);
  }

  @Override
  protected Connection connect() throws SQLException {
    return postgres.connect(schema());
  }

  // ---- the schema

  @Test
  void postgres_schema_hasTheTablesColumnsAndIndexesOfTheSqliteSchema() throws Exception {
    Set<String> postgresColumns = new TreeSet<>();
    Set<String> postgresIndexes = new TreeSet<>();
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT table_name, column_name FROM information_schema.columns"
                  + " WHERE table_schema = current_schema()")) {
        while (rs.next()) {
          postgresColumns.add(rs.getString(1) + "." + rs.getString(2));
        }
      }
      // Indexes made by name; PostgreSQL names those of keys and UNIQUE *_pkey and *_key.
      try (ResultSet rs =
          s.executeQuery(
              "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                  + " AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'")) {
        while (rs.next()) {
          postgresIndexes.add(rs.getString(1));
        }
      }
    }
    Set<String> sqliteColumns = new TreeSet<>();
    Set<String> sqliteIndexes = new TreeSet<>();
    try (JdbcDatastore sqlite = JdbcDatastore.openSqlite(dir.resolve("same.db"), CLOCK);
        Connection c =
            java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("same.db"));
        Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs =
          s.executeQuery(
              "SELECT name FROM sqlite_master WHERE type = 'table'"
                  + " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      for (String table : tables) {
        try (ResultSet rs = s.executeQuery("PRAGMA table_info(" + table + ")")) {
          while (rs.next()) {
            sqliteColumns.add(table + "." + rs.getString("name"));
          }
        }
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT name FROM sqlite_master WHERE type = 'index'"
                  + " AND name NOT LIKE 'sqlite\\_autoindex%' ESCAPE '\\'")) {
        while (rs.next()) {
          sqliteIndexes.add(rs.getString(1));
        }
      }
      assertEquals(sqlite.schemaVersion(), store.schemaVersion());
    }
    assertEquals(sqliteColumns, postgresColumns);
    assertEquals(sqliteIndexes, postgresIndexes);
  }

  @Test
  void postgres_schema_usesBigintTimesByteaBlobsBooleanAndAnIdentityForAuditIds() throws Exception {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT table_name, column_name, data_type, is_identity"
                    + " FROM information_schema.columns WHERE table_schema = current_schema()"
                    + " AND (table_name, column_name) IN (('authority', 'certificate_der'),"
                    + " ('authority', 'not_after'), ('registration_entry', 'admin'),"
                    + " ('registration_entry', 'ttl_seconds'), ('audit_event', 'id'),"
                    + " ('bundle_sequence', 'sequence'), ('bundle_sequence', 'content_digest'))"
                    + " ORDER BY table_name, column_name")) {
      List<String> columns = new ArrayList<>();
      while (rs.next()) {
        columns.add(
            rs.getString(1)
                + "."
                + rs.getString(2)
                + " "
                + rs.getString(3)
                + " "
                + rs.getString(4));
      }
      assertEquals(
          List.of(
              "audit_event.id bigint YES",
              "authority.certificate_der bytea NO",
              "authority.not_after bigint NO",
              "bundle_sequence.content_digest bytea NO",
              "bundle_sequence.sequence bigint NO",
              "registration_entry.admin boolean NO",
              "registration_entry.ttl_seconds bigint NO"),
          columns);
    }
  }

  @Test
  void postgres_replicasStartingTogether_applyEveryMigrationOnce() throws Exception {
    store.close();
    String fresh = postgres.newSchema();
    List<JdbcDatastore> opened = new CopyOnWriteArrayList<>();
    try {
      runConcurrently(6, thread -> opened.add(postgres.open(fresh, CLOCK)));
      int latest = opened.get(0).schemaVersion();
      opened.forEach(d -> assertEquals(latest, d.schemaVersion()));
      List<Integer> versions = new ArrayList<>();
      try (Connection c = postgres.connect(fresh);
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT version FROM schema_version ORDER BY version")) {
        while (rs.next()) {
          versions.add(rs.getInt(1));
        }
      }
      assertEquals(versions(latest), versions);
    } finally {
      opened.forEach(JdbcDatastore::close);
    }
  }

  // ---- transactions

  @Test
  void postgres_read_seesOneSnapshotAcrossItsStatements() {
    store.entries().create(entry(WEB, AGENT, T0));
    List<Integer> counts =
        store
            .database()
            .read(
                c -> {
                  List<Integer> seen = new ArrayList<>();
                  seen.add(count(c));
                  // Another transaction commits a row between this read's statements.
                  try (Connection other = connect();
                      Statement s = other.createStatement()) {
                    s.executeUpdate(
                        "INSERT INTO registration_entry"
                            + " (id, spiffe_id, parent_id, admin, created_at)"
                            + " VALUES ('x', 'spiffe://example.org/x', 'spiffe://example.org/y',"
                            + " FALSE, 0)");
                  }
                  seen.add(count(c));
                  return seen;
                });
    assertEquals(List.of(1, 1), counts);
    assertEquals(2, store.entries().list().size());
  }

  @Test
  void postgres_read_cannotWrite() {
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () ->
                store
                    .database()
                    .read(
                        c -> {
                          try (Statement s = c.createStatement()) {
                            return s.executeUpdate("DELETE FROM join_token");
                          }
                        }));
    assertEquals(ErrorCode.INTERNAL, e.code());
  }

  private static int count(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM registration_entry")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  // ---- opening

  @Test
  void postgres_wrongPassword_isFailedPreconditionNamingTheLoginButNotThePassword() {
    String role = postgres.newRoleWithSchema("right-password");
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () ->
                JdbcDatastore.openPostgres(
                    postgres.url(role), Optional.of(role), Optional.of("wrong-password"), CLOCK));
    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertEquals(
        "PostgreSQL refused the datastore's login; check its user name and password",
        e.getMessage());
  }

  @Test
  void postgres_rightPassword_opensAndMigratesTheRolesSchema() {
    String role = postgres.newRoleWithSchema("right-password");
    try (JdbcDatastore own =
        JdbcDatastore.openPostgres(
            postgres.url(role), Optional.of(role), Optional.of("right-password"), CLOCK)) {
      own.entries().create(fullEntry());
      assertEquals(1, own.entries().list().size());
    }
  }

  @Test
  void postgres_missingDatabase_isFailedPrecondition() {
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () ->
                JdbcDatastore.openPostgres(
                    "jdbc:postgresql://127.0.0.1:" + postgres.port() + "/no_such_db",
                    Optional.of(TestPostgres.SUPERUSER),
                    Optional.empty(),
                    CLOCK));
    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertEquals(
        "the database named in the datastore URL does not exist on that PostgreSQL server",
        e.getMessage());
  }

  @Test
  void postgres_nothingListening_isUnavailable() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () ->
                JdbcDatastore.openPostgres(
                    "jdbc:postgresql://127.0.0.1:" + port + "/postgres",
                    Optional.of(TestPostgres.SUPERUSER),
                    Optional.empty(),
                    CLOCK));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertEquals("datastore unavailable", e.getMessage());
  }

  @Test
  void postgres_urlOfAnotherDatabase_isInvalidArgument() {
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () ->
                JdbcDatastore.openPostgres(
                    "jdbc:sqlite:/tmp/x.db", Optional.empty(), Optional.empty(), CLOCK));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
  }

  @Test
  void postgres_isShared_sqliteIsNot() {
    assertTrue(store.shared());
    try (JdbcDatastore sqlite = JdbcDatastore.openSqlite(dir.resolve("x.db"), CLOCK)) {
      assertFalse(sqlite.shared());
    }
  }

  // ---- the audit log

  @Test
  void postgres_auditAppendsFromManyThreads_areStoredInFewerCommits() throws Exception {
    int events = 400;
    ExecutorService threads = Executors.newFixedThreadPool(16);
    try {
      long commitsBefore = store.writeCommits();
      List<Future<?>> appends = new ArrayList<>();
      for (int i = 0; i < events; i++) {
        String subject = "spiffe://td/w/" + i;
        appends.add(
            threads.submit(
                () ->
                    store
                        .auditLog()
                        .append(
                            AuditEvent.of(T0, "test", "x509.sign", subject, AuditEvent.OK, ""))));
      }
      for (Future<?> append : appends) {
        append.get(30, TimeUnit.SECONDS);
      }
      long commits = store.writeCommits() - commitsBefore;
      List<AuditEvent> stored = store.auditLog().query(AuditQuery.newest().withLimit(1_000));
      Set<String> subjects = new HashSet<>();
      Set<Long> ids = new HashSet<>();
      stored.forEach(
          e -> {
            subjects.add(e.subject());
            ids.add(e.id());
          });
      assertEquals(events, subjects.size());
      assertEquals(events, ids.size());
      assertTrue(commits < events, commits + " commits for " + events + " events");
    } finally {
      threads.shutdownNow();
    }
  }

  // ---- two datastores on one database: two replicas

  @Test
  void postgres_twoReplicas_authorityCompareAndSet_hasExactlyOneWinner() throws Exception {
    store.authorities().insert(authority("a", TD, AuthorityState.PREPARED, T0));
    AtomicInteger wins = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    try (JdbcDatastore second = open()) {
      runConcurrently(
          8,
          thread -> {
            JdbcDatastore mine = thread % 2 == 0 ? store : second;
            try {
              mine.authorities()
                  .transition(
                      "a", AuthorityState.PREPARED, AuthorityState.ACTIVE, T0.plusSeconds(thread));
              wins.incrementAndGet();
            } catch (TrustbridgeException e) {
              assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
              refused.incrementAndGet();
            }
          });
    }
    assertEquals(1, wins.get());
    assertEquals(7, refused.get());
  }

  @Test
  void postgres_twoReplicas_bundleSequencesNeverRepeat() throws Exception {
    Set<java.math.BigInteger> seen = ConcurrentHashMap.newKeySet();
    try (JdbcDatastore second = open()) {
      runConcurrently(
          6,
          thread -> {
            JdbcDatastore mine = thread % 2 == 0 ? store : second;
            for (int i = 0; i < 10; i++) {
              assertTrue(seen.add(mine.bundleSequences().advance(TD, digest(thread + "/" + i))));
            }
          });
    }
    assertEquals(60, seen.size());
  }

  @Test
  void postgres_twoReplicas_appendingPoliciesTogether_getDistinctVersions() throws Exception {
    List<Long> versions = new CopyOnWriteArrayList<>();
    try (JdbcDatastore second = open()) {
      runConcurrently(
          8,
          thread -> {
            JdbcDatastore mine = thread % 2 == 0 ? store : second;
            for (int i = 0; i < 5; i++) {
              versions.add(
                  mine.policies()
                      .append(Policy.empty(0), OptionalLong.empty(), "t" + thread, T0)
                      .version());
            }
          });
    }
    assertEquals(40, new HashSet<>(versions).size());
    assertEquals(40L, store.policies().current().orElseThrow().version());
  }

  @Test
  void postgres_twoReplicas_policyWithAnOutdatedExpectedVersion_isRefused() {
    try (JdbcDatastore second = open()) {
      store.policies().append(Policy.empty(0), OptionalLong.of(0), "a", T0);
      TrustbridgeException e =
          assertThrows(
              TrustbridgeException.class,
              () -> second.policies().append(Policy.empty(0), OptionalLong.of(0), "b", T0));
      assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    }
  }

  @Test
  void postgres_entryWrittenOnOneReplica_isSeenByTheOthersCacheWithinTheBound() {
    MutableClock clock = new MutableClock(T0);
    try (JdbcDatastore first = postgres.open(schema(), clock);
        JdbcDatastore second = postgres.open(schema(), clock)) {
      assertEquals(List.of(), second.entries().listBySpiffeId(WEB));
      RegistrationEntry created = first.entries().create(entry(WEB, AGENT, T0));
      // Still the cached answer: the write went through the other replica.
      clock.advance(JdbcDatastore.SHARED_CACHE_MAX_AGE.minusMillis(1));
      assertEquals(List.of(), second.entries().listBySpiffeId(WEB));
      clock.advance(Duration.ofMillis(1));
      assertEquals(List.of(created), second.entries().listBySpiffeId(WEB));

      first.entries().delete(created.id());
      clock.advance(JdbcDatastore.SHARED_CACHE_MAX_AGE);
      assertEquals(List.of(), second.entries().listBySpiffeId(WEB));
    }
  }
}
