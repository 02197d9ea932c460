package dev.trustbridge.ca.cli;

import dev.trustbridge.ca.tls.ClientTls;
import dev.trustbridge.proto.admin.v1.CreateEntryRequest;
import dev.trustbridge.proto.admin.v1.DeleteEntryRequest;
import dev.trustbridge.proto.admin.v1.Entry;
import dev.trustbridge.proto.admin.v1.EntryAdminGrpc;
import dev.trustbridge.proto.admin.v1.GetEntryRequest;
import dev.trustbridge.proto.admin.v1.ListEntriesRequest;
import io.grpc.ManagedChannel;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code trustbridge entry create|list|show|delete}. */
@Command(
    name = "entry",
    mixinStandardHelpOptions = true,
    description = "Manage registration entries.",
    subcommands = {
      EntryCommand.Create.class,
      EntryCommand.ListEntries.class,
      EntryCommand.Show.class,
      EntryCommand.Delete.class
    })
final class EntryCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static void print(PrintWriter out, Entry entry) {
    out.printf("Entry ID      : %s%n", entry.getId());
    out.printf("SPIFFE ID     : %s%n", entry.getSpiffeId());
    out.printf("Parent ID     : %s%n", entry.getParentId());
    out.printf(
        "TTL           : %s%n",
        entry.getTtlSeconds() == 0 ? "default" : entry.getTtlSeconds() + "s");
    out.printf("DNS names     : %s%n", String.join(", ", entry.getDnsNamesList()));
    out.printf("Admin         : %s%n", entry.getAdmin());
    out.printf("Federates with: %s%n", String.join(", ", entry.getFederatesWithList()));
    out.printf("Created at    : %s%n", Instant.ofEpochSecond(entry.getCreatedAt()));
    out.println();
  }

  /** Runs one admin call on a fresh channel. */
  static <T> T call(AdminOptions admin, Function<EntryAdminGrpc.EntryAdminBlockingStub, T> call) {
    ManagedChannel channel = admin.connect();
    try {
      return call.apply(EntryAdminGrpc.newBlockingStub(channel));
    } finally {
      ClientTls.shutdown(channel);
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an entry.")
  static final class Create implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Option(names = "--spiffe-id", required = true, description = "The workload's SPIFFE ID.")
    String spiffeId;

    @Option(
        names = "--parent-id",
        required = true,
        description = "The agent SPIFFE ID allowed to obtain it.")
    String parentId;

    @Option(
        names = "--ttl",
        description = "SVID lifetime, e.g. 1h (default: the trust domain's).",
        converter = DurationConverter.class)
    Duration ttl;

    @Option(names = "--dns", description = "DNS name for the SVID (repeatable).")
    List<String> dnsNames = new ArrayList<>();

    @Option(names = "--admin", description = "The identity may call the admin APIs.")
    boolean isAdmin;

    @Option(
        names = "--federates-with",
        description = "Trust domain whose bundle the identity receives (repeatable).")
    List<String> federatesWith = new ArrayList<>();

    @Override
    public Integer call() {
      Entry created =
          EntryCommand.call(
              admin,
              stub ->
                  stub.createEntry(
                      CreateEntryRequest.newBuilder()
                          .setEntry(
                              Entry.newBuilder()
                                  .setSpiffeId(spiffeId)
                                  .setParentId(parentId)
                                  .setTtlSeconds(ttl == null ? 0 : ttl.toSeconds())
                                  .addAllDnsNames(dnsNames)
                                  .setAdmin(isAdmin)
                                  .addAllFederatesWith(federatesWith))
                          .build()));
      print(spec.commandLine().getOut(), created);
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List entries.")
  static final class ListEntries implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Option(names = "--parent-id", description = "Only entries with this parent.")
    String parentId = "";

    @Option(names = "--spiffe-id", description = "Only entries for this SPIFFE ID.")
    String spiffeId = "";

    @Override
    public Integer call() {
      List<Entry> entries =
          EntryCommand.call(
                  admin,
                  stub ->
                      stub.listEntries(
                          ListEntriesRequest.newBuilder()
                              .setParentId(parentId)
                              .setSpiffeId(spiffeId)
                              .build()))
              .getEntriesList();
      PrintWriter out = spec.commandLine().getOut();
      out.printf("Found %d entr%s%n%n", entries.size(), entries.size() == 1 ? "y" : "ies");
      entries.forEach(e -> print(out, e));
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one entry.")
  static final class Show implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Parameters(paramLabel = "ENTRY_ID", description = "The entry ID.")
    String id;

    @Override
    public Integer call() {
      Entry entry =
          EntryCommand.call(
              admin, stub -> stub.getEntry(GetEntryRequest.newBuilder().setId(id).build()));
      print(spec.commandLine().getOut(), entry);
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete an entry.")
  static final class Delete implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin AdminOptions admin = new AdminOptions();

    @Parameters(paramLabel = "ENTRY_ID", description = "The entry ID.")
    String id;

    @Override
    public Integer call() {
      EntryCommand.call(
          admin, stub -> stub.deleteEntry(DeleteEntryRequest.newBuilder().setId(id).build()));
      spec.commandLine().getOut().println("Deleted entry " + id);
      return 0;
    }
  }
}
