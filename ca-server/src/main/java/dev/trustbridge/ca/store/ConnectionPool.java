package dev.trustbridge.ca.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most a fixed number of connections to one database, each used by one unit of work at a time:
 * {@link #borrow()} waits for a free one, reuses an idle one or opens a new one, and {@link
 * #release} takes it back.
 *
 * <p>Two kinds:
 *
 * <ul>
 *   <li>{@link #single}: one connection given up front, kept whatever happens to the work on it
 *       (SQLite's writer: its settings are made once, and a busy file is no reason to reconnect).
 *       The permit is then the write lock.
 *   <li>A pool over a {@link Database.ConnectionSource}: a connection whose work failed in the
 *       database is closed rather than reused, since it may be broken (a dropped TCP connection, a
 *       server restart), and the next borrower gets a fresh one. Optionally, a connection idle for
 *       {@code validateAfterIdle} or longer is checked with {@link Connection#isValid} before it is
 *       handed out, so that a database restarted while the pool was quiet costs no caller an error.
 * </ul>
 *
 * <p>Idle connections are reused last in, first out: under load the same few stay warm, and the
 * others stay idle long enough to be checked before reuse.
 */
final class ConnectionPool implements AutoCloseable {
  /** How long {@link Connection#isValid} may take before the connection counts as dead. */
  static final int VALIDATION_TIMEOUT_SECONDS = 2;

  private static final Logger log = LoggerFactory.getLogger(ConnectionPool.class);

  private record Idle(Connection connection, long sinceNanos) {}

  private final Database.ConnectionSource source; // null: the single connection only
  private final Semaphore permits;
  private final boolean keepAfterFailure;
  private final long validateAfterIdleNanos; // negative: never
  private final Consumer<Connection> beforeClose;
  private final ConcurrentLinkedDeque<Idle> idle = new ConcurrentLinkedDeque<>();
  private volatile boolean closed;

  private ConnectionPool(
      Database.ConnectionSource source,
      int maxConnections,
      boolean keepAfterFailure,
      Duration validateAfterIdle,
      Consumer<Connection> beforeClose) {
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections must be at least 1");
    }
    this.source = source;
    this.permits = new Semaphore(maxConnections);
    this.keepAfterFailure = keepAfterFailure;
    this.validateAfterIdleNanos = validateAfterIdle == null ? -1 : validateAfterIdle.toNanos();
    this.beforeClose = Objects.requireNonNull(beforeClose, "beforeClose");
  }

  /**
   * The one connection {@code connection}, for one unit of work at a time, kept until {@link
   * #close()}. {@code beforeClose} runs just before it is closed.
   */
  static ConnectionPool single(Connection connection, Consumer<Connection> beforeClose) {
    ConnectionPool pool = new ConnectionPool(null, 1, true, null, beforeClose);
    pool.idle.push(new Idle(Objects.requireNonNull(connection, "connection"), System.nanoTime()));
    return pool;
  }

  /**
   * At most {@code maxConnections} connections from {@code source}, opened when first needed.
   *
   * @param validateAfterIdle a connection idle this long is checked before reuse; null: never
   * @param beforeClose runs just before a connection is closed
   */
  static ConnectionPool of(
      Database.ConnectionSource source,
      int maxConnections,
      Duration validateAfterIdle,
      Consumer<Connection> beforeClose) {
    return new ConnectionPool(
        Objects.requireNonNull(source, "source"),
        maxConnections,
        false,
        validateAfterIdle,
        beforeClose);
  }

  /** Adds {@code connection}, opened by the caller, to the idle ones; for a first check at open. */
  void offer(Connection connection) {
    idle.push(new Idle(Objects.requireNonNull(connection, "connection"), System.nanoTime()));
  }

  /**
   * A connection for one unit of work, to be given back with {@link #release}; waits while all are
   * in use.
   *
   * @throws SQLException if a new connection cannot be opened, or the pool is closed (SQLState
   *     {@code 08003})
   */
  Connection borrow() throws SQLException {
    permits.acquireUninterruptibly();
    try {
      for (Idle i; (i = idle.poll()) != null; ) {
        if (closed) {
          discard(i.connection());
        } else if (usable(i)) {
          return i.connection();
        } else {
          log.info("datastore connection found dead after idling; replacing it");
          discard(i.connection());
        }
      }
      if (closed || source == null) {
        throw new SQLNonTransientConnectionException("datastore connection closed", "08003");
      }
      return source.open();
    } catch (SQLException | RuntimeException | Error e) {
      permits.release();
      throw e;
    }
  }

  /**
   * Gives back a connection from {@link #borrow()}. One whose work failed in the database ({@code
   * healthy} false) is closed, unless this is the {@link #single} connection.
   */
  void release(Connection connection, boolean healthy) {
    try {
      if (closed || !(healthy || keepAfterFailure)) {
        discard(connection);
        return;
      }
      idle.push(new Idle(connection, System.nanoTime()));
      if (closed) {
        // close() ran meanwhile and may have missed this connection: close what is idle now.
        closeIdle();
      }
    } finally {
      permits.release();
    }
  }

  private boolean usable(Idle i) {
    if (validateAfterIdleNanos < 0 || System.nanoTime() - i.sinceNanos() < validateAfterIdleNanos) {
      return true;
    }
    try {
      return i.connection().isValid(VALIDATION_TIMEOUT_SECONDS);
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * Closes the idle connections now, and each busy one when it is released; later borrows fail.
   * Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    closeIdle();
  }

  private void closeIdle() {
    for (Idle i; (i = idle.poll()) != null; ) {
      discard(i.connection());
    }
  }

  private void discard(Connection connection) {
    beforeClose.accept(connection);
    try {
      connection.close();
    } catch (SQLException e) {
      log.debug("closing a datastore connection failed", e);
    }
  }
}
