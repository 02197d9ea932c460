package dev.trustbridge.ca.cli;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.tls.ClientTls;
import dev.trustbridge.proto.admin.v1.GetPolicyRequest;
import dev.trustbridge.proto.admin.v1.PolicyAdminGrpc;
import dev.trustbridge.proto.admin.v1.PolicyDocument;
import dev.trustbridge.proto.admin.v1.SetPolicyRequest;
import dev.trustbridge.proto.ca.v1.AuthorizeRequest;
import dev.trustbridge.proto.ca.v1.AuthorizeResponse;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.policy.IstioAuthorizationPolicyExporter;
import dev.trustbridge.spiffe.policy.Policy;
import dev.trustbridge.spiffe.policy.PolicyCodec;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code trustbridge policy show|set|decide|export-istio}: the per-identity policy. */
@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    description = "The per-identity policy for federated identities.",
    subcommands = {
      PolicyCommand.Show.class,
      PolicyCommand.Replace.class,
      PolicyCommand.Decide.class,
      PolicyCommand.ExportIstio.class
    })
final class PolicyCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Runs one call on a fresh admin channel. */
  static <T> T withChannel(AdminOptions admin, Function<ManagedChannel, T> call) {
    ManagedChannel channel = admin.connect();
    try {
      return call.apply(channel);
    } finally {
      ClientTls.shutdown(channel);
    }
  }

  static PolicyDocument get(AdminOptions admin, Long version) {
    GetPolicyRequest.Builder request = GetPolicyRequest.newBuilder();
    if (version != null) {
      request.setVersion(version);
    }
    return withChannel(admin, c -> PolicyAdminGrpc.newBlockingStub(c).getPolicy(request.build()));
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Print the policy as a JSON document (the format of policy set).")
  static final class Show implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Option(
        names = "--version",
        paramLabel = "N",
        description = "A stored version; default: current.")
    Long version;

    @Override
    public Integer call() {
      PolicyDocument document = get(admin, version);
      PrintWriter out = spec.commandLine().getOut();
      out.println(document.getPolicy().toString(StandardCharsets.UTF_8));
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description =
          "Replace the whole policy with a JSON document; the server validates it and stores it as"
              + " the next version (the document's version member is ignored).")
  static final class Replace implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Parameters(paramLabel = "FILE", description = "The policy document (JSON).")
    Path file;

    @Option(
        names = "--expected-version",
        paramLabel = "N",
        description = "Refuse the change unless the current version is N.")
    Long expectedVersion;

    @Override
    public Integer call() {
      byte[] document;
      try {
        document = Files.readAllBytes(file);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
      SetPolicyRequest.Builder request =
          SetPolicyRequest.newBuilder().setPolicy(ByteString.copyFrom(document));
      if (expectedVersion != null) {
        request.setExpectedVersion(expectedVersion);
      }
      PolicyDocument stored =
          withChannel(admin, c -> PolicyAdminGrpc.newBlockingStub(c).setPolicy(request.build()));
      spec.commandLine().getOut().printf("policy version %d stored%n", stored.getVersion());
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  @Command(
      name = "decide",
      mixinStandardHelpOptions = true,
      description = "Ask the server whether a peer ID may call a local ID (the Authorize API).")
  static final class Decide implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Option(names = "--local", required = true, paramLabel = "ID", description = "The callee.")
    String local;

    @Option(names = "--peer", required = true, paramLabel = "ID", description = "The caller.")
    String peer;

    @Override
    public Integer call() {
      AuthorizeResponse response =
          withChannel(
              admin,
              c ->
                  CertificateAuthorityGrpc.newBlockingStub(c)
                      .authorize(
                          AuthorizeRequest.newBuilder().setLocalId(local).setPeerId(peer).build()));
      PrintWriter out = spec.commandLine().getOut();
      out.printf(
          "Decision      : %s%n",
          response.getVerdict() == AuthorizeResponse.Verdict.VERDICT_ALLOW ? "ALLOW" : "DENY");
      out.printf(
          "Matched rule  : %s%n",
          response.getMatchedRule().isEmpty() ? "-" : response.getMatchedRule());
      out.printf("Reason        : %s%n", response.getReason());
      out.printf("Policy version: %d%n", response.getPolicyVersion());
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "export-istio",
      mixinStandardHelpOptions = true,
      description =
          "Print the foreign callers the current policy allows a local identity as an Istio"
              + " AuthorizationPolicy (YAML).")
  static final class ExportIstio implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Option(names = "--spiffe-id", required = true, description = "The local identity.")
    String spiffeId;

    @Option(names = "--namespace", required = true, description = "The Kubernetes namespace.")
    String namespace;

    @Option(
        names = "--selector",
        required = true,
        paramLabel = "KEY=VALUE",
        description = "A workload selector label; repeatable.")
    Map<String, String> selector = new LinkedHashMap<>();

    @Override
    public Integer call() {
      SpiffeId local = SpiffeId.parse(spiffeId);
      Policy policy = PolicyCodec.parse(get(admin, null).getPolicy().toByteArray());
      spec.commandLine()
          .getOut()
          .print(IstioAuthorizationPolicyExporter.export(policy, local, namespace, selector));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
