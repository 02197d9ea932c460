package dev.trustbridge.ca.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.trustbridge.ca.tls.ClientTls;
import dev.trustbridge.ca.tls.RotatingKeyManager;
import dev.trustbridge.proto.admin.v1.AuthorityAdminGrpc;
import dev.trustbridge.proto.admin.v1.ListAuthoritiesRequest;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real server in a JVM of its own ({@code trustbridge serve}), so that it can be killed with
 * SIGKILL: no shutdown hook, no finally block, no flush runs in it. Its output goes to {@code
 * server.log} in the data directory's parent, appended across restarts.
 */
final class ServerProcess implements AutoCloseable {
  static final String TRUST_DOMAIN = "crash.example";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final int SIGKILL_EXIT = 128 + 9;

  private final Path dataDir;
  private final Path log;
  private final int port;
  private final Process process;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private List<X509Certificate> anchors = List.of();
  private ManagedChannel anonymous;

  private ServerProcess(Path dataDir, Path log, int port, Process process) {
    this.dataDir = dataDir;
    this.log = log;
    this.port = port;
    this.process = process;
  }

  /** Starts the server on {@code dataDir} (created on first start) and waits until it serves. */
  static ServerProcess start(Path dataDir, String label) throws IOException, InterruptedException {
    Path base = dataDir.getParent();
    Path log = base.resolve("server.log");
    int port = freePort();
    Path config = base.resolve("trustbridge.yaml");
    Files.writeString(config, yaml(dataDir, port), StandardCharsets.UTF_8);
    Files.writeString(
        log,
        "\n=== " + label + " at " + Instant.now() + " on port " + port + " ===\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process =
        new ProcessBuilder(
                java.toString(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                // C1 only: on a busy machine C2's compiler threads double the time to serve.
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.trustbridge.ca.cli.TrustbridgeCli",
                "serve",
                "--config",
                config.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    ServerProcess server = new ServerProcess(dataDir, log, port, process);
    long started = System.nanoTime();
    try {
      server.awaitServing();
      System.out.printf(
          "  %s: serving after %d ms (pid %d)%n",
          label, (System.nanoTime() - started) / 1_000_000, process.pid());
    } catch (RuntimeException | Error | InterruptedException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /**
   * Short CA lifetimes that still pass validation: a root lives 24h, an intermediate 4h (at most
   * 17% of the root's), a leaf at most 30m (at most 17% of the intermediate's). Nothing rotates on
   * its own during the test; the test drives every rotation through the admin API.
   */
  private static String yaml(Path dataDir, int port) {
    return "server:\n"
        + "  data_dir: "
        + dataDir
        + "\n"
        + "  grpc:\n"
        + "    listen: 127.0.0.1:"
        + port
        + "\n"
        + "  metrics:\n"
        + "    listen: \"off\"\n"
        + "trust_domains:\n"
        + "  - name: "
        + TRUST_DOMAIN
        + "\n"
        + "    ca:\n"
        + "      root_ttl: 24h\n"
        + "      intermediate_ttl: 4h\n"
        + "    svid:\n"
        + "      default_ttl: 10m\n"
        + "      max_ttl: 30m\n";
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /**
   * Waits until an admin call succeeds. The admin credential files of the previous run may still be
   * there (or be half replaced) until the new process has written its own, so every attempt reads
   * them again.
   */
  private void awaitServing() throws InterruptedException {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    RuntimeException last = null;
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new AssertionError(
            "server exited with " + process.exitValue() + " while starting" + logTail());
      }
      ManagedChannel channel = null;
      try {
        channel = newAdminChannel();
        AuthorityAdminGrpc.newBlockingStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .listAuthorities(ListAuthoritiesRequest.getDefaultInstance());
        channels.add(channel);
        return;
      } catch (RuntimeException e) {
        last = e;
        if (channel != null) {
          channel.shutdownNow();
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError(
        "server did not serve within " + START_TIMEOUT + ": " + last + logTail(), last);
  }

  private ManagedChannel newAdminChannel() {
    Path admin = dataDir.resolve("admin");
    anchors = ClientTls.readCertificates(admin.resolve("bundle.pem"));
    return ClientTls.channel(
        target(),
        anchors,
        Optional.of(
            new RotatingKeyManager.Credential(
                ClientTls.readChain(admin.resolve("svid.pem")),
                ClientTls.readPrivateKey(admin.resolve("svid.key")))));
  }

  /** The channel that the readiness check succeeded on, presenting the local admin credential. */
  ManagedChannel admin() {
    return channels.get(0);
  }

  /** A channel without a client certificate (for join-token calls). */
  ManagedChannel anonymous() {
    if (anonymous == null) {
      anonymous = ClientTls.channel(target(), anchors, Optional.empty());
      channels.add(anonymous);
    }
    return anonymous;
  }

  String target() {
    return "127.0.0.1:" + port;
  }

  long pid() {
    return process.pid();
  }

  /** SIGKILL, then checks that the process is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("server " + process.pid() + " survived SIGKILL for 30s");
    }
    assertFalse(process.isAlive(), "process after SIGKILL");
    assertFalse(
        ProcessHandle.of(process.pid()).map(ProcessHandle::isAlive).orElse(false),
        "ProcessHandle after SIGKILL");
    assertEquals(SIGKILL_EXIT, process.exitValue(), "exit status of a SIGKILLed JVM");
  }

  /** The last part of the server's output, for assertion messages. */
  String logTail() {
    return logTail(log);
  }

  static String logTail(Path log) {
    try {
      String text = Files.readString(log, StandardCharsets.UTF_8);
      int from = Math.max(0, text.length() - 12_000);
      return "\n--- server log ("
          + log
          + ", last "
          + (text.length() - from)
          + " chars) ---\n"
          + text.substring(from);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Closes the channels and makes sure the process is gone; safe to call twice. */
  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    channels.clear();
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
