package dev.trustbridge.ca.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Files named on the command line: a file that cannot be read is a usage error, not a crash. */
final class InputFiles {
  /** Bundles and anchor files are small; this bounds a mistaken argument such as a disk image. */
  static final long MAX_BYTES = 1024 * 1024;

  private InputFiles() {}

  static byte[] read(CommandSpec spec, String option, Path file) {
    try {
      if (Files.isDirectory(file)) {
        throw new ParameterException(spec.commandLine(), option + ": " + file + " is a directory");
      }
      if (Files.size(file) > MAX_BYTES) {
        throw new ParameterException(
            spec.commandLine(), option + ": " + file + " is larger than " + MAX_BYTES + " bytes");
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ParameterException(spec.commandLine(), option + ": no such file: " + file);
    } catch (IOException e) {
      throw new ParameterException(
          spec.commandLine(), option + ": cannot read " + file + ": " + e.getMessage());
    }
  }
}
