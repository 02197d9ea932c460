package dev.trustbridge.spiffe.keys;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

/** Reading key passphrases, and the file-permission checks that go with them. */
final class Passphrases {
  private static final Set<PosixFilePermission> GROUP_OR_OTHERS =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  private Passphrases() {}

  static char[] fromEnv(String variable, UnaryOperator<String> environment) {
    Objects.requireNonNull(variable, "variable");
    String value = environment.apply(variable);
    if (value == null || value.isEmpty()) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION,
          "environment variable " + variable + " with the key passphrase is not set or empty");
    }
    return value.toCharArray();
  }

  static char[] fromFile(Path file) {
    Objects.requireNonNull(file, "file");
    return SecretFiles.read(file, "passphrase file " + file);
  }

  /** True on file systems with POSIX permissions (all Linux and macOS ones). */
  static boolean posix() {
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }

  /** True if group or others have any permission on {@code path}; false without POSIX. */
  static boolean accessibleByOthers(Path path) throws IOException {
    if (!posix()) {
      return false;
    }
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
    return permissions.stream().anyMatch(GROUP_OR_OTHERS::contains);
  }

  /** The permissions as octal and symbolic text, e.g. {@code 0644 rw-r--r--}. */
  static String mode(Path path) throws IOException {
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
    int bits = 0;
    for (PosixFilePermission permission : permissions) {
      bits |= 1 << (8 - permission.ordinal());
    }
    return String.format("%04o %s", bits, PosixFilePermissions.toString(permissions));
  }
}
