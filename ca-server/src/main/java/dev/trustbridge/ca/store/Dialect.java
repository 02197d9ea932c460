package dev.trustbridge.ca.store;

import java.sql.SQLException;
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
   * by hand (statements run through {@link Database#prepared}, so each is compiled once per
   * connection), because sqlite-jdbc outside auto-commit mode opens the next transaction as soon as
   * one ends: with {@code IMMEDIATE} that would hold the write lock between calls and lock out
   * every other process (an admin CLI, say) that opens the same file.
   */
  SQLITE("sqlite") {
    @Override
    String beginRead() {
      return "BEGIN DEFERRED";
    }

    @Override
    String beginWrite() {
      // IMMEDIATE takes the write lock up front, so two writers wait on busy_timeout instead of
      // one failing when it upgrades a read lock.
      return "BEGIN IMMEDIATE";
    }

    @Override
    String commit() {
      return "COMMIT";
    }

    @Override
    String rollback() {
      return "ROLLBACK";
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

  /** The statement that begins a transaction that will only read. */
  abstract String beginRead();

  /** The statement that begins a transaction that may write, serialised with every other writer. */
  abstract String beginWrite();

  /** The statement that commits the current transaction. */
  abstract String commit();

  /** The statement that rolls back the current transaction. */
  abstract String rollback();

  /** What a failure reported by this database means. */
  abstract Failure classify(SQLException e);
}
