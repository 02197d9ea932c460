package dev.trustbridge.ca.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * What differs between the SQL databases the datastore runs on. Everything else — every query the
 * stores run — is written once, in SQL that SQLite and PostgreSQL both accept ({@code ON CONFLICT
 * ... DO UPDATE}, {@code RETURNING}). The schema is kept once per dialect, under {@link
 * #migrationLocation()}.
 *
 * <p>A PostgreSQL constant needs: its own migrations; {@code setAutoCommit(false)} and {@code
 * commit()} for transactions, with {@code pg_advisory_xact_lock} taken before migrating; and a
 * {@link #classify} by SQLState (class {@code 08}, {@code 53}, {@code 57P0x} unavailable; {@code
 * 23505} unique violation). See docs/datastore.md.
 */
enum Dialect {
  /**
   * SQLite through sqlite-jdbc. The connection stays in auto-commit mode and transactions are begun
   * by hand, because sqlite-jdbc outside auto-commit mode opens the next transaction as soon as one
   * ends: with {@code IMMEDIATE} that would hold the write lock between calls and lock out every
   * other process (an admin CLI, say) that opens the same file.
   */
  SQLITE("sqlite") {
    @Override
    void beginRead(Connection connection) throws SQLException {
      execute(connection, "BEGIN DEFERRED");
    }

    @Override
    void beginWrite(Connection connection) throws SQLException {
      // IMMEDIATE takes the write lock up front, so two writers wait on busy_timeout instead of
      // one failing when it upgrades a read lock.
      execute(connection, "BEGIN IMMEDIATE");
    }

    @Override
    void commit(Connection connection) throws SQLException {
      execute(connection, "COMMIT");
    }

    @Override
    void rollback(Connection connection) throws SQLException {
      if (!connection.isClosed()) {
        execute(connection, "ROLLBACK");
      }
    }

    @Override
    Failure classify(SQLException e) {
      int primary =
          e instanceof SQLiteException sqlite
              ? sqlite.getResultCode().code & 0xff
              : e.getErrorCode() & 0xff;
      int extended = e instanceof SQLiteException sqlite ? sqlite.getResultCode().code : primary;
      if (primary == SQLiteErrorCode.SQLITE_BUSY.code
          || primary == SQLiteErrorCode.SQLITE_LOCKED.code
          || primary == SQLiteErrorCode.SQLITE_NOMEM.code
          || primary == SQLiteErrorCode.SQLITE_READONLY.code
          || primary == SQLiteErrorCode.SQLITE_IOERR.code
          || primary == SQLiteErrorCode.SQLITE_FULL.code
          || primary == SQLiteErrorCode.SQLITE_CANTOPEN.code
          || primary == SQLiteErrorCode.SQLITE_PROTOCOL.code) {
        return Failure.UNAVAILABLE;
      }
      if (extended == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE.code
          || extended == SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY.code) {
        return Failure.UNIQUE_VIOLATION;
      }
      return Failure.OTHER;
    }
  };

  /** What a failed statement means to a caller. */
  enum Failure {
    /** The database cannot be reached, is locked, or its storage failed: retry later. */
    UNAVAILABLE,
    /** A unique or primary key constraint was violated: the thing exists already. */
    UNIQUE_VIOLATION,
    /** Anything else: a bug or a damaged database. */
    OTHER
  }

  private final String name;

  Dialect(String name) {
    this.name = name;
  }

  /** The classpath folder holding this dialect's migrations and their index. */
  String migrationLocation() {
    return "db/migration/" + name + "/";
  }

  /** Begins a transaction that will only read. */
  abstract void beginRead(Connection connection) throws SQLException;

  /** Begins a transaction that may write, serialised with every other writer. */
  abstract void beginWrite(Connection connection) throws SQLException;

  /** Commits the current transaction. */
  abstract void commit(Connection connection) throws SQLException;

  /** Rolls back the current transaction, if the connection is still open. */
  abstract void rollback(Connection connection) throws SQLException;

  /** What a failure reported by this database means. */
  abstract Failure classify(SQLException e);

  private static void execute(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }
}
