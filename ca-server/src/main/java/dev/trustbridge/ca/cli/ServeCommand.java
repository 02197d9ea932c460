package dev.trustbridge.ca.cli;

import dev.trustbridge.ca.config.ServerConfig;
import dev.trustbridge.ca.server.Logging;
import dev.trustbridge.ca.server.TrustbridgeServer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code trustbridge serve}: runs the server until interrupted. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Start the Trustbridge server.")
final class ServeCommand implements Callable<Integer> {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Configuration file (default: ${DEFAULT-VALUE}).",
      defaultValue = "config/dev.yaml")
  Path config;

  @Override
  public Integer call() throws InterruptedException {
    ServerConfig loaded = ServerConfig.load(config);
    Logging.configure(loaded.log());
    TrustbridgeServer server = TrustbridgeServer.start(loaded, Clock.systemUTC());
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "trustbridge-shutdown"));
    server.awaitTermination();
    return 0;
  }
}
