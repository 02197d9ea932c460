package dev.trustbridge.ca.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** Where the server keeps its state (key {@code datastore}): SQLite or PostgreSQL. */
public sealed interface DatastoreConfig permits DatastoreConfig.Sqlite, DatastoreConfig.Postgres {

  /**
   * An embedded SQLite database ({@code type: sqlite}), for a single replica.
   *
   * @param path the database file, absolute
   */
  record Sqlite(Path path) implements DatastoreConfig {
    public Sqlite {
      Objects.requireNonNull(path, "path");
    }
  }

  /**
   * A PostgreSQL server ({@code type: postgres}), which several replicas can share. Credentials are
   * never written in the configuration itself: they are named by environment variable or file.
   *
   * @param url the JDBC URL, {@code jdbc:postgresql://...}
   * @param usernameEnv the environment variable holding the user name, if any
   * @param passwordEnv the environment variable holding the password, if any
   * @param passwordFile the file holding the password, if any (at most one of the two)
   */
  record Postgres(
      String url,
      Optional<String> usernameEnv,
      Optional<String> passwordEnv,
      Optional<Path> passwordFile)
      implements DatastoreConfig {
    public Postgres {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(usernameEnv, "usernameEnv");
      Objects.requireNonNull(passwordEnv, "passwordEnv");
      Objects.requireNonNull(passwordFile, "passwordFile");
      if (!url.startsWith(JDBC_PREFIX)) {
        throw new IllegalArgumentException("url must start with " + JDBC_PREFIX);
      }
      if (passwordEnv.isPresent() && passwordFile.isPresent()) {
        throw new IllegalArgumentException("set passwordEnv or passwordFile, not both");
      }
    }

    static final String JDBC_PREFIX = "jdbc:postgresql://";
  }
}
