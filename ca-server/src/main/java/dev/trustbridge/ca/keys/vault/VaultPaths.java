package dev.trustbridge.ca.keys.vault;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Checks for the parts of Vault request paths that come from configuration or key ids, so that no
 * value can climb to another path ({@code ..}), add a query or reach another mount.
 */
public final class VaultPaths {
  private static final Pattern MOUNT =
      Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*");

  /**
   * Vault's own rule for names in paths such as {@code transit/keys/:name} ({@code
   * framework.GenericNameRegex}): word characters, dots and dashes, starting and ending with a word
   * character.
   */
  private static final Pattern NAME = Pattern.compile("\\w([\\w.-]*\\w)?");

  private VaultPaths() {}

  /**
   * Returns {@code mount} without leading or trailing slashes.
   *
   * @throws IllegalArgumentException if it is not slash-separated segments of {@code
   *     [A-Za-z0-9._-]} that do not start with a dot
   */
  public static String requireMount(String mount, String what) {
    Objects.requireNonNull(mount, what);
    String trimmed = mount.replaceAll("^/+|/+$", "");
    if (trimmed.length() > 256 || !MOUNT.matcher(trimmed).matches()) {
      throw new IllegalArgumentException(what + " '" + mount + "' is not a valid Vault mount path");
    }
    return trimmed;
  }

  /** True if Vault accepts {@code name} as a key, role or issuer name in a path. */
  public static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }
}
