package dev.trustbridge.ca.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The migration runner on SQLite with migrations made up in code, and the migration scripts of
 * every dialect.
 */
class MigrationRunnerTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);

  static final Migration V1 =
      new Migration(1, "one", List.of("CREATE TABLE a (x INTEGER)", "INSERT INTO a VALUES (1)"));
  static final Migration V2 = new Migration(2, "two", List.of("CREATE TABLE b (y INTEGER)"));
  static final Migration V3 = new Migration(3, "three", List.of("INSERT INTO a VALUES (3)"));
  static final Migration V3_BROKEN =
      new Migration(
          3, "broken", List.of("INSERT INTO a VALUES (3)", "THIS IS NOT SQL", "DROP TABLE b"));

  @TempDir Path dir;

  Database database() throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("m.db"));
    return new Database(Dialect.SQLITE, c);
  }

  int migrate(List<Migration> migrations) throws SQLException {
    try (Database db = database()) {
      return new MigrationRunner(db, CLOCK).migrate(migrations);
    }
  }

  List<String> rows(String sql) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("m.db"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
    }
    return rows;
  }

  @Test
  void migrate_emptyDatabase_appliesAllInOrderAndRecordsEach() throws SQLException {
    assertEquals(2, migrate(List.of(V1, V2)));
    assertEquals(
        List.of("1:one", "2:two"),
        rows("SELECT version || ':' || description FROM schema_version ORDER BY version"));
    assertEquals(List.of("1"), rows("SELECT x FROM a"));
  }

  @Test
  void migrate_again_appliesNothing() throws SQLException {
    migrate(List.of(V1, V2));
    assertEquals(2, migrate(List.of(V1, V2)));
    assertEquals(List.of("1"), rows("SELECT x FROM a"));
    assertEquals(2, rows("SELECT version FROM schema_version").size());
  }

  @Test
  void migrate_withOneNewMigration_appliesOnlyThatOne() throws SQLException {
    migrate(List.of(V1, V2));
    assertEquals(3, migrate(List.of(V1, V2, V3)));
    assertEquals(List.of("1", "3"), rows("SELECT x FROM a ORDER BY x"));
  }

  @Test
  void migrate_failingMigration_isRolledBackWholeAndLeavesEarlierVersion() throws SQLException {
    migrate(List.of(V1, V2));
    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> migrate(List.of(V1, V2, V3_BROKEN)));
    assertEquals(ErrorCode.INTERNAL, e.code());
    assertEquals(List.of("1"), rows("SELECT x FROM a"));
    assertEquals(List.of("1", "2"), rows("SELECT version FROM schema_version ORDER BY version"));
    assertEquals(3, migrate(List.of(V1, V2, V3)));
  }

  @Test
  void migrate_databaseNewerThanKnownMigrations_isFailedPrecondition() throws SQLException {
    migrate(List.of(V1, V2, V3));
    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> migrate(List.of(V1, V2)));
    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertEquals(
        "datastore schema version 3 is newer than this server supports (2); upgrade the server",
        e.getMessage());
  }

  @Test
  void split_ignoresCommentsAndSplitsOnSemicolonsAtLineEnds() {
    String script =
        "-- a comment; with a semicolon\n"
            + "CREATE TABLE t (\n  a TEXT\n);\n\n"
            + "INSERT INTO t VALUES ('x;y');\n"
            + "INSERT INTO t VALUES ('z')";
    assertEquals(
        List.of(
            "CREATE TABLE t (\n  a TEXT\n)",
            "INSERT INTO t VALUES ('x;y')",
            "INSERT INTO t VALUES ('z')"),
        Migration.split(script));
  }

  @ParameterizedTest
  @EnumSource(Dialect.class)
  void load_migrations_areNumberedFromOneAndNotEmpty(Dialect dialect) {
    List<Migration> migrations = Migration.load(dialect);
    assertTrue(migrations.size() >= 1);
    for (int i = 0; i < migrations.size(); i++) {
      assertEquals(i + 1, migrations.get(i).version());
      assertTrue(migrations.get(i).statements().size() > 0);
    }
  }

  @ParameterizedTest
  @EnumSource(Dialect.class)
  void load_index_listsEveryScriptInTheFolder(Dialect dialect) throws Exception {
    URL folder = getClass().getClassLoader().getResource(dialect.migrationLocation());
    List<String> scripts;
    try (Stream<Path> files = Files.list(Path.of(folder.toURI()))) {
      scripts =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".sql"))
              .sorted()
              .toList();
    }
    assertEquals(scripts, fileNames(dialect));
  }

  @Test
  void load_everyDialect_hasTheSameMigrationsByVersionAndName() {
    for (Dialect dialect : Dialect.values()) {
      assertEquals(fileNames(Dialect.SQLITE), fileNames(dialect), dialect.name());
    }
  }

  private static List<String> fileNames(Dialect dialect) {
    return Migration.load(dialect).stream()
        .map(m -> "V" + m.version() + "__" + m.description() + ".sql")
        .sorted()
        .toList();
  }
}
