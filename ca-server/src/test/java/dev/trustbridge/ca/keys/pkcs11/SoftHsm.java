package dev.trustbridge.ca.keys.pkcs11;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Real SoftHSM2 tokens for the PKCS#11 tests, created once per test JVM and deleted when the run
 * ends.
 *
 * <p>SoftHSM reads {@code SOFTHSM2_CONF} from the process environment when the library is
 * initialized, and a JVM cannot change its own environment. So the tests use whatever configuration
 * the environment gives, the same for {@code softhsm2-util} (a child process that inherits it) and
 * for the library loaded into this JVM: by default {@code /etc/softhsm/softhsm2.conf}, tokens in
 * {@code /var/lib/softhsm/tokens/} (root or group {@code softhsm}). Each run creates uniquely
 * labelled tokens ({@code tb-<pid>-<role>-<random>}) with random PINs and deletes them afterwards;
 * tokens left by runs whose process is gone are deleted first.
 *
 * <p>SoftHSM's slot order is not stable across processes, and the library sees only the tokens that
 * existed when this JVM first initialized it. So all tokens are created before the first use, and
 * each token's {@code slotListIndex} is found from inside this JVM: by logging in to every slot
 * with each token's (unique) PIN.
 */
final class SoftHsm implements BeforeAllCallback, ParameterResolver {
  static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");
  private static final Pattern TEST_LABEL = Pattern.compile("tb-(\\d+)-[a-z]+-[0-9a-f]{4}");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What a test token is for; each test class uses its own so they cannot disturb each other. */
  enum Role {
    /** Contract tests: each manager gets its own label prefix on this token. */
    SHARED,
    /** Other tests that keep the token. */
    MISC,
    /** Wrong-PIN tests: nothing else logs in to it. */
    LOGIN,
    /** Deleted while open. */
    DOOMED
  }

  /** A token initialized for this run. */
  record TestToken(String label, int slotListIndex, char[] pin) {
    Pkcs11Settings settings(String labelPrefix) {
      return new Pkcs11Settings(LIBRARY, slotListIndex, pin, labelPrefix);
    }

    /** Deletes the token from SoftHSM's storage while this JVM may still have it open. */
    void deleteNow() {
      softhsm2Util("--delete-token", "--token", label);
    }
  }

  /** The tokens of this run, created on first use and deleted when JUnit closes the root store. */
  static final class Tokens implements AutoCloseable {
    private final Map<Role, TestToken> tokens;

    private Tokens(Map<Role, TestToken> tokens) {
      this.tokens = tokens;
    }

    TestToken get(Role role) {
      return tokens.get(role);
    }

    @Override
    public void close() {
      for (TestToken token : tokens.values()) {
        if (labels().contains(token.label())) {
          token.deleteNow();
        }
      }
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    assumeTrue(
        Files.exists(LIBRARY),
        "SoftHSM2 is not installed (" + LIBRARY + " is missing): apt-get install softhsm2");
    tokens(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Tokens.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return tokens(context);
  }

  private static Tokens tokens(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(ExtensionContext.Namespace.create(SoftHsm.class))
        .getOrComputeIfAbsent(Tokens.class, key -> createTokens(), Tokens.class);
  }

  private static Tokens createTokens() {
    deleteTokensOfDeadRuns();
    long pid = ProcessHandle.current().pid();
    Map<Role, String> labels = new EnumMap<>(Role.class);
    Map<Role, char[]> pins = new EnumMap<>(Role.class);
    for (Role role : Role.values()) {
      String label =
          String.format(
              "tb-%d-%s-%04x",
              pid, role.name().toLowerCase(java.util.Locale.ROOT), RANDOM.nextInt(0x10000));
      String pin = String.format("%08d", RANDOM.nextInt(100_000_000));
      softhsm2Util(
          "--init-token",
          "--free",
          "--label",
          label,
          "--so-pin",
          String.format("%08d", RANDOM.nextInt(100_000_000)),
          "--pin",
          pin);
      labels.put(role, label);
      pins.put(role, pin.toCharArray());
    }
    int slots = slotCount();
    Map<Role, TestToken> found = new EnumMap<>(Role.class);
    for (int index = 0; index < slots && found.size() < labels.size(); index++) {
      for (Role role : Role.values()) {
        if (!found.containsKey(role) && logsIn(index, pins.get(role))) {
          found.put(role, new TestToken(labels.get(role), index, pins.get(role)));
          break;
        }
      }
    }
    if (found.size() != labels.size()) {
      throw new IllegalStateException(
          "created SoftHSM tokens "
              + labels.values()
              + " but found only "
              + found
              + " in the"
              + " library's slot list");
    }
    return new Tokens(found);
  }

  /** Opens and closes the slot with this PIN; each token has its own PIN, so success names it. */
  private static boolean logsIn(int slotListIndex, char[] pin) {
    try (Pkcs11KeyManager manager =
        Pkcs11KeyManager.open(new Pkcs11Settings(LIBRARY, slotListIndex, pin))) {
      return manager.keyIds().isEmpty();
    } catch (TrustbridgeException e) {
      if (e.code() == ErrorCode.FAILED_PRECONDITION || e.code() == ErrorCode.UNAVAILABLE) {
        return false; // someone else's token, or the free slot
      }
      throw e;
    }
  }

  private static void deleteTokensOfDeadRuns() {
    for (String label : labels()) {
      Matcher m = TEST_LABEL.matcher(label);
      if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
        softhsm2Util("--delete-token", "--token", label);
      }
    }
  }

  private static List<String> labels() {
    List<String> labels = new ArrayList<>();
    for (String line : softhsm2Util("--show-slots").split("\n")) {
      String trimmed = line.trim();
      if (trimmed.startsWith("Label:")) {
        String label = trimmed.substring("Label:".length()).trim();
        if (!label.isEmpty()) {
          labels.add(label);
        }
      }
    }
    return labels;
  }

  private static int slotCount() {
    int count = 0;
    for (String line : softhsm2Util("--show-slots").split("\n")) {
      if (line.startsWith("Slot ")) {
        count++;
      }
    }
    return count;
  }

  /** Runs softhsm2-util with this JVM's environment (and so its SOFTHSM2_CONF). */
  static String softhsm2Util(String... arguments) {
    List<String> command = new ArrayList<>();
    command.add("softhsm2-util");
    command.addAll(List.of(arguments));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException(
            "softhsm2-util "
                + arguments[0]
                + " failed: "
                + output
                + "\n(the tests need write access to SoftHSM's token directory: run as root or"
                + " in group softhsm, or export SOFTHSM2_CONF naming a config whose"
                + " directories.tokendir you own)");
      }
      return output;
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot run softhsm2-util (apt-get install softhsm2): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running softhsm2-util", e);
    }
  }
}
