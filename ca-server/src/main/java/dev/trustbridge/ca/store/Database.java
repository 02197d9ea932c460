package dev.trustbridge.ca.store;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The datastore's connections, and the one place where {@link SQLException}s become {@link
 * TrustbridgeException}s. Every unit of work runs in its own transaction, on a connection borrowed
 * for it from a {@link ConnectionPool}.
 *
 * <ul>
 *   <li><b>SQLite</b>: writes run on one connection, one at a time: SQLite has a single writer
 *       anyway, and waiting here is cheaper than waiting on its busy timeout. Reads, when a {@link
 *       ConnectionSource} for readers is given, run on a small pool of their own connections: in
 *       WAL mode a reader sees the last committed state and never waits for a writer, so an entry
 *       lookup does not queue behind another call's commit and fsync. Without a reader source,
 *       reads share the writer's connection.
 *   <li><b>PostgreSQL</b>: reads and writes share one pool. The server has no single-writer limit,
 *       and a connection that failed, or died while idle, is replaced by a new one, so a replica
 *       recovers by itself once the database is back.
 * </ul>
 *
 * <p>Messages never carry SQL or values: the {@link SQLException} is kept as the cause, for the
 * server log only.
 */
final class Database implements AutoCloseable {
  static final String UNAVAILABLE_MESSAGE = "datastore unavailable";
  static final String INTERNAL_MESSAGE = "datastore error";

  private static final Logger log = LoggerFactory.getLogger(Database.class);

  /** A unit of work on the connection. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  /** Opens a new connection to the same database, set up like the others. */
  @FunctionalInterface
  interface ConnectionSource {
    Connection open() throws SQLException;
  }

  private final Dialect dialect;
  private final ConnectionPool writers;
  private final ConnectionPool readers; // the writers' pool when reads share it
  private final LongAdder writeCommits = new LongAdder();
  // Statements compiled once per connection: SQLite compiles the SQL on every prepare, and an
  // entry lookup (five statements with its BEGIN and COMMIT) spent half its time there. A
  // connection is used by one thread at a time, so its own map needs no lock.
  private final Map<Connection, Map<String, PreparedStatement>> statements =
      new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** One connection for everything, reads included. */
  Database(Dialect dialect, Connection connection) {
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.writers = ConnectionPool.single(connection, this::forgetStatements);
    this.readers = writers;
  }

  /**
   * Writes on {@code writer}; reads on at most {@code maxReaders} connections from {@code readers},
   * opened when first needed and kept until {@link #close()}.
   */
  Database(Dialect dialect, Connection writer, ConnectionSource readers, int maxReaders) {
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.writers = ConnectionPool.single(writer, this::forgetStatements);
    this.readers = ConnectionPool.of(readers, maxReaders, null, this::forgetStatements);
  }

  /**
   * Reads and writes on at most {@code maxConnections} connections from {@code connections}, opened
   * when first needed; {@code first}, already open, is used first. A connection idle for {@code
   * validateAfterIdle} is checked before reuse.
   */
  Database(
      Dialect dialect,
      ConnectionSource connections,
      Connection first,
      int maxConnections,
      Duration validateAfterIdle) {
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.writers =
        ConnectionPool.of(
            connections,
            maxConnections,
            Objects.requireNonNull(validateAfterIdle, "validateAfterIdle"),
            this::forgetStatements);
    this.writers.offer(first);
    this.readers = writers;
  }

  Dialect dialect() {
    return dialect;
  }

  /** How many write transactions committed; for tests of batching. */
  long writeCommits() {
    return writeCommits.sum();
  }

  /**
   * The statement for {@code sql} on {@code c}, compiled on first use and kept until the connection
   * is closed; its parameters are cleared. For a fixed set of SQL strings only (never SQL built
   * from values), inside work this database runs on {@code c}. The caller closes the result sets it
   * opens but not the statement.
   */
  PreparedStatement prepared(Connection c, String sql) throws SQLException {
    Map<String, PreparedStatement> cache = statements.computeIfAbsent(c, k -> new HashMap<>());
    PreparedStatement statement = cache.get(sql);
    if (statement == null || statement.isClosed()) {
      statement = c.prepareStatement(sql);
      cache.put(sql, statement);
    } else {
      statement.clearParameters();
    }
    return statement;
  }

  /** Runs {@code work} in a read-only transaction. */
  <T> T read(Work<T> work) {
    return run(readers, false, work, null);
  }

  /** Runs {@code work} in a write transaction; a unique violation is an internal error. */
  <T> T write(Work<T> work) {
    return run(writers, true, work, null);
  }

  /**
   * Runs {@code work} in a write transaction; a unique violation becomes {@code ALREADY_EXISTS}
   * with {@code alreadyExistsMessage}.
   */
  <T> T write(Work<T> work, String alreadyExistsMessage) {
    return run(writers, true, work, Objects.requireNonNull(alreadyExistsMessage));
  }

  private <T> T run(ConnectionPool pool, boolean write, Work<T> work, String alreadyExistsMessage) {
    if (closed) {
      throw closedError();
    }
    Connection c;
    try {
      c = pool.borrow();
    } catch (SQLException e) {
      throw closed ? closedError() : translate(dialect, e, null);
    }
    boolean healthy = false;
    try {
      T result = transaction(c, write, work, alreadyExistsMessage);
      if (write) {
        writeCommits.increment();
      }
      healthy = true;
      return result;
    } catch (TrustbridgeException e) {
      // Work that failed for a reason of its own (bad input, a precondition) leaves the
      // connection usable; one that failed in the database may not, and a fresh one is cheap.
      healthy = e.code() != ErrorCode.UNAVAILABLE && e.code() != ErrorCode.INTERNAL;
      throw e;
    } finally {
      pool.release(c, healthy);
    }
  }

  private <T> T transaction(
      Connection c, boolean write, Work<T> work, String alreadyExistsMessage) {
    boolean begun = false;
    try {
      dialect.begin(this, c, write);
      begun = true;
      T result = work.run(c);
      dialect.commit(this, c);
      return result;
    } catch (SQLException e) {
      if (begun) {
        rollbackQuietly(c, e);
      }
      throw translate(c, e, alreadyExistsMessage);
    } catch (RuntimeException | Error e) {
      if (begun) {
        rollbackQuietly(c, e);
      }
      throw e;
    }
  }

  private void rollbackQuietly(Connection c, Throwable failure) {
    try {
      if (!c.isClosed()) {
        dialect.rollback(this, c);
      }
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  private static TrustbridgeException closedError() {
    return new TrustbridgeException(
        ErrorCode.UNAVAILABLE, UNAVAILABLE_MESSAGE, new IllegalStateException("closed"));
  }

  private TrustbridgeException translate(
      Connection c, SQLException e, String alreadyExistsMessage) {
    boolean connectionClosed;
    try {
      connectionClosed = c.isClosed();
    } catch (SQLException ignored) {
      connectionClosed = true;
    }
    return connectionClosed ? unavailable(e) : translate(dialect, e, alreadyExistsMessage);
  }

  /**
   * The caller-facing error for a failed statement: {@code UNAVAILABLE} if the database cannot be
   * reached or used right now, {@code ALREADY_EXISTS} for a unique violation where the caller gave
   * a message for it, {@code INTERNAL} otherwise.
   */
  static TrustbridgeException translate(
      Dialect dialect, SQLException e, String alreadyExistsMessage) {
    Dialect.Failure failure =
        isConnectionFailure(e) ? Dialect.Failure.UNAVAILABLE : dialect.classify(e);
    if (failure == Dialect.Failure.UNAVAILABLE) {
      return unavailable(e);
    }
    if (failure == Dialect.Failure.UNIQUE_VIOLATION && alreadyExistsMessage != null) {
      return new TrustbridgeException(ErrorCode.ALREADY_EXISTS, alreadyExistsMessage, e);
    }
    log.error("datastore error", e);
    return new TrustbridgeException(ErrorCode.INTERNAL, INTERNAL_MESSAGE, e);
  }

  private static TrustbridgeException unavailable(SQLException e) {
    log.warn("datastore unavailable: {}", e.toString());
    return new TrustbridgeException(ErrorCode.UNAVAILABLE, UNAVAILABLE_MESSAGE, e);
  }

  private static boolean isConnectionFailure(SQLException e) {
    String state = e.getSQLState();
    return e instanceof SQLTransientConnectionException
        || e instanceof SQLNonTransientConnectionException
        || e instanceof SQLRecoverableException
        || (state != null && state.startsWith("08"));
  }

  /**
   * Closes the connections; later work fails with {@code UNAVAILABLE}. Work in progress finishes on
   * its connection, which is closed when the work returns it. Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    writers.close();
    readers.close();
  }

  private void forgetStatements(Connection c) {
    Map<String, PreparedStatement> cache = statements.remove(c);
    if (cache == null) {
      return;
    }
    for (PreparedStatement statement : cache.values()) {
      try {
        statement.close();
      } catch (SQLException e) {
        log.debug("closing a cached statement failed", e);
      }
    }
  }
}
