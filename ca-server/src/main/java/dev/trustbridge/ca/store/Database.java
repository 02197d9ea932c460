package dev.trustbridge.ca.store;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JDBC connection, used by one thread at a time, and the one place where {@link SQLException}s
 * become {@link TrustbridgeException}s. Every unit of work runs in its own transaction.
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

  private final Dialect dialect;
  private final Connection connection;
  private final ReentrantLock lock = new ReentrantLock();
  private boolean closed;

  Database(Dialect dialect, Connection connection) {
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.connection = Objects.requireNonNull(connection, "connection");
  }

  Dialect dialect() {
    return dialect;
  }

  /** Runs {@code work} in a read-only transaction. */
  <T> T read(Work<T> work) {
    return run(false, work, null);
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
        throw new TrustbridgeException(
            ErrorCode.UNAVAILABLE, UNAVAILABLE_MESSAGE, new IllegalStateException("closed"));
      }
      boolean begun = false;
      try {
        if (write) {
          dialect.beginWrite(connection);
        } else {
          dialect.beginRead(connection);
        }
        begun = true;
        T result = work.run(connection);
        dialect.commit(connection);
        return result;
      } catch (SQLException e) {
        if (begun) {
          rollbackQuietly(e);
        }
        throw translate(e, alreadyExistsMessage);
      } catch (RuntimeException | Error e) {
        if (begun) {
          rollbackQuietly(e);
        }
        throw e;
      }
    } finally {
      lock.unlock();
    }
  }

  private void rollbackQuietly(Throwable failure) {
    try {
      dialect.rollback(connection);
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  /** The caller-facing error for a failed statement on this connection. */
  TrustbridgeException translate(SQLException e, String alreadyExistsMessage) {
    boolean connectionClosed;
    try {
      connectionClosed = connection.isClosed();
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

  /** Closes the connection; later work fails with {@code UNAVAILABLE}. Idempotent. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      connection.close();
    } catch (SQLException e) {
      throw translate(e, null);
    } finally {
      lock.unlock();
    }
  }
}
