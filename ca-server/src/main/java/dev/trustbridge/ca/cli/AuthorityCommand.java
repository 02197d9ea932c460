package dev.trustbridge.ca.cli;

import dev.trustbridge.proto.admin.v1.Authority;
import dev.trustbridge.proto.admin.v1.AuthorityAdminGrpc;
import dev.trustbridge.proto.admin.v1.AuthorityIdRequest;
import dev.trustbridge.proto.admin.v1.AuthorityKindRequest;
import dev.trustbridge.proto.admin.v1.ListAuthoritiesRequest;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code trustbridge authority list|prepare|activate|taint|revoke}. */
@Command(
    name = "authority",
    mixinStandardHelpOptions = true,
    description = {
      "The CAs of a hosted trust domain (its authority journal) and their rotation.",
      "A CA moves PREPARED -> ACTIVE -> OLD. Roots are the trust anchors in the trust domain's"
          + " bundle (what workloads and federated peers trust); intermediates sign the workload"
          + " certificates and are never in the bundle. The server rotates on its own at"
          + " ca.prepare_at_percent and ca.activate_at_percent of a CA's life; these commands"
          + " take the steps now."
    },
    subcommands = {
      AuthorityCommand.ListAuthorities.class,
      AuthorityCommand.Prepare.class,
      AuthorityCommand.Activate.class,
      AuthorityCommand.Taint.class,
      AuthorityCommand.Revoke.class
    })
final class AuthorityCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The two kinds of CA, spelled as the admin API spells them. */
  enum Kind {
    root,
    intermediate
  }

  /** Which hosted trust domain. */
  static final class TrustDomainOption {
    @Option(
        names = "--trust-domain",
        paramLabel = "TD",
        description = "A hosted trust domain (default: the first hosted trust domain).")
    String trustDomain = "";
  }

  static <T> T withStub(
      AdminOptions admin, Function<AuthorityAdminGrpc.AuthorityAdminBlockingStub, T> call) {
    return admin.call(channel -> call.apply(AuthorityAdminGrpc.newBlockingStub(channel)));
  }

  static void print(PrintWriter out, Authority a) {
    out.printf("ID          : %s%n", a.getId());
    out.printf("Trust domain: %s%n", a.getTrustDomain());
    out.printf("Kind        : %s%n", a.getKind());
    out.printf("State       : %s%n", a.getState());
    out.printf("Issuer      : %s%n", a.getIssuerId().isEmpty() ? "(self-signed)" : a.getIssuerId());
    out.printf("Serial      : %s%n", a.getSerial());
    out.printf("Not before  : %s%n", TextTable.time(a.getNotBefore()));
    out.printf("Not after   : %s%n", TextTable.time(a.getNotAfter()));
    out.printf("Tainted     : %s%n", TextTable.yesNo(a.getTainted()));
    out.printf("Revoked     : %s%n", TextTable.yesNo(a.getRevoked()));
    out.printf("In bundle   : %s%n", TextTable.yesNo(a.getInBundle()));
    out.flush();
  }

  private static AuthorityKindRequest kindRequest(TrustDomainOption td, Kind kind, boolean force) {
    return AuthorityKindRequest.newBuilder()
        .setTrustDomain(td.trustDomain)
        .setKind(kind.name())
        .setForce(force)
        .build();
  }

  private static AuthorityIdRequest idRequest(TrustDomainOption td, String id) {
    return AuthorityIdRequest.newBuilder().setTrustDomain(td.trustDomain).setId(id).build();
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the trust domain's CAs, oldest first. Changes nothing.")
  static final class ListAuthorities implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();
    @Mixin TrustDomainOption td = new TrustDomainOption();

    @Override
    public Integer call() {
      List<Authority> authorities =
          withStub(
                  admin,
                  stub ->
                      stub.listAuthorities(
                          ListAuthoritiesRequest.newBuilder()
                              .setTrustDomain(td.trustDomain)
                              .build()))
              .getAuthoritiesList();
      TextTable table =
          new TextTable(
              "ID", "KIND", "STATE", "NOT AFTER", "TAINTED", "REVOKED", "IN BUNDLE", "ISSUER");
      for (Authority a : authorities) {
        table.row(
            a.getId(),
            a.getKind(),
            a.getState(),
            TextTable.time(a.getNotAfter()),
            TextTable.yesNo(a.getTainted()),
            TextTable.yesNo(a.getRevoked()),
            a.getKind().equals(Kind.root.name()) ? TextTable.yesNo(a.getInBundle()) : "-",
            TextTable.orDash(a.getIssuerId()));
      }
      table.print(spec.commandLine().getOut());
      return 0;
    }
  }

  @Command(
      name = "prepare",
      mixinStandardHelpOptions = true,
      description = {
        "Create a successor of the active root or intermediate now, in state PREPARED.",
        "root: a new self-signed root is added to the trust domain's bundle at once (the bundle"
            + " sequence goes up; workloads receive it on their next fetch, federated peers on"
            + " their next poll). It signs nothing until activated.",
        "intermediate: a new intermediate signed by the active root; the bundle does not change"
            + " and it signs nothing until activated.",
        "Issued certificates are not affected. Fails if one of that kind is prepared already."
      })
  static final class Prepare implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();
    @Mixin TrustDomainOption td = new TrustDomainOption();

    @Parameters(paramLabel = "KIND", description = "root or intermediate.")
    Kind kind;

    @Override
    public Integer call() {
      Authority prepared =
          withStub(admin, stub -> stub.prepareAuthority(kindRequest(td, kind, false)));
      spec.commandLine().getOut().printf("Prepared %s %s%n", kind, prepared.getId());
      print(spec.commandLine().getOut(), prepared);
      return 0;
    }
  }

  @Command(
      name = "activate",
      mixinStandardHelpOptions = true,
      description = {
        "Make the prepared root or intermediate the ACTIVE one now; the previous one becomes OLD.",
        "root: the new root signs a new intermediate at once, which signs every certificate from"
            + " now on. The old root stays in the bundle until the last intermediate it signed"
            + " has expired, so certificates issued before keep validating. Refused unless the"
            + " root has been in the bundle for 3 refresh hints (so that peers have it), unless"
            + " --force.",
        "intermediate: it signs every certificate from now on; certificates signed by the old"
            + " one keep validating (the bundle does not change).",
        "Fails if none of that kind is prepared."
      })
  static final class Activate implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();
    @Mixin TrustDomainOption td = new TrustDomainOption();

    @Parameters(paramLabel = "KIND", description = "root or intermediate.")
    Kind kind;

    @Option(
        names = "--force",
        description =
            "Activate a root that peers may not have yet: until they poll again they reject"
                + " every certificate the new root's chain signs.")
    boolean force;

    @Override
    public Integer call() {
      Authority active =
          withStub(admin, stub -> stub.activateAuthority(kindRequest(td, kind, force)));
      spec.commandLine().getOut().printf("Activated %s %s%n", kind, active.getId());
      print(spec.commandLine().getOut(), active);
      return 0;
    }
  }

  @Command(
      name = "taint",
      mixinStandardHelpOptions = true,
      description = {
        "Mark a CA as compromised or otherwise unfit, so that it is rotated out now.",
        "Active intermediate: replaced at once by a new one, and signs nothing more.",
        "Active root: a successor is prepared and published in the bundle at once; the tainted"
            + " root keeps signing intermediates until you `authority activate root` (best after"
            + " peers have polled the new bundle).",
        "Certificates already issued keep validating: taint, rotate, then `authority revoke` to"
            + " cut them off."
      })
  static final class Taint implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();
    @Mixin TrustDomainOption td = new TrustDomainOption();

    @Parameters(paramLabel = "ID", description = "The authority ID (see `authority list`).")
    String id;

    @Override
    public Integer call() {
      Authority tainted = withStub(admin, stub -> stub.taintAuthority(idRequest(td, id)));
      spec.commandLine().getOut().printf("Tainted %s %s%n", tainted.getKind(), tainted.getId());
      print(spec.commandLine().getOut(), tainted);
      return 0;
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = {
        "Revoke a tainted, OLD CA. Refused for any other CA (taint it and rotate first).",
        "root: it is removed from the trust domain's bundle at once, so every certificate"
            + " chaining to it (its intermediates and every workload certificate they signed,"
            + " unexpired ones too) stops validating at once for local workloads, and for federated"
            + " peers on their next poll.",
        "intermediate: it is marked revoked, but bundles hold only roots and there are no CRLs:"
            + " certificates it signed keep validating until they expire. To cut them off, rotate"
            + " and revoke the root that signed it."
      })
  static final class Revoke implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();
    @Mixin TrustDomainOption td = new TrustDomainOption();

    @Parameters(paramLabel = "ID", description = "The authority ID (see `authority list`).")
    String id;

    @Override
    public Integer call() {
      Authority revoked = withStub(admin, stub -> stub.revokeAuthority(idRequest(td, id)));
      spec.commandLine().getOut().printf("Revoked %s %s%n", revoked.getKind(), revoked.getId());
      print(spec.commandLine().getOut(), revoked);
      return 0;
    }
  }
}
