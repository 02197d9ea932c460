package dev.trustbridge.ca.cli;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code trustbridge} command: the server and its admin and agent tools in one jar. */
@Command(
    name = "trustbridge",
    mixinStandardHelpOptions = true,
    version = "trustbridge 0.1.0",
    description = "SPIFFE certificate authority and trust-bundle federation service.",
    subcommands = {
      ServeCommand.class,
      TokenCommand.class,
      EntryCommand.class,
      X509Command.class,
      BundleCommand.class,
      FederationCommand.class,
      AuthorityCommand.class,
      PolicyCommand.class,
      CommandLine.HelpCommand.class
    })
public final class TrustbridgeCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the CLI with the given streams and returns the exit code (for tests). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new TrustbridgeCli());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("error: " + describe(e));
          return e instanceof StatusRuntimeException ? 3 : 1;
        });
    return cli.execute(args);
  }

  static String describe(Throwable e) {
    if (e instanceof StatusRuntimeException sre) {
      return sre.getStatus().getCode()
          + (sre.getStatus().getDescription() == null
              ? ""
              : ": " + sre.getStatus().getDescription());
    }
    if (e instanceof TrustbridgeException te) {
      return te.getMessage();
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
