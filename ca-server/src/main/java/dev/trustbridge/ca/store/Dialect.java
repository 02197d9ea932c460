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
 * #migrationLocation()}. See docs/datastore.md.
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
    void begin(Database db, Connection c, boolean write) throws SQLException {
      // IMMEDIATE takes the write lock up front, so two writers wait on busy_timeout instead of
      // one failing when it upgrades a read lock.
      db.prepared(c, write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED").execute();
    }

    @Override
    void commit(Database db, Connection c) throws SQLException {
      db.prepared(c, "COMMIT").execute();
    }

    @Override
    void rollback(Database db, Connection c) throws SQLException {
      db.prepared(c, "ROLLBACK").execute();
    }

    @Override
    void lockMigrations(Connection c) {
      // BEGIN IMMEDIATE already holds the only write lock of the file.
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
  },

  /**
   * PostgreSQL through pgjdbc. Connections run outside auto-commit mode, so a transaction begins
   * with the first statement and ends with {@link Connection#commit()} or {@link
   * Connection#rollback()}.
   *
   * <p>Writes run at the server's default isolation, READ COMMITTED. That is enough here: every
   * check-and-change the stores make is one statement (the token DELETE, the authority
   * compare-and-set UPDATE, the sequence upsert, which also locks its row for the SELECT after it)
   * or is retried on conflict (the policy version). Reads run at REPEATABLE READ, READ ONLY: their
   * statements (an entry and its child rows are three queries) all see one snapshot, as a SQLite
   * read transaction does, and a read-only transaction at that level never fails to serialise.
   */
  POSTGRESQL("postgresql") {
    @Override
    void begin(Database db, Connection c, boolean write) throws SQLException {
      if (c.getAutoCommit()) {
        c.setAutoCommit(false);
      }
      if (!write) {
        db.prepared(c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute();
      }
    }

    @Override
    void commit(Database db, Connection c) throws SQLException {
      c.commit();
    }

    @Override
    void rollback(Database db, Connection c) throws SQLException {
      c.rollback();
    }

    @Override
    void lockMigrations(Connection c) throws SQLException {
      // Replicas may start together; the lock is held until the transaction ends, so each
      // migration (and the creation of schema_version) runs in one replica at a time.
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
      }
    }

    @Override
    Failure classify(SQLException e) {
      String state = e.getSQLState();
      if (state == null) {
        return Failure.OTHER;
      }
      if (state.startsWith("08") // connection exception
          || state.startsWith("53") // insufficient resources: disk, memory, connections
          || state.equals("57P01") // admin shutdown
          || state.equals("57P02") // crash shutdown
          || state.equals("57P03") // cannot connect now (starting up, shutting down, recovering)
          || state.equals("40001") // serialization failure: retrying succeeds
          || state.equals("40P01")) { // deadlock detected: retrying succeeds
        return Failure.UNAVAILABLE;
      }
      if (state.equals("23505")) {
        return Failure.UNIQUE_VIOLATION;
      }
      return Failure.OTHER;
    }
  };

  /**
   * The key of PostgreSQL's advisory lock held while migrating: "trustbrg" in ASCII, so that it
   * does not collide with another application's lock by accident.
   */
  static final long MIGRATION_LOCK = 0x7472757374627267L;

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

  /**
   * Begins a transaction on {@code c}: one that may write, serialised with every other writer where
   * the database needs it, or one that will only read.
   */
  abstract void begin(Database db, Connection c, boolean write) throws SQLException;

  /** Commits the transaction on {@code c}. */
  abstract void commit(Database db, Connection c) throws SQLException;

  /** Rolls back the transaction on {@code c}. */
  abstract void rollback(Database db, Connection c) throws SQLException;

  /**
   * Inside a write transaction that migrates the schema: waits until no other process migrates the
   * same database, and keeps it out until this transaction ends.
   */
  abstract void lockMigrations(Connection c) throws SQLException;

  /** What a failure reported by this database means. */
  abstract Failure classify(SQLException e);
}
