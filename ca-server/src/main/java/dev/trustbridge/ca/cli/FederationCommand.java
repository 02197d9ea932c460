package dev.trustbridge.ca.cli;

import com.google.protobuf.ByteString;
import dev.trustbridge.proto.admin.v1.FederationAdminGrpc;
import dev.trustbridge.proto.admin.v1.GetRelationshipRequest;
import dev.trustbridge.proto.admin.v1.ListRelationshipsRequest;
import dev.trustbridge.proto.admin.v1.Relationship;
import dev.trustbridge.proto.admin.v1.RelationshipState;
import dev.trustbridge.spiffe.bundle.PemBundles;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code trustbridge federation create|list|show|update|delete|refresh}. */
@Command(
    name = "federation",
    mixinStandardHelpOptions = true,
    description = {
      "Federation relationships with peer trust domains (SPIFFE federation).",
      "For each relationship the server polls the peer's bundle endpoint at the peer's refresh"
          + " hint, keeps the last good bundle, and hands it to the local identities granted it"
          + " (entry create --federates-with). It never merges bundles across trust domains."
    },
    subcommands = {
      FederationCommand.Create.class,
      FederationCommand.ListRelationships.class,
      FederationCommand.Show.class,
      FederationCommand.Update.class,
      FederationCommand.Delete.class,
      FederationCommand.Refresh.class
    })
final class FederationCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The two profiles of the SPIFFE Federation spec, spelled as it spells them. */
  enum Profile {
    https_spiffe,
    https_web
  }

  static <T> T withStub(
      AdminOptions admin, Function<FederationAdminGrpc.FederationAdminBlockingStub, T> call) {
    return admin.call(channel -> call.apply(FederationAdminGrpc.newBlockingStub(channel)));
  }

  static GetRelationshipRequest byTrustDomain(String trustDomain) {
    return GetRelationshipRequest.newBuilder().setTrustDomain(trustDomain).build();
  }

  /** The options of create and update; update keeps what is not given. */
  static final class RelationshipOptions {
    @Option(
        names = "--url",
        paramLabel = "URL",
        description = "https URL of the peer's bundle endpoint, e.g. https://127.0.0.1:8544/.")
    String url;

    @Option(
        names = "--profile",
        paramLabel = "PROFILE",
        description =
            "https_spiffe: the endpoint must present an X509-SVID with --endpoint-spiffe-id,"
                + " verified against --bootstrap-bundle and then against the peer's own bundle as"
                + " it rotates. https_web: the endpoint must present a Web PKI certificate for the"
                + " URL's host, verified against --web-trust-anchors or the system roots.")
    Profile profile;

    @Option(
        names = "--endpoint-spiffe-id",
        paramLabel = "ID",
        description =
            "https_spiffe only: the SPIFFE ID the endpoint's SVID must carry; for a Trustbridge"
                + " peer spiffe://<peer trust domain>/trustbridge/server.")
    String endpointSpiffeId;

    @Option(
        names = "--bootstrap-bundle",
        paramLabel = "FILE",
        description =
            "https_spiffe only: trust anchors of the endpoint's trust domain (SPIFFE bundle JSON"
                + " or PEM, e.g. the output of `bundle export` on the peer), used until the first"
                + " successful poll.")
    Path bootstrapBundle;

    @Option(
        names = "--web-trust-anchors",
        paramLabel = "FILE",
        description =
            "https_web only: PEM CA certificates that authenticate the endpoint (default: the"
                + " system roots).")
    Path webTrustAnchors;

    /** {@code base} with the given options applied and checked. */
    Relationship apply(CommandSpec spec, String trustDomain, Relationship base) {
      Relationship.Builder r = base.toBuilder().clearState().setTrustDomain(trustDomain);
      if (url != null) {
        r.setBundleEndpointUrl(url);
      }
      if (profile != null && !profile.name().equals(r.getProfile())) {
        r.setProfile(profile.name())
            .clearEndpointSpiffeId()
            .clearBootstrapBundle()
            .clearWebTrustAnchors();
      }
      if (endpointSpiffeId != null) {
        r.setEndpointSpiffeId(endpointSpiffeId);
      }
      if (bootstrapBundle != null) {
        r.setBootstrapBundle(
            ByteString.copyFrom(InputFiles.read(spec, "--bootstrap-bundle", bootstrapBundle)));
      }
      if (webTrustAnchors != null) {
        r.setWebTrustAnchors(
            ByteString.copyFrom(InputFiles.read(spec, "--web-trust-anchors", webTrustAnchors)));
      }
      check(spec, r);
      return r.build();
    }

    private static void check(CommandSpec spec, Relationship.Builder r) {
      if (r.getProfile().equals(Profile.https_spiffe.name())) {
        if (r.getEndpointSpiffeId().isEmpty() || r.getBootstrapBundle().isEmpty()) {
          throw new ParameterException(
              spec.commandLine(),
              "--profile https_spiffe needs --endpoint-spiffe-id and --bootstrap-bundle");
        }
        if (!r.getWebTrustAnchors().isEmpty()) {
          throw new ParameterException(
              spec.commandLine(), "--web-trust-anchors is only for --profile https_web");
        }
      } else if (!r.getEndpointSpiffeId().isEmpty() || !r.getBootstrapBundle().isEmpty()) {
        throw new ParameterException(
            spec.commandLine(),
            "--endpoint-spiffe-id and --bootstrap-bundle are only for --profile https_spiffe");
      }
    }
  }

  static void print(PrintWriter out, Relationship r) {
    RelationshipState s = r.getState();
    out.printf("Trust domain         : %s%n", r.getTrustDomain());
    out.printf("Bundle endpoint URL  : %s%n", r.getBundleEndpointUrl());
    out.printf("Profile              : %s%n", r.getProfile());
    if (r.getProfile().equals(Profile.https_spiffe.name())) {
      out.printf("Endpoint SPIFFE ID   : %s%n", r.getEndpointSpiffeId());
      out.printf("Bootstrap bundle     : %s%n", describeBootstrap(r));
    } else {
      out.printf("Web trust anchors    : %s%n", describeWebAnchors(r));
    }
    out.printf("Status               : %s%n", status(s));
    out.printf("Has bundle           : %s%n", TextTable.yesNo(s.getHasBundle()));
    out.printf("Sequence             : %s%n", sequence(s));
    out.printf("Last attempt         : %s%n", TextTable.time(s.getLastAttempt()));
    out.printf("Last success         : %s%n", TextTable.time(s.getLastSuccess()));
    out.printf("Last error           : %s%n", TextTable.orDash(s.getLastError()));
    out.printf("Last error at        : %s%n", TextTable.time(s.getLastErrorAt()));
    out.printf("Consecutive failures : %d%n", s.getConsecutiveFailures());
    out.printf("Next poll            : %s%n", TextTable.time(s.getNextPoll()));
    out.printf(
        "Authorities expire   : %s .. %s%n",
        TextTable.time(s.getEarliestAuthorityExpiry()),
        TextTable.time(s.getLatestAuthorityExpiry()));
    out.println();
    out.flush();
  }

  // ListRelationships does not fill has_bundle; 0 means "no bundle, or a bundle without one".
  private static String sequence(RelationshipState s) {
    return s.getSequence() == 0 ? "-" : Long.toString(s.getSequence());
  }

  static String status(RelationshipState s) {
    if (s.getConsecutiveFailures() > 0) {
      return "failing (" + s.getConsecutiveFailures() + " consecutive failed polls)";
    }
    return s.getLastSuccess() == 0 ? "not polled yet" : "healthy";
  }

  private static String describeBootstrap(Relationship r) {
    try {
      TrustDomain td = SpiffeId.parse(r.getEndpointSpiffeId()).trustDomain();
      return count(
          SpiffeBundleCodec.parse(td, r.getBootstrapBundle().toByteArray())
              .x509Authorities()
              .size());
    } catch (RuntimeException e) {
      return r.getBootstrapBundle().size() + " bytes";
    }
  }

  private static String describeWebAnchors(Relationship r) {
    if (r.getWebTrustAnchors().isEmpty()) {
      return "system roots";
    }
    try {
      TrustDomain td = TrustDomain.parse(r.getTrustDomain());
      return count(
          PemBundles.readBundle(td, r.getWebTrustAnchors().toByteArray()).x509Authorities().size());
    } catch (RuntimeException e) {
      return r.getWebTrustAnchors().size() + " bytes";
    }
  }

  private static String count(int authorities) {
    return authorities + " X.509 authorit" + (authorities == 1 ? "y" : "ies");
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Create a relationship with a peer trust domain and start polling its bundle endpoint.",
        "--url and --profile are required; https_spiffe also needs --endpoint-spiffe-id and"
            + " --bootstrap-bundle. Local identities receive the peer's bundle only once granted"
            + " (entry create --federates-with TD)."
      })
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();
    @Mixin RelationshipOptions options = new RelationshipOptions();

    @Option(
        names = "--trust-domain",
        required = true,
        paramLabel = "TD",
        description = "The peer's trust domain, e.g. mesh-b.example (never taken from the URL).")
    String trustDomain;

    @Override
    public Integer call() {
      if (options.url == null || options.profile == null) {
        throw new ParameterException(spec.commandLine(), "create needs --url and --profile");
      }
      Relationship request = options.apply(spec, trustDomain, Relationship.getDefaultInstance());
      Relationship created = withStub(admin, stub -> stub.createRelationship(request));
      PrintWriter out = spec.commandLine().getOut();
      out.printf(
          "Created federation relationship with %s; polling starts now"
              + " (`federation refresh %s` polls at once).%n%n",
          created.getTrustDomain(), created.getTrustDomain());
      print(out, created);
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List relationships with their last poll results.")
  static final class ListRelationships implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Override
    public Integer call() {
      List<Relationship> relationships =
          withStub(
                  admin,
                  stub -> stub.listRelationships(ListRelationshipsRequest.getDefaultInstance()))
              .getRelationshipsList();
      PrintWriter out = spec.commandLine().getOut();
      if (relationships.isEmpty()) {
        out.println("No federation relationships.");
        out.flush();
        return 0;
      }
      TextTable table =
          new TextTable(
              "TRUST DOMAIN",
              "URL",
              "PROFILE",
              "LAST SUCCESS",
              "LAST ERROR",
              "SEQUENCE",
              "NEXT POLL");
      for (Relationship r : relationships) {
        RelationshipState s = r.getState();
        table.row(
            r.getTrustDomain(),
            r.getBundleEndpointUrl(),
            r.getProfile(),
            TextTable.time(s.getLastSuccess()),
            s.getConsecutiveFailures() > 0 ? TextTable.orDash(s.getLastError()) : "-",
            sequence(s),
            TextTable.time(s.getNextPoll()));
      }
      table.print(out);
      return 0;
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Show one relationship and all of its state.")
  static final class Show implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Parameters(paramLabel = "TD", description = "The peer's trust domain.")
    String trustDomain;

    @Override
    public Integer call() {
      print(
          spec.commandLine().getOut(),
          withStub(admin, stub -> stub.getRelationship(byTrustDomain(trustDomain))));
      return 0;
    }
  }

  @Command(
      name = "update",
      mixinStandardHelpOptions = true,
      description = {
        "Change a relationship; options not given keep their current values.",
        "Changing --profile drops the other profile's settings. The last good bundle is kept"
            + " until a poll with the new settings succeeds."
      })
  static final class Update implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();
    @Mixin RelationshipOptions options = new RelationshipOptions();

    @Option(
        names = "--trust-domain",
        required = true,
        paramLabel = "TD",
        description = "The peer's trust domain.")
    String trustDomain;

    @Override
    public Integer call() {
      Relationship updated =
          withStub(
              admin,
              stub -> {
                Relationship current = stub.getRelationship(byTrustDomain(trustDomain));
                return stub.updateRelationship(options.apply(spec, trustDomain, current));
              });
      PrintWriter out = spec.commandLine().getOut();
      out.printf("Updated federation relationship with %s.%n%n", updated.getTrustDomain());
      print(out, updated);
      return 0;
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = {
        "Delete a relationship: polling stops and the peer's bundle is deleted at once.",
        "Local workloads stop receiving that bundle on their next fetch (watchers are pushed the"
            + " change), so they stop accepting the peer's certificates."
      })
  static final class Delete implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Parameters(paramLabel = "TD", description = "The peer's trust domain.")
    String trustDomain;

    @Override
    public Integer call() {
      withStub(admin, stub -> stub.deleteRelationship(byTrustDomain(trustDomain)));
      spec.commandLine().getOut().println("Deleted federation relationship with " + trustDomain);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  @Command(
      name = "refresh",
      mixinStandardHelpOptions = true,
      description = {
        "Poll the peer's bundle endpoint now and print the resulting state.",
        "Exits with 1 if the poll failed (the last good bundle is kept)."
      })
  static final class Refresh implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Parameters(paramLabel = "TD", description = "The peer's trust domain.")
    String trustDomain;

    @Override
    public Integer call() {
      Relationship refreshed =
          withStub(admin, stub -> stub.refreshRelationship(byTrustDomain(trustDomain)));
      print(spec.commandLine().getOut(), refreshed);
      if (refreshed.getState().getConsecutiveFailures() > 0) {
        spec.commandLine()
            .getErr()
            .printf(
                "error: refresh of %s failed: %s%n",
                trustDomain, refreshed.getState().getLastError());
        spec.commandLine().getErr().flush();
        return 1;
      }
      return 0;
    }
  }
}
