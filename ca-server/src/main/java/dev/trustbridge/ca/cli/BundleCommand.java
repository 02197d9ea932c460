package dev.trustbridge.ca.cli;

import dev.trustbridge.ca.tls.ClientTls;
import dev.trustbridge.proto.admin.v1.BundleAdminGrpc;
import dev.trustbridge.proto.admin.v1.GetBundleRequest;
import dev.trustbridge.proto.admin.v1.GetBundleResponse;
import dev.trustbridge.spiffe.bundle.PemBundles;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import dev.trustbridge.spiffe.id.TrustDomain;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trustbridge bundle show}. */
@Command(
    name = "bundle",
    mixinStandardHelpOptions = true,
    description = "Trust bundles.",
    subcommands = {BundleCommand.Show.class})
final class BundleCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Output formats of {@code bundle show}. */
  enum Format {
    spiffe,
    pem
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Print a hosted trust domain's bundle.")
  static final class Show implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Option(
        names = "--format",
        description = "spiffe (JWK Set document) or pem (default: ${DEFAULT-VALUE}).",
        defaultValue = "spiffe")
    Format format;

    @Option(names = "--trust-domain", description = "Default: the first hosted trust domain.")
    String trustDomain = "";

    @Override
    public Integer call() {
      ManagedChannel channel = admin.connect();
      GetBundleResponse response;
      try {
        response =
            BundleAdminGrpc.newBlockingStub(channel)
                .getBundle(GetBundleRequest.newBuilder().setTrustDomain(trustDomain).build());
      } finally {
        ClientTls.shutdown(channel);
      }
      byte[] document = response.getSpiffeBundle().toByteArray();
      if (format == Format.pem) {
        TrustDomain td = TrustDomain.parse(response.getTrustDomain());
        document = PemBundles.write(SpiffeBundleCodec.parse(td, document));
      }
      spec.commandLine().getOut().print(new String(document, StandardCharsets.UTF_8));
      if (format == Format.spiffe) {
        spec.commandLine().getOut().println();
      }
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
