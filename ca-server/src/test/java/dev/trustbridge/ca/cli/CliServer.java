package dev.trustbridge.ca.cli;

import dev.trustbridge.ca.server.TestServer;
import dev.trustbridge.ca.server.TrustbridgeServer;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Trustbridge server of one trust domain on 127.0.0.1 port 0, with its bundle endpoint
 * (https_spiffe, port 0), and the CLI pointed at it. Keys are in memory so that starting is fast.
 */
final class CliServer implements AutoCloseable {
  /** What one CLI run printed and returned. */
  record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- out:\n" + out + "--- err:\n" + err;
    }
  }

  final TrustDomain trustDomain;
  final TrustbridgeServer server;
  private final TestServer running;

  private CliServer(TrustDomain trustDomain, TestServer running) {
    this.trustDomain = trustDomain;
    this.server = running.server;
    this.running = running;
  }

  static CliServer start(Path dataDir, String trustDomain) {
    String yaml =
        "keys:\n"
            + "  type: memory\n"
            + "trust_domains:\n"
            + "  - name: "
            + trustDomain
            + "\n"
            + "    bundle_endpoint:\n"
            + "      listen: 127.0.0.1:0\n";
    return new CliServer(
        TrustDomain.parse(trustDomain), new TestServer(dataDir, yaml, Clock.systemUTC()));
  }

  /** The URL of this server's bundle endpoint. */
  String bundleEndpointUrl() {
    return running.bundleEndpointUrl(trustDomain);
  }

  String endpointId() {
    return "spiffe://" + trustDomain.name() + "/trustbridge/server";
  }

  /** Runs an admin command against this server (its address and admin credential appended). */
  Result admin(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--server");
    all.add("127.0.0.1:" + server.grpcPort());
    all.add("--admin-dir");
    all.add(server.adminDir().toString());
    return cli(all.toArray(String[]::new));
  }

  /** Runs the CLI as given. */
  static Result cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exitCode = TrustbridgeCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(exitCode, out.toString(), err.toString());
  }

  @Override
  public void close() {
    running.close();
  }
}
