package dev.trustbridge.ca.store;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The datastore's connections, and the one place where {@link SQLException}s become {@link
 * TrustbridgeException}s. Every unit of work runs in its own transaction.
 *
 * <p>Writes run on one connection, one at a time, behind a lock: SQLite has a single writer anyway,
 * and waiting here is cheaper than waiting on its busy timeout. Reads, when a {@link
 * ConnectionSource} for readers is given, run on a small pool of their own connections: in WAL mode
 * a reader sees the last committed state and never waits for a writer, so an entry lookup does not
 * queue behind another call's commit and fsync. Without a reader source, reads share the writer's
 * connection and lock.
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

  /** Opens a new connection to the same database, set up like the writer's. */
  @FunctionalInterface
  interface ConnectionSource {
    Connection open() throws SQLException;
  }

  private final Dialect dialect;
  private final Connection connection;
  private final ReentrantLock lock = new ReentrantLock();
  private final LongAdder writeCommits = new LongAdder();
  private final ConnectionSource readerSource; // null: reads use the writer's connection
  private final Semaphore readerPermits;
  private final ConcurrentLinkedQueue<Connection> idleReaders = new ConcurrentLinkedQueue<>();
  // Statements compiled once per connection: SQLite compiles the SQL on every prepare, and an
  // entry lookup (five statements with its BEGIN and COMMIT) spent half its time there. A
  // connection is used by one thread at a time, so its own map needs no lock.
  private final Map<Connection, Map<String, PreparedStatement>> statements =
      new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** One connection for everything, reads included. */
  Database(Dialect dialect, Connection connection) {
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.connection = Objects.requireNonNull(connection, "connection");
    this.readerSource = null;
    this.readerPermits = null;
  }

  /**
   * Writes on {@code writer}; reads on at most {@code maxReaders} connections from {@code readers},
   * opened when first needed and kept until {@link #close()}.
   */
  Database(Dialect dialect, Connection writer, ConnectionSource readers, int maxReaders) {
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.connection = Objects.requireNonNull(writer, "writer");
    this.readerSource = Objects.requireNonNull(readers, "readers");
    if (maxReaders < 1) {
      throw new IllegalArgumentException("maxReaders must be at least 1");
    }
    this.readerPermits = new Semaphore(maxReaders);
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
    if (readerSource == null) {
      return run(false, work, null);
    }
    return runOnReader(work);
  }

  /** Runs {@code work} in a write transaction; a unique violation is an internal error. */
  <T> T write(Work<T> work) {
    return run(true, work, null);
  }

  /**
   * Runs {@code work} in a write transaction; a unique violation becomes {@code ALREADY_EXISTS}
   * with {@code alreadyExistsMessage}.
   */
  <T> T write(Work<T> work, String alreadyExistsMessage) {
    return run(true, work, Objects.requireNonNull(alreadyExistsMessage));
  }

  private <T> T run(boolean write, Work<T> work, String alreadyExistsMessage) {
    lock.lock();
    try {
      if (closed) {
        throw closedError();
      }
      T result = transaction(connection, write, work, alreadyExistsMessage);
      if (write) {
        writeCommits.increment();
      }
      return result;
    } finally {
      lock.unlock();
    }
  }

  private <T> T runOnReader(Work<T> work) {
    readerPermits.acquireUninterruptibly();
    Connection reader = null;
    boolean healthy = false;
    try {
      if (closed) {
        throw closedError();
      }
      reader = idleReaders.poll();
      if (reader == null) {
        reader = openReader();
      }
      T result = transaction(reader, false, work, null);
      healthy = true;
      return result;
    } catch (TrustbridgeException e) {
      // A read that failed for a reason of its own (bad input) leaves the connection usable;
      // one that failed in the database may not, and a fresh connection is cheap.
      healthy = e.code() != ErrorCode.UNAVAILABLE && e.code() != ErrorCode.INTERNAL;
      throw e;
    } finally {
      if (reader != null) {
        release(reader, healthy);
      }
      readerPermits.release();
    }
  }

  private Connection openReader() {
    try {
      return readerSource.open();
    } catch (SQLException e) {
      throw translate(dialect, e, null);
    }
  }

  private void release(Connection reader, boolean healthy) {
    if (healthy && !closed) {
      idleReaders.add(reader);
      if (!closed) {
        return;
      }
      // close() ran meanwhile and may have missed this connection: close what is idle now.
      closeIdleReaders();
      return;
    }
    closeQuietly(reader);
  }

  private <T> T transaction(
      Connection c, boolean write, Work<T> work, String alreadyExistsMessage) {
    boolean begun = false;
    try {
      prepared(c, write ? dialect.beginWrite() : dialect.beginRead()).execute();
      begun = true;
      T result = work.run(c);
      prepared(c, dialect.commit()).execute();
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
        prepared(c, dialect.rollback()).execute();
      }
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  private static TrustbridgeException closedError() {
    return new TrustbridgeException(
        ErrorCode.UNAVAILABLE, UNAVAILABLE_MESSAGE, new IllegalStateException("closed"));
  }

  /** The caller-facing error for a failed statement on the writer's connection. */
  TrustbridgeException translate(SQLException e, String alreadyExistsMessage) {
    return translate(connection, e, alreadyExistsMessage);
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
   * Closes the connections; later work fails with {@code UNAVAILABLE}. Reads in progress finish on
   * their connection, which is closed when they return it. Idempotent.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      closeIdleReaders();
      forgetStatements(connection);
      connection.close();
    } catch (SQLException e) {
      throw translate(e, null);
    } finally {
      lock.unlock();
    }
  }

  private void closeIdleReaders() {
    for (Connection reader; (reader = idleReaders.poll()) != null; ) {
      closeQuietly(reader);
    }
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

  private void closeQuietly(Connection c) {
    forgetStatements(c);
    try {
      c.close();
    } catch (SQLException e) {
      log.debug("closing a reader connection failed", e);
    }
  }
}
