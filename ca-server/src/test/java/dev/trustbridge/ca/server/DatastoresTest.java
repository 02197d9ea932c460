package dev.trustbridge.ca.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.trustbridge.ca.config.DatastoreConfig;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the PostgreSQL credentials come from, checked before any connection is tried. */
class DatastoresTest {
  @TempDir Path dir;

  private Path secretFile(String content) throws Exception {
    Path file = dir.resolve("password");
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  @Test
  void passwordFile_oneTrailingLineBreak_isNotPartOfThePassword() throws Exception {
    assertEquals("pw", Datastores.passwordFromFile(secretFile("pw\n")));
    assertEquals("pw", Datastores.passwordFromFile(secretFile("pw\r\n")));
    assertEquals("pw\n", Datastores.passwordFromFile(secretFile("pw\n\n")));
    assertEquals(" pw ", Datastores.passwordFromFile(secretFile(" pw ")));
  }

  @Test
  void passwordFile_emptyMissingOrNotUtf8_isFailedPrecondition() throws Exception {
    Path empty = secretFile("\n");
    assertFailed(
        "datastore.password_file: " + empty + " is empty",
        () -> Datastores.passwordFromFile(empty));
    Path missing = dir.resolve("missing");
    assertFailed(
        "datastore.password_file: " + missing + " does not exist",
        () -> Datastores.passwordFromFile(missing));
    Path binary = secretFile("");
    Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe});
    assertFailed(
        "datastore.password_file: " + binary + " is not UTF-8",
        () -> Datastores.passwordFromFile(binary));
  }

  @Test
  void passwordFile_readableByGroup_isRefused() throws Exception {
    Path file = secretFile("pw");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    assertFailed(
        "datastore.password_file: "
            + file
            + " is accessible by group or others (mode 0640 rw-r-----); refusing to use it, run"
            + " chmod 600 on it",
        () -> Datastores.passwordFromFile(file));
  }

  @Test
  void environmentVariableNotSet_isNamedBeforeAnyConnection() {
    DatastoreConfig.Postgres config =
        new DatastoreConfig.Postgres(
            // Nothing listens there; the check must fail first.
            "jdbc:postgresql://127.0.0.1:1/db",
            Optional.of("TB_PG_USER"),
            Optional.of("TB_PG_PASSWORD"),
            Optional.empty());
    Map<String, String> onlyUser = Map.of("TB_PG_USER", "trustbridge");
    assertFailed(
        "datastore.password_env: environment variable TB_PG_PASSWORD is not set or empty",
        () -> Datastores.open(config, Clock.systemUTC(), onlyUser::get));
    Map<String, String> emptyUser = Map.of("TB_PG_USER", "", "TB_PG_PASSWORD", "x");
    assertFailed(
        "datastore.username_env: environment variable TB_PG_USER is not set or empty",
        () -> Datastores.open(config, Clock.systemUTC(), emptyUser::get));
  }

  private static void assertFailed(String message, org.junit.jupiter.api.function.Executable call) {
    TrustbridgeException e = assertThrows(TrustbridgeException.class, call);
    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertEquals(message, e.getMessage());
  }
}
