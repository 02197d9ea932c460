package dev.trustbridge.ca.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.authority.AuthorityState;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The datastore contract on SQLite, plus what only SQLite has: a file, its modes, WAL. */
class SqliteDatastoreTest extends DatastoreContractTest {
  static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);

  @TempDir Path dir;

  Path file() {
    return dir.resolve("data").resolve("trustbridge.db");
  }

  @Override
  protected JdbcDatastore open() {
    return JdbcDatastore.openSqlite(file(), CLOCK);
  }

  @Override
  protected Connection connect() throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + file());
  }

  @Test
  void sqlite_databaseFile_isReadableByOwnerOnly() throws Exception {
    assertEquals("rw-------", mode(file()));
  }

  @Test
  void sqlite_missingParentDirectory_isCreatedForOwnerOnly() throws Exception {
    assertEquals("rwx------", mode(file().getParent()));
  }

  @Test
  void sqlite_walFiles_areReadableByOwnerOnly() throws Exception {
    store.entries().create(fullEntry());
    Path wal = Path.of(file() + "-wal");
    assertTrue(Files.exists(wal));
    assertEquals("rw-------", mode(wal));
  }

  @Test
  void sqlite_wal_isNotCheckpointedEveryThousandPages() throws Exception {
    // About 2,500 pages of audit rows in 25 commits. With SQLite's default interval (1,000 pages)
    // a commit would checkpoint and the WAL would start over, staying near 4 MB.
    String detail = "x".repeat(3_000);
    for (int commit = 0; commit < 25; commit++) {
      List<AuditEvent> batch = new ArrayList<>();
      for (int i = 0; i < 120; i++) {
        batch.add(AuditEvent.of(T0, "test", "x509.sign", "spiffe://td/w" + i, "ok", detail));
      }
      store.auditLog().appendAll(batch);
    }
    long walBytes = Files.size(Path.of(file() + "-wal"));
    assertTrue(walBytes > 8_000_000, "WAL of " + walBytes + " bytes");
  }

  @Test
  void sqlite_existingFileReadableByOthers_isNarrowedToOwnerOnly() throws Exception {
    store.close();
    Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-r--r--"));
    reopen();
    assertEquals("rw-------", mode(file()));
  }

  @Test
  void sqlite_auditInsertFails_authorityStepIsRolledBackWithIt() throws Exception {
    authorities().insert(authority("a", TD, AuthorityState.PREPARED, T0));
    // Every audit insert now fails inside SQLite, as a full disk or a crash mid-transaction would.
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_event"
              + " BEGIN SELECT RAISE(ABORT, 'refused'); END");
    }
    assertThrows(
        TrustbridgeException.class,
        () ->
            authorities()
                .transition(
                    "a",
                    AuthorityState.PREPARED,
                    AuthorityState.ACTIVE,
                    T0,
                    event(T0, "authority.activate", "a", AuditEvent.OK)));
    assertThrows(
        TrustbridgeException.class,
        () ->
            authorities()
                .insert(
                    authority("b", TD, AuthorityState.PREPARED, T0),
                    event(T0, "authority.prepare", "b", AuditEvent.OK)));
    assertThrows(
        TrustbridgeException.class,
        () -> authorities().taint("a", T0, event(T0, "authority.taint", "a", AuditEvent.OK)));
    // Neither the step nor its record: the journal is as it was.
    assertEquals(AuthorityState.PREPARED, authorities().get("a").orElseThrow().state());
    assertEquals(Optional.empty(), authorities().get("b"));
    assertFalse(authorities().marks(TD).containsKey("a"));
    // Without an event the same steps still work (the trigger only refuses audit rows).
    authorities().transition("a", AuthorityState.PREPARED, AuthorityState.ACTIVE, T0);
    assertEquals(AuthorityState.ACTIVE, authorities().get("a").orElseThrow().state());
  }

  @Test
  void sqlite_journalMode_isWalAndForeignKeysAreOn() throws Exception {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
      rs.next();
      assertEquals("wal", rs.getString(1));
    }
    // foreign keys are per connection: seen through the cascade of an entry's child rows
    var created = store.entries().create(fullEntry());
    store.entries().delete(created.id());
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM registration_entry_dns_name")) {
      rs.next();
      assertEquals(0, rs.getInt(1));
    }
  }

  @Test
  void sqlite_parentPathIsARegularFile_isUnavailable() throws Exception {
    Path notADirectory = dir.resolve("plain-file");
    Files.writeString(notADirectory, "x");
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () -> JdbcDatastore.openSqlite(notADirectory.resolve("sub").resolve("db")));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertEquals("datastore unavailable", e.getMessage());
  }

  @Test
  void sqlite_fileThatIsNotADatabase_isInternalErrorNotUnavailable() throws Exception {
    Path garbage = dir.resolve("garbage.db");
    Files.write(
        garbage,
        "this is not an SQLite database file, at all......"
            .repeat(100)
            .getBytes(StandardCharsets.US_ASCII));
    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> JdbcDatastore.openSqlite(garbage));
    assertEquals(ErrorCode.INTERNAL, e.code());
    assertEquals("datastore error", e.getMessage());
  }

  @Test
  void sqlite_databaseLockedByAnotherProcessPastBusyTimeout_isUnavailable() throws Exception {
    try (JdbcDatastore impatient = JdbcDatastore.openSqlite(file(), CLOCK, 100);
        Connection other = connect();
        Statement s = other.createStatement()) {
      s.execute("BEGIN EXCLUSIVE");
      assertUnavailable(() -> impatient.joinTokens().deleteExpired(T0));
      s.execute("ROLLBACK");
      assertEquals(0, impatient.joinTokens().deleteExpired(T0));
    }
  }

  @Test
  void sqlite_twoDatastoresOnOneFile_seeEachOthersBundleSequence() {
    try (JdbcDatastore second = open()) {
      store.bundleSequences().advance(TD, digest("a"));
      assertEquals(java.math.BigInteger.TWO, second.bundleSequences().advance(TD, digest("b")));
      assertEquals(Optional.of(java.math.BigInteger.TWO), store.bundleSequences().current(TD));
    }
  }

  static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
