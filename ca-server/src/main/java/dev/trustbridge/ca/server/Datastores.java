package dev.trustbridge.ca.server;

import dev.trustbridge.ca.config.DatastoreConfig;
import dev.trustbridge.ca.store.JdbcDatastore;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.SecretFiles;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Opens the configured datastore. For PostgreSQL the user name and password are read from the
 * environment variable or file the configuration names; they go to the JDBC driver and nowhere else
 * (never a log line or a message). A password file must be readable by its owner only, as the other
 * secret files of the configuration ({@code keys.pin_file}, {@code keys.passphrase_file}).
 */
final class Datastores {
  private Datastores() {}

  static JdbcDatastore open(DatastoreConfig config, Clock clock) {
    return open(config, clock, System::getenv);
  }

  /**
   * Opens {@code config}'s datastore, reading environment variables through {@code environment}.
   *
   * @throws TrustbridgeException {@code FAILED_PRECONDITION} for a credential that is missing, or a
   *     password file others can read; {@code UNAVAILABLE} if PostgreSQL cannot be reached, with a
   *     message that says so
   */
  static JdbcDatastore open(
      DatastoreConfig config, Clock clock, UnaryOperator<String> environment) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(environment, "environment");
    if (config instanceof DatastoreConfig.Sqlite sqlite) {
      return JdbcDatastore.openSqlite(sqlite.path(), clock);
    }
    DatastoreConfig.Postgres postgres = (DatastoreConfig.Postgres) config;
    Optional<String> username =
        postgres.usernameEnv().map(v -> fromEnv("datastore.username_env", v, environment));
    Optional<String> password =
        postgres.passwordEnv().isPresent()
            ? postgres.passwordEnv().map(v -> fromEnv("datastore.password_env", v, environment))
            : postgres.passwordFile().map(Datastores::passwordFromFile);
    try {
      return JdbcDatastore.openPostgres(postgres.url(), username, password, clock);
    } catch (TrustbridgeException e) {
      if (e.code() != ErrorCode.UNAVAILABLE) {
        throw e;
      }
      throw new TrustbridgeException(
          ErrorCode.UNAVAILABLE,
          "the PostgreSQL datastore at "
              + withoutParameters(postgres.url())
              + " cannot be reached; is it running, and is datastore.url right?",
          e);
    }
  }

  private static String fromEnv(String key, String variable, UnaryOperator<String> environment) {
    String value = environment.apply(variable);
    if (value == null || value.isEmpty()) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION,
          key + ": environment variable " + variable + " is not set or empty");
    }
    return value;
  }

  /** The password in {@code file} (UTF-8, one trailing line break ignored). */
  static String passwordFromFile(Path file) {
    char[] password = SecretFiles.read(file, "datastore.password_file: " + file);
    try {
      return new String(password);
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  /** The URL up to its parameters, which may hold secrets. */
  private static String withoutParameters(String url) {
    int query = url.indexOf('?');
    return query < 0 ? url : url.substring(0, query);
  }
}
