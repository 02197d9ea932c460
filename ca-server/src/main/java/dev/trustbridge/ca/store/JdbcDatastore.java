package dev.trustbridge.ca.store;

import dev.trustbridge.ca.audit.AuditLog;
import dev.trustbridge.ca.audit.GroupCommitAuditLog;
import dev.trustbridge.ca.authn.JoinTokenStore;
import dev.trustbridge.ca.authority.AuthorityStore;
import dev.trustbridge.ca.authority.BundleSequenceStore;
import dev.trustbridge.ca.entry.EntryStore;
import dev.trustbridge.ca.federation.RelationshipStore;
import dev.trustbridge.ca.policy.PolicyStore;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The datastore on a SQL database: every store of the server over one database (for SQLite, one
 * file) holds the whole state.
 *
 * <p>The stores are handed out by accessors ({@link #entries()}, {@link #authorities()}, ...)
 * rather than implemented by this class, because {@link EntryStore} and {@link AuthorityStore} both
 * declare {@code get(String)} and {@code delete(String)} with different return types.
 *
 * <p>Thread safe, and every call has its own transaction. On SQLite writes are serialised on one
 * connection and reads run on a few connections of their own; on PostgreSQL every call borrows a
 * connection from a small pool, and a connection that failed is replaced. Every method throws
 * {@link TrustbridgeException} with code {@code UNAVAILABLE} ("datastore unavailable") if the
 * database cannot be reached, is locked past the busy timeout, fails to read or write its files, or
 * this datastore was closed; {@code INTERNAL} ("datastore error") for anything unexpected. Messages
 * never contain SQL or stored values.
 */
public final class JdbcDatastore implements AutoCloseable {
  /** How long a statement waits for another process's write lock before giving up. */
  static final int BUSY_TIMEOUT_MILLIS = 5_000;

  /**
   * WAL pages after which a commit also checkpoints (copies the WAL into the database file and
   * fsyncs it). SQLite's default, 1,000 pages (4 MB), meant a checkpoint every quarter of a second
   * at a few thousand issuances per second, since each audit commit writes three or four whole
   * pages; the commit that ran it, and every issuance waiting on it, paid a second fsync. 10,000
   * pages (40 MB of WAL at most between checkpoints) cut half-peak p99 by a fifth to a third in
   * paired runs (docs/benchmarks.md).
   */
  static final int WAL_AUTOCHECKPOINT_PAGES = 10_000;

  /**
   * Reader connections for SQLite. Reads are short (an entry lookup is well under a millisecond),
   * so a few connections serve every gRPC thread; each costs SQLite's page cache (2 MB at most).
   */
  static final int SQLITE_READERS = 4;

  /**
   * How stale memory may be when the datastore is shared by several servers (PostgreSQL): the entry
   * cache reloads an answer this old, and the server reloads what else it keeps in memory at this
   * period. SPIRE reloads its entry cache every 5 seconds too.
   */
  public static final Duration SHARED_CACHE_MAX_AGE = Duration.ofSeconds(5);

  private static final Logger log = LoggerFactory.getLogger(JdbcDatastore.class);

  private final Database db;
  private final int schemaVersion;
  private final boolean shared;
  private final EntryStore entries;
  private final JoinTokenStore joinTokens;
  private final AuthorityStore authorities;
  private final BundleSequenceStore bundleSequences;
  private final GroupCommitAuditLog audit;
  private final RelationshipStore relationships;
  private final PolicyStore policies;

  private JdbcDatastore(Database db, int schemaVersion, Clock clock, boolean shared) {
    this.db = db;
    this.schemaVersion = schemaVersion;
    this.shared = shared;
    this.entries =
        shared
            ? new CachingEntryStore(new SqlEntryStore(db), clock, SHARED_CACHE_MAX_AGE)
            : new CachingEntryStore(new SqlEntryStore(db));
    this.joinTokens = new SqlJoinTokenStore(db);
    this.authorities = new SqlAuthorityStore(db);
    this.bundleSequences = new SqlBundleSequenceStore(db);
    this.audit = new GroupCommitAuditLog(new SqlAuditLog(db));
    this.relationships = new SqlRelationshipStore(db, clock);
    this.policies = new SqlPolicyStore(db);
  }

  /**
   * Opens (creating if needed) the SQLite database in {@code file} and brings its schema up to
   * date. A missing parent directory is created readable by the owner only (0700), a missing file
   * likewise (0600); an existing file readable by others is narrowed to 0600.
   *
   * @throws TrustbridgeException {@code UNAVAILABLE} if the file cannot be created or opened;
   *     {@code FAILED_PRECONDITION} if its schema is newer than this server knows
   */
  public static JdbcDatastore openSqlite(Path file) {
    return openSqlite(file, Clock.systemUTC());
  }

  /** As {@link #openSqlite(Path)}, reading the time of migrations from {@code clock}. */
  public static JdbcDatastore openSqlite(Path file, Clock clock) {
    return openSqlite(file, clock, BUSY_TIMEOUT_MILLIS);
  }

  static JdbcDatastore openSqlite(Path file, Clock clock, int busyTimeoutMillis) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(clock, "clock");
    Path path = file.toAbsolutePath();
    prepareFile(path);
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setBusyTimeout(busyTimeoutMillis);
    config.enforceForeignKeys(true);
    // FULL: a commit survives power loss, so a consumed join token or a bundle sequence never
    // comes back from the dead.
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    config.setWalAutocheckpoint(WAL_AUTOCHECKPOINT_PAGES);
    String url = "jdbc:sqlite:" + path;
    Connection connection;
    try {
      connection = config.createConnection(url);
    } catch (SQLException e) {
      throw Database.translate(Dialect.SQLITE, e, null);
    }
    SQLiteConfig readerConfig = new SQLiteConfig();
    readerConfig.setBusyTimeout(busyTimeoutMillis);
    Database.ConnectionSource readers =
        () -> {
          Connection reader = readerConfig.createConnection(url);
          try (Statement s = reader.createStatement()) {
            s.execute("PRAGMA query_only = 1");
          } catch (SQLException e) {
            reader.close();
            throw e;
          }
          return reader;
        };
    JdbcDatastore store =
        open(new Database(Dialect.SQLITE, connection, readers, SQLITE_READERS), clock, false);
    log.info(
        "datastore: SQLite {} (schema version {}, WAL, 1 writer + {} readers)",
        path,
        store.schemaVersion,
        SQLITE_READERS);
    return store;
  }

  /**
   * Wraps an open connection of the given dialect and migrates its schema. The datastore owns the
   * connection from here on, and closes it if migrating fails.
   */
  static JdbcDatastore open(Dialect dialect, Connection connection, Clock clock) {
    return open(new Database(dialect, connection), clock, false);
  }

  /**
   * Opens the PostgreSQL database at {@code url} and brings its schema up to date; several servers
   * may share it. Credentials are given here rather than in the URL, so that they never reach a log
   * line; the URL may still carry other pgjdbc parameters (e.g. {@code sslmode}), which take
   * precedence over this class's defaults ({@code connectTimeout}, {@code socketTimeout}).
   *
   * @param url {@code jdbc:postgresql://host[:port]/database[?parameters]}
   * @param username the role to log in as; empty: pgjdbc's default (the URL's {@code user})
   * @param password its password; empty: none (trust, peer or certificate authentication)
   * @throws TrustbridgeException {@code UNAVAILABLE} if the database cannot be reached; {@code
   *     FAILED_PRECONDITION} if it refuses the login, the database does not exist, or its schema is
   *     newer than this server knows; {@code INVALID_ARGUMENT} for a URL that is not PostgreSQL's
   */
  public static JdbcDatastore openPostgres(
      String url, Optional<String> username, Optional<String> password, Clock clock) {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    Objects.requireNonNull(clock, "clock");
    if (!url.startsWith(POSTGRES_URL_PREFIX)) {
      throw TrustbridgeException.invalidArgument(
          "a PostgreSQL datastore URL starts with " + POSTGRES_URL_PREFIX);
    }
    Database db = PostgresConnections.open(url, username, password);
    JdbcDatastore store = open(db, clock, true);
    log.info(
        "datastore: PostgreSQL {} (schema version {}, up to {} connections)",
        PostgresConnections.withoutParameters(url),
        store.schemaVersion,
        PostgresConnections.MAX_CONNECTIONS);
    return store;
  }

  private static final String POSTGRES_URL_PREFIX = "jdbc:postgresql://";

  private static JdbcDatastore open(Database db, Clock clock, boolean shared) {
    Dialect dialect = db.dialect();
    try {
      if (dialect == Dialect.SQLITE) {
        checkSqliteSettings(db);
      }
      int version = new MigrationRunner(db, clock).migrate(Migration.load(dialect));
      return new JdbcDatastore(db, version, clock, shared);
    } catch (RuntimeException e) {
      try {
        db.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** The schema version of the database, i.e. of the last migration applied. */
  public int schemaVersion() {
    return schemaVersion;
  }

  /**
   * True if other servers may write this datastore too (PostgreSQL). What a server keeps in memory
   * is then stale until reloaded: the entry cache reloads after {@link #SHARED_CACHE_MAX_AGE}, and
   * the server reloads its other copies at that period.
   */
  public boolean shared() {
    return shared;
  }

  /** The connections, for tests of the stores beneath the caches. */
  Database database() {
    return db;
  }

  /**
   * The registration entries (lookups by SPIFFE ID answered from memory until a write, or, when
   * {@link #shared()}, for at most {@link #SHARED_CACHE_MAX_AGE}).
   */
  public EntryStore entries() {
    return entries;
  }

  /** The join tokens. */
  public JoinTokenStore joinTokens() {
    return joinTokens;
  }

  /** The authority journal. */
  public AuthorityStore authorities() {
    return authorities;
  }

  /** The bundle sequence numbers. */
  public BundleSequenceStore bundleSequences() {
    return bundleSequences;
  }

  /**
   * The audit log. Concurrent appends share one transaction ({@link GroupCommitAuditLog}); each
   * still returns only once its event is committed.
   */
  public AuditLog auditLog() {
    return audit;
  }

  /** Federation relationships and the peers' last good bundles. */
  public RelationshipStore relationships() {
    return relationships;
  }

  /** The per-identity policy and its history. */
  public PolicyStore policies() {
    return policies;
  }

  /**
   * Stores the audit events still queued, then closes the connections; later calls fail with {@code
   * UNAVAILABLE}. Idempotent.
   */
  @Override
  public void close() {
    try {
      audit.close();
    } finally {
      db.close();
    }
  }

  /** How many write transactions committed; for tests of batching. */
  long writeCommits() {
    return db.writeCommits();
  }

  private static void prepareFile(Path path) {
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    try {
      Path parent = path.getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        if (posix) {
          Files.createDirectories(parent, permissions("rwx------"));
        } else {
          Files.createDirectories(parent);
        }
      }
      if (!posix) {
        return;
      }
      try {
        Files.createFile(path, permissions("rw-------"));
      } catch (FileAlreadyExistsException e) {
        Set<PosixFilePermission> current = Files.getPosixFilePermissions(path);
        Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
        if (!ownerOnly.containsAll(current)) {
          log.warn("datastore file {} was {}; narrowing to rw-------", path, current);
          Files.setPosixFilePermissions(path, ownerOnly);
        }
      }
    } catch (IOException e) {
      throw new TrustbridgeException(ErrorCode.UNAVAILABLE, Database.UNAVAILABLE_MESSAGE, e);
    }
  }

  private static FileAttribute<Set<PosixFilePermission>> permissions(String spec) {
    return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(spec));
  }

  /** Fails if SQLite ignored a setting the datastore relies on (WAL can be refused, e.g.). */
  private static void checkSqliteSettings(Database db) {
    // On the writer: foreign_keys is a setting of each connection, and the writer is the one that
    // deletes entries.
    db.write(
        c -> {
          try (Statement s = c.createStatement()) {
            String journal = pragma(s, "journal_mode");
            String foreignKeys = pragma(s, "foreign_keys");
            String autocheckpoint = pragma(s, "wal_autocheckpoint");
            if (!"wal".equalsIgnoreCase(journal)
                || !"1".equals(foreignKeys)
                || !String.valueOf(WAL_AUTOCHECKPOINT_PAGES).equals(autocheckpoint)) {
              throw new TrustbridgeException(
                  ErrorCode.FAILED_PRECONDITION,
                  "SQLite refused WAL mode, foreign keys or the checkpoint interval (journal_mode="
                      + journal
                      + ", foreign_keys="
                      + foreignKeys
                      + ", wal_autocheckpoint="
                      + autocheckpoint
                      + ")");
            }
          }
          return null;
        });
  }

  private static String pragma(Statement s, String name) throws SQLException {
    try (ResultSet rs = s.executeQuery("PRAGMA " + name)) {
      return rs.next() ? rs.getString(1) : "";
    }
  }
}
