package dev.trustbridge.ca.cli;

import dev.trustbridge.ca.tls.ClientTls;
import dev.trustbridge.proto.admin.v1.CreateJoinTokenRequest;
import dev.trustbridge.proto.admin.v1.CreateJoinTokenResponse;
import dev.trustbridge.proto.admin.v1.TokenAdminGrpc;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trustbridge token create}. */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "Manage one-time join tokens.",
    subcommands = {TokenCommand.Create.class})
final class TokenCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a join token that lets an agent obtain the given SPIFFE ID once.")
  static final class Create implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Option(names = "--spiffe-id", required = true, description = "The agent's SPIFFE ID.")
    String spiffeId;

    @Option(
        names = "--ttl",
        description = "Token lifetime, e.g. 10m or 1h (default: the server's).",
        converter = DurationConverter.class)
    Duration ttl;

    @Override
    public Integer call() {
      ManagedChannel channel = admin.connect();
      try {
        CreateJoinTokenResponse response =
            TokenAdminGrpc.newBlockingStub(channel)
                .createJoinToken(
                    CreateJoinTokenRequest.newBuilder()
                        .setSpiffeId(spiffeId)
                        .setTtlSeconds(ttl == null ? 0 : ttl.toSeconds())
                        .build());
        spec.commandLine().getOut().println(response.getToken());
        return 0;
      } finally {
        ClientTls.shutdown(channel);
      }
    }
  }
}
