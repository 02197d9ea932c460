package dev.trustbridge.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/** The command line of {@link IssuanceLoad}. */
record LoadOptions(
    String target,
    Path bundle,
    Path cert,
    Path key,
    int concurrency,
    int channels,
    Duration duration,
    Duration warmup,
    double rate,
    OptionalLong serverPid,
    int csrs,
    Duration micro,
    String microProvider,
    String label,
    Optional<Path> results) {

  static final String USAGE =
      """
      IssuanceLoad --target HOST:PORT (--admin-dir DIR | --bundle F --cert F --key F) [options]
        --admin-dir DIR       a directory with svid.pem, svid.key and bundle.pem, such as the
                              output of `trustbridge x509 mint --out DIR` (an agent SVID)
        --concurrency N       calls in flight at most (default 64)
        --channels N          TLS connections to spread the calls over (default 2)
        --duration 30s        measured time (default 30s)
        --warmup 10s          load before measuring (default 10s)
        --rate R              fixed rate in calls/s (default: closed loop, as fast as possible)
        --server-pid PID      read the server's CPU time and memory from /proc/PID
        --csrs N              pre-made EC P-256 CSRs to cycle through (default 256)
        --micro 12s           in-process verify+sign loop after the load; 0s to skip (default 12s)
        --micro-provider P    detect (the server's choice) or bouncycastle (default detect)
        --label TEXT          name of this run in the output (default: peak or rate-R)
        --results FILE        append key=value results to FILE
      """;

  private static final Set<String> FLAGS =
      Set.of(
          "--target",
          "--admin-dir",
          "--bundle",
          "--cert",
          "--key",
          "--concurrency",
          "--channels",
          "--duration",
          "--warmup",
          "--rate",
          "--server-pid",
          "--csrs",
          "--micro",
          "--micro-provider",
          "--label",
          "--results");

  static LoadOptions parse(String[] args) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!FLAGS.contains(args[i]) || i + 1 >= args.length) {
        throw new IllegalArgumentException("unknown option or missing value: " + args[i]);
      }
      values.put(args[i], args[i + 1]);
    }
    String target = required(values, "--target");
    Path bundle;
    Path cert;
    Path key;
    if (values.containsKey("--admin-dir")) {
      Path dir = Path.of(values.get("--admin-dir"));
      bundle = dir.resolve("bundle.pem");
      cert = dir.resolve("svid.pem");
      key = dir.resolve("svid.key");
    } else {
      bundle = Path.of(required(values, "--bundle"));
      cert = Path.of(required(values, "--cert"));
      key = Path.of(required(values, "--key"));
    }
    double rate = Double.parseDouble(values.getOrDefault("--rate", "0"));
    return new LoadOptions(
        target,
        bundle,
        cert,
        key,
        positive(values, "--concurrency", "64"),
        positive(values, "--channels", "2"),
        duration(values.getOrDefault("--duration", "30s")),
        duration(values.getOrDefault("--warmup", "10s")),
        rate,
        values.containsKey("--server-pid")
            ? OptionalLong.of(Long.parseLong(values.get("--server-pid")))
            : OptionalLong.empty(),
        positive(values, "--csrs", "256"),
        duration(values.getOrDefault("--micro", "12s")),
        values.getOrDefault("--micro-provider", "detect"),
        values.getOrDefault("--label", rate > 0 ? "rate-" + Math.round(rate) : "peak"),
        Optional.ofNullable(values.get("--results")).map(Path::of));
  }

  /** Parses 500ms, 30s, 2m. */
  static Duration duration(String text) {
    if (text.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
    }
    long n = Long.parseLong(text.substring(0, text.length() - 1));
    return switch (text.charAt(text.length() - 1)) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      default -> throw new IllegalArgumentException("duration like 500ms, 30s or 2m: " + text);
    };
  }

  private static String required(Map<String, String> values, String flag) {
    String value = values.get(flag);
    if (value == null) {
      throw new IllegalArgumentException(flag + " is required");
    }
    return value;
  }

  private static int positive(Map<String, String> values, String flag, String fallback) {
    int n = Integer.parseInt(values.getOrDefault(flag, fallback));
    if (n <= 0) {
      throw new IllegalArgumentException(flag + " must be positive");
    }
    return n;
  }
}
