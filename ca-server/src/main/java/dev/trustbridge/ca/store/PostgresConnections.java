package dev.trustbridge.ca.store;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * How the datastore connects to PostgreSQL: pgjdbc with credentials as properties (never in the
 * URL, never logged), timeouts that keep a vanished server from holding callers, and a pool whose
 * failed or dead connections are replaced. See docs/datastore.md, "PostgreSQL settings".
 */
final class PostgresConnections {
  /**
   * Connections to PostgreSQL. Issuance reads entries from memory and appends audit events through
   * one group-commit writer, so a few connections serve a replica; ten leave room for admin calls,
   * maintenance and federation without queueing, and keep a PostgreSQL server's default of 100
   * connections enough for several replicas.
   */
  static final int MAX_CONNECTIONS = 10;

  /**
   * A connection idle this long is checked ({@code isValid}, one round trip) before it is reused,
   * so that a database restarted while the replica was quiet costs no caller an error. Busy
   * connections are reused within milliseconds and never pay for the check.
   */
  static final Duration VALIDATE_AFTER_IDLE = Duration.ofSeconds(1);

  /** Seconds to wait for a TCP connection ({@code connectTimeout}). */
  static final int CONNECT_TIMEOUT_SECONDS = 5;

  /**
   * Seconds a statement may wait for the server's reply ({@code socketTimeout}) before its
   * connection is dropped: without it, a database host that vanished from the network would hold
   * callers until TCP gives up, which takes hours. No statement of this server takes near a minute;
   * a URL parameter {@code socketTimeout} overrides it (0: no limit).
   */
  static final int SOCKET_TIMEOUT_SECONDS = 60;

  private PostgresConnections() {}

  /**
   * The connections to the database at {@code url}; the first is opened now, so that a database
   * that cannot be reached, or refuses the login, fails here.
   *
   * @throws TrustbridgeException {@code UNAVAILABLE} if the database cannot be reached; {@code
   *     FAILED_PRECONDITION} if it refuses the login or does not exist
   */
  static Database open(String url, Optional<String> username, Optional<String> password) {
    Properties properties = new Properties();
    username.ifPresent(u -> properties.setProperty("user", u));
    password.ifPresent(p -> properties.setProperty("password", p));
    // Defaults: pgjdbc lets parameters in the URL override these.
    properties.setProperty("connectTimeout", String.valueOf(CONNECT_TIMEOUT_SECONDS));
    properties.setProperty("socketTimeout", String.valueOf(SOCKET_TIMEOUT_SECONDS));
    properties.setProperty("tcpKeepAlive", "true");
    properties.setProperty("ApplicationName", "trustbridge");
    org.postgresql.Driver driver = new org.postgresql.Driver();
    Database.ConnectionSource connections =
        () -> {
          Connection c = driver.connect(url, properties);
          if (c == null) {
            throw new SQLException("not a PostgreSQL URL", "08001");
          }
          return c;
        };
    Connection first;
    try {
      first = connections.open();
    } catch (SQLException e) {
      throw openError(e);
    }
    return new Database(
        Dialect.POSTGRESQL, connections, first, MAX_CONNECTIONS, VALIDATE_AFTER_IDLE);
  }

  /** Why the first connection failed, in words an operator can act on; never the server's text. */
  private static TrustbridgeException openError(SQLException e) {
    String state = Objects.requireNonNullElse(e.getSQLState(), "");
    if (state.startsWith("28")) { // invalid authorization specification, invalid password
      return new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION,
          "PostgreSQL refused the datastore's login; check its user name and password",
          e);
    }
    if (state.equals("3D000")) { // invalid catalog name
      return new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION,
          "the database named in the datastore URL does not exist on that PostgreSQL server",
          e);
    }
    return Database.translate(Dialect.POSTGRESQL, e, null);
  }

  /** The URL up to its parameters, which may hold secrets (a password, an SSL key's password). */
  static String withoutParameters(String url) {
    int query = url.indexOf('?');
    return query < 0 ? url : url.substring(0, query);
  }
}
