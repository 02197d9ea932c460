package dev.trustbridge.ca.store;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One versioned schema change: a list of SQL statements applied in one transaction.
 *
 * <p>Script files are named {@code V<version>__<description>.sql} and listed, in order, in the
 * {@code index.txt} beside them (a jar cannot be listed reliably). In a script, lines starting with
 * {@code --} are comments and a statement ends with a {@code ;} at the end of a line, so a
 * statement must not end a line with a {@code ;} inside a string.
 *
 * @param version the schema version this migration brings the database to; versions start at 1 and
 *     go up by one
 * @param description what it does, from the file name
 * @param statements the SQL statements, in order
 */
record Migration(int version, String description, List<String> statements) {
  private static final Pattern FILE_NAME = Pattern.compile("V([1-9][0-9]*)__([A-Za-z0-9_]+)\\.sql");

  Migration {
    Objects.requireNonNull(description, "description");
    statements = List.copyOf(statements);
    if (version < 1) {
      throw new IllegalArgumentException("migration versions start at 1");
    }
  }

  /**
   * The migrations of a dialect, from its index on the classpath, checked to be numbered 1, 2, 3…
   */
  static List<Migration> load(Dialect dialect) {
    return load(dialect.migrationLocation(), Migration.class.getClassLoader());
  }

  static List<Migration> load(String location, ClassLoader loader) {
    List<Migration> migrations = new ArrayList<>();
    for (String fileName : lines(location + "index.txt", loader)) {
      Matcher m = FILE_NAME.matcher(fileName);
      if (!m.matches()) {
        throw internal("bad migration file name in " + location + "index.txt: " + fileName);
      }
      int version = Integer.parseInt(m.group(1));
      if (version != migrations.size() + 1) {
        throw internal("migrations in " + location + " must be numbered 1, 2, 3...: " + fileName);
      }
      String script = String.join("\n", lines(location + fileName, loader));
      migrations.add(new Migration(version, m.group(2), split(script)));
    }
    return List.copyOf(migrations);
  }

  /** Splits a script into statements (see the class comment for the rules). */
  static List<String> split(String script) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : script.split("\n", -1)) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("--")) {
        continue;
      }
      current.append(line).append('\n');
      if (trimmed.endsWith(";")) {
        String statement = current.toString().strip();
        statements.add(statement.substring(0, statement.length() - 1).strip());
        current.setLength(0);
      }
    }
    if (!current.toString().isBlank()) {
      statements.add(current.toString().strip());
    }
    return statements;
  }

  private static List<String> lines(String resource, ClassLoader loader) {
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw internal("missing migration resource " + resource);
      }
      List<String> lines = new ArrayList<>();
      try (BufferedReader reader =
          new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          if (resource.endsWith("index.txt")) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
              continue;
            }
          }
          lines.add(line);
        }
      }
      return lines;
    } catch (IOException e) {
      throw new TrustbridgeException(ErrorCode.INTERNAL, "cannot read " + resource, e);
    }
  }

  private static TrustbridgeException internal(String message) {
    return new TrustbridgeException(ErrorCode.INTERNAL, message);
  }
}
