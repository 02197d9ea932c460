package dev.trustbridge.spiffe.policy;

import java.util.Objects;

/**
 * Foreign identities matching {@code peer} may call local identities matching {@code local},
 * provided those local identities are exposed to the peer's trust domain ({@link Exposure}).
 *
 * @param name unique within a policy; 1 to 128 ASCII letters, digits, {@code .}, {@code -}, {@code
 *     _}, so that it can be shown in messages, logs and exported YAML as is
 * @param peer the foreign callers, in a known peer trust domain (checked by {@link
 *     Policy#validate})
 * @param local the callees, in a hosted trust domain
 */
public record AllowRule(String name, IdPattern peer, IdPattern local) {
  /** The longest rule name. */
  public static final int MAX_NAME_LENGTH = 128;

  /**
   * @throws PolicyException if the name breaks the naming rule
   */
  public AllowRule {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(peer, "peer");
    Objects.requireNonNull(local, "local");
    if (!isValidName(name)) {
      throw PolicyException.of(PolicyException.RULE_NAME_INVALID);
    }
  }

  static boolean isValidName(String name) {
    if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '-'
              || c == '_';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
