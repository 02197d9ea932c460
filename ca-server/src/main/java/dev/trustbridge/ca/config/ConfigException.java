package dev.trustbridge.ca.config;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.util.List;

/**
 * A configuration file is unreadable or invalid. Every problem found is reported at once, one per
 * line of the message, each as {@code <dotted.key[index]>: <what is wrong>}, for example {@code
 * trust_domains[0].svid.max_ttl: must be a duration like 90s, 15m, 24h or 7d}. Problems that are
 * not about one key (YAML syntax) start with {@code yaml:}.
 */
public final class ConfigException extends TrustbridgeException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  ConfigException(List<String> problems) {
    super(ErrorCode.INVALID_ARGUMENT, String.join("\n", problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one problem");
    }
    this.problems = List.copyOf(problems);
  }

  ConfigException(String problem) {
    this(List.of(problem));
  }

  /** Each problem on its own, in the order found, e.g. {@code server.grcp: unknown key}. */
  public List<String> problems() {
    return problems;
  }
}
