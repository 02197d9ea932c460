package dev.trustbridge.ca.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.cli.CliServer.Result;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every federation, bundle and authority command prints its usage with {@code --help}. */
class CommandHelpTest {
  private static Result help(String command) {
    List<String> args = new ArrayList<>(List.of(command.split(" ")));
    args.add("--help");
    return CliServer.cli(args.toArray(String[]::new));
  }

  @ParameterizedTest(name = "{0} --help")
  @ValueSource(
      strings = {
        "federation",
        "federation create",
        "federation list",
        "federation show",
        "federation update",
        "federation delete",
        "federation refresh",
        "bundle",
        "bundle show",
        "bundle export",
        "bundle import",
        "authority",
        "authority list",
        "authority prepare",
        "authority activate",
        "authority taint",
        "authority revoke"
      })
  void help_printsUsageAndExitsZero(String command) {
    Result result = help(command);

    assertEquals(0, result.exitCode(), result::toString);
    assertTrue(result.out().startsWith("Usage: trustbridge " + command + " "), result::toString);
    assertEquals("", result.err());
  }

  /** What each command does to issued certificates and bundles is in its help. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "authority revoke|stops validating at once",
        "authority revoke|certificates it signed keep validating until they expire",
        "authority taint|Certificates already issued keep validating",
        "authority activate|certificates issued before keep validating",
        "authority activate|--force",
        "authority prepare|is added to the trust domain's bundle at once",
        "authority prepare|Issued certificates are not affected",
        "bundle import|replaces the peer's current bundle at once",
        "federation delete|the peer's bundle is deleted at once",
        "federation refresh|Exits with 1 if the poll failed"
      })
  void help_saysWhatTheCommandDoesToCertificatesAndBundles(String command, String text) {
    String out = help(command).out().replaceAll("\\s+", " ");

    assertTrue(out.contains(text), out);
  }
}
