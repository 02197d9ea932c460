package dev.trustbridge.ca.cli;

import dev.trustbridge.ca.config.ServerConfig;
import dev.trustbridge.ca.tls.ClientTls;
import dev.trustbridge.ca.tls.RotatingKeyManager;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * How admin commands reach the local server: the address and the admin credential come from the
 * server's configuration file (the server writes {@code <data_dir>/admin/} on start), so no
 * hand-made credentials are needed on the server's machine.
 */
final class AdminOptions {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Server configuration file (default: ${DEFAULT-VALUE}).",
      defaultValue = "config/dev.yaml")
  Path config;

  @Option(
      names = "--server",
      paramLabel = "HOST:PORT",
      description = "Server address; default: server.grpc.listen from the configuration.")
  String server;

  @Option(
      names = "--admin-dir",
      paramLabel = "DIR",
      description = "Admin credential directory; default: <data_dir>/admin from the configuration.")
  Path adminDir;

  /** Runs {@code work} on a fresh channel to the server and closes the channel after it. */
  <T> T call(Function<ManagedChannel, T> work) {
    ManagedChannel channel = connect();
    try {
      return work.apply(channel);
    } finally {
      ClientTls.shutdown(channel);
    }
  }

  ManagedChannel connect() {
    ServerConfig loaded = null;
    if (server == null || adminDir == null) {
      loaded = ServerConfig.load(config);
    }
    String target = server != null ? server : loaded.grpc().listen().toString();
    Path dir = adminDir != null ? adminDir : loaded.dataDir().resolve("admin");
    Path cert = dir.resolve("svid.pem");
    if (!Files.exists(cert)) {
      throw new IllegalStateException(
          "no admin credential in " + dir + ": start the server first (it writes one there)");
    }
    RotatingKeyManager.Credential credential =
        new RotatingKeyManager.Credential(
            ClientTls.readChain(cert), ClientTls.readPrivateKey(dir.resolve("svid.key")));
    return ClientTls.channel(
        target, ClientTls.readCertificates(dir.resolve("bundle.pem")), Optional.of(credential));
  }
}
