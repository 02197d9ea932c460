package dev.trustbridge.ca.store;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a database's schema up to date: applies, in order, each migration newer than the version
 * recorded in {@code schema_version}, each in its own write transaction together with its row in
 * {@code schema_version}. A database whose version is newer than every known migration was written
 * by a newer server and is refused, so an old server never writes to a schema it does not know.
 *
 * <p>Several processes may migrate one database at once (replicas starting together): each
 * migration, and the creation of {@code schema_version}, runs in a write transaction that first
 * takes the dialect's migration lock ({@link Dialect#lockMigrations}), and re-reads the version
 * inside it.
 */
final class MigrationRunner {
  private static final Logger log = LoggerFactory.getLogger(MigrationRunner.class);

  private static final String CREATE_VERSION_TABLE =
      "CREATE TABLE IF NOT EXISTS schema_version ("
          + "version INTEGER PRIMARY KEY NOT NULL, "
          + "description TEXT NOT NULL, "
          + "applied_at BIGINT NOT NULL)";

  private final Database database;
  private final Clock clock;

  MigrationRunner(Database database, Clock clock) {
    this.database = Objects.requireNonNull(database, "database");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Applies the migrations the database lacks and returns the resulting version.
   *
   * @throws TrustbridgeException {@code FAILED_PRECONDITION} if the database's version is newer
   *     than the last of {@code migrations}
   */
  int migrate(List<Migration> migrations) {
    int known = migrations.size();
    database.write(
        c -> {
          database.dialect().lockMigrations(c);
          try (Statement s = c.createStatement()) {
            s.execute(CREATE_VERSION_TABLE);
          }
          return null;
        });
    int version = database.read(MigrationRunner::currentVersion);
    checkNotNewer(version, known);
    for (Migration migration : migrations) {
      if (migration.version() > version) {
        version = database.write(c -> apply(c, migration, known));
      }
    }
    return version;
  }

  /** The version recorded in {@code schema_version}; 0 for an empty database. */
  static int currentVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
      return rs.next() ? rs.getInt(1) : 0;
    }
  }

  private int apply(Connection c, Migration migration, int known) throws SQLException {
    database.dialect().lockMigrations(c);
    int version = currentVersion(c);
    checkNotNewer(version, known);
    if (version >= migration.version()) {
      return version; // another process applied it first
    }
    if (version != migration.version() - 1) {
      throw new TrustbridgeException(
          ErrorCode.INTERNAL, "schema version " + version + " has no migration after it");
    }
    try (Statement s = c.createStatement()) {
      for (String sql : migration.statements()) {
        s.execute(sql);
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)")) {
      ps.setInt(1, migration.version());
      ps.setString(2, migration.description());
      ps.setLong(3, clock.millis());
      ps.executeUpdate();
    }
    log.info(
        "datastore schema migrated to version {} ({})",
        migration.version(),
        migration.description());
    return migration.version();
  }

  private static void checkNotNewer(int version, int known) {
    if (version > known) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION,
          "datastore schema version "
              + version
              + " is newer than this server supports ("
              + known
              + "); upgrade the server");
    }
  }
}
