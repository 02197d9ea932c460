package dev.trustbridge.ca.server;

import dev.trustbridge.ca.config.DatastoreConfig;
import dev.trustbridge.ca.store.JdbcDatastore;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Opens the configured datastore. For PostgreSQL the user name and password are read from the
 * environment variable or file the configuration names; they go to the JDBC driver and nowhere else
 * (never a log line or a message). A password file must be readable by its owner only, as the other
 * secret files of the configuration ({@code keys.pin_file}, {@code keys.passphrase_file}).
 */
final class Datastores {
  private static final Set<PosixFilePermission> GROUP_OR_OTHERS =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

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
    String key = "datastore.password_file: " + file;
    byte[] bytes = null;
    try {
      if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
        if (mode.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
          throw new TrustbridgeException(
              ErrorCode.FAILED_PRECONDITION,
              key
                  + " is accessible by group or others ("
                  + PosixFilePermissions.toString(mode)
                  + "); refusing to use it, run chmod 600 on it");
        }
      }
      bytes = Files.readAllBytes(file);
      String password =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
      if (password.endsWith("\n")) {
        password = password.substring(0, password.length() - 1);
        if (password.endsWith("\r")) {
          password = password.substring(0, password.length() - 1);
        }
      }
      if (password.isEmpty()) {
        throw new TrustbridgeException(ErrorCode.FAILED_PRECONDITION, key + " is empty");
      }
      return password;
    } catch (NoSuchFileException e) {
      throw new TrustbridgeException(ErrorCode.FAILED_PRECONDITION, key + " does not exist", e);
    } catch (CharacterCodingException e) {
      throw new TrustbridgeException(ErrorCode.FAILED_PRECONDITION, key + " is not UTF-8", e);
    } catch (IOException e) {
      throw new TrustbridgeException(ErrorCode.UNAVAILABLE, key + " cannot be read", e);
    } finally {
      if (bytes != null) {
        Arrays.fill(bytes, (byte) 0);
      }
    }
  }

  /** The URL up to its parameters, which may hold secrets. */
  private static String withoutParameters(String url) {
    int query = url.indexOf('?');
    return query < 0 ? url : url.substring(0, query);
  }
}
