package dev.trustbridge.ca.cli;

import com.google.protobuf.ByteString;
import dev.trustbridge.proto.admin.v1.BundleAdminGrpc;
import dev.trustbridge.proto.admin.v1.GetBundleRequest;
import dev.trustbridge.proto.admin.v1.GetBundleResponse;
import dev.trustbridge.proto.admin.v1.ImportBundleRequest;
import dev.trustbridge.proto.admin.v1.ImportBundleResponse;
import dev.trustbridge.spiffe.bundle.PemBundles;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code trustbridge bundle show|export|import}. */
@Command(
    name = "bundle",
    mixinStandardHelpOptions = true,
    description = "Trust bundles: export this server's, import a peer's by hand.",
    subcommands = {
      BundleCommand.Show.class,
      BundleCommand.Export.class,
      BundleCommand.Import.class
    })
final class BundleCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Output formats of {@code bundle show} and {@code bundle export}. */
  enum Format {
    spiffe,
    pem
  }

  /** Which hosted bundle, in which format. */
  static final class Selection {
    @Option(
        names = "--format",
        description = "spiffe (SPIFFE bundle JSON document) or pem (default: ${DEFAULT-VALUE}).",
        defaultValue = "spiffe")
    Format format;

    @Option(
        names = "--trust-domain",
        paramLabel = "TD",
        description = "A hosted trust domain (default: the first hosted trust domain).")
    String trustDomain = "";

    /** The bundle document as it goes to a terminal or a file. */
    byte[] fetch(AdminOptions admin) {
      GetBundleResponse response =
          admin.call(
              channel ->
                  BundleAdminGrpc.newBlockingStub(channel)
                      .getBundle(
                          GetBundleRequest.newBuilder().setTrustDomain(trustDomain).build()));
      byte[] document = response.getSpiffeBundle().toByteArray();
      if (format == Format.pem) {
        TrustDomain td = TrustDomain.parse(response.getTrustDomain());
        return PemBundles.write(SpiffeBundleCodec.parse(td, document));
      }
      byte[] withNewline = Arrays.copyOf(document, document.length + 1);
      withNewline[document.length] = '\n';
      return withNewline;
    }
  }

  private static void print(CommandSpec spec, byte[] document) {
    PrintWriter out = spec.commandLine().getOut();
    out.print(new String(document, StandardCharsets.UTF_8));
    out.flush();
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Print a hosted trust domain's bundle (its trust anchors).")
  static final class Show implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();
    @Mixin Selection selection = new Selection();

    @Override
    public Integer call() {
      print(spec, selection.fetch(admin));
      return 0;
    }
  }

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = {
        "Export a hosted trust domain's bundle, to stdout or --out FILE (as show, plus --out).",
        "Give the file to a peer for `bundle import` or as the --bootstrap-bundle of its"
            + " `federation create`. It holds only public certificates."
      })
  static final class Export implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();
    @Mixin Selection selection = new Selection();

    @Option(
        names = "--out",
        paramLabel = "FILE",
        description = "Write the bundle to FILE (replaced atomically) instead of stdout.")
    Path out;

    @Override
    public Integer call() throws IOException {
      byte[] document = selection.fetch(admin);
      if (out == null) {
        print(spec, document);
        return 0;
      }
      Path target = out.toAbsolutePath();
      Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
      try {
        Files.write(temp, document);
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(temp);
      }
      spec.commandLine().getOut().println("Wrote " + out);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  @Command(
      name = "import",
      mixinStandardHelpOptions = true,
      description = {
        "Store a peer trust domain's bundle given by hand, for meshes with no network path"
            + " between them.",
        "It replaces the peer's current bundle at once: local identities granted the trust"
            + " domain (entry create --federates-with) receive it on their next fetch, and accept"
            + " exactly the certificates that chain to its authorities. Where a federation"
            + " relationship exists, its next successful poll replaces the imported bundle."
      })
  static final class Import implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Option(
        names = "--trust-domain",
        required = true,
        paramLabel = "TD",
        description = "The peer's trust domain (not one hosted here).")
    String trustDomain;

    @Parameters(
        paramLabel = "FILE",
        description = "The bundle: a SPIFFE bundle JSON document or PEM certificates.")
    Path file;

    @Override
    public Integer call() {
      byte[] bundle = InputFiles.read(spec, "FILE", file);
      ImportBundleResponse response =
          admin.call(
              channel ->
                  BundleAdminGrpc.newBlockingStub(channel)
                      .importBundle(
                          ImportBundleRequest.newBuilder()
                              .setTrustDomain(trustDomain)
                              .setBundle(ByteString.copyFrom(bundle))
                              .build()));
      int count = response.getX509Authorities();
      spec.commandLine()
          .getOut()
          .printf(
              "Imported the bundle of %s: %d X.509 authorit%s, sequence %s%n",
              trustDomain,
              count,
              count == 1 ? "y" : "ies",
              response.getSequence() == 0 ? "none" : Long.toString(response.getSequence()));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
