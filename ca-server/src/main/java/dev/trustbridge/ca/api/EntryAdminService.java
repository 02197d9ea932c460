package dev.trustbridge.ca.api;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditLog;
import dev.trustbridge.ca.entry.EntryStore;
import dev.trustbridge.ca.entry.RegistrationEntry;
import dev.trustbridge.proto.admin.v1.CreateEntryRequest;
import dev.trustbridge.proto.admin.v1.DeleteEntryRequest;
import dev.trustbridge.proto.admin.v1.DeleteEntryResponse;
import dev.trustbridge.proto.admin.v1.Entry;
import dev.trustbridge.proto.admin.v1.EntryAdminGrpc;
import dev.trustbridge.proto.admin.v1.GetEntryRequest;
import dev.trustbridge.proto.admin.v1.ListEntriesRequest;
import dev.trustbridge.proto.admin.v1.ListEntriesResponse;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** {@code trustbridge.admin.v1.EntryAdmin}: registration entries. */
public final class EntryAdminService implements BindableService {
  private static final Pattern DNS_NAME =
      Pattern.compile(
          "(?=.{1,253}$)(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

  private final Impl impl;

  /**
   * @param onChange called after every change of entries, whose grants decide who receives which
   *     bundles
   */
  public EntryAdminService(
      EntryStore entries,
      Set<TrustDomain> hosted,
      Duration maxTtl,
      AuditLog audit,
      Clock clock,
      Runnable onChange) {
    this.impl = new Impl(entries, hosted, maxTtl, audit, clock, onChange);
  }

  @Override
  public ServerServiceDefinition bindService() {
    return impl.bindService();
  }

  static Entry toProto(RegistrationEntry entry) {
    return Entry.newBuilder()
        .setId(entry.id())
        .setSpiffeId(entry.spiffeId().toString())
        .setParentId(entry.parentId().toString())
        .setTtlSeconds(entry.ttl().map(Duration::toSeconds).orElse(0L))
        .addAllDnsNames(entry.dnsNames())
        .setAdmin(entry.admin())
        .addAllFederatesWith(
            entry.federatesWith().stream().map(TrustDomain::name).sorted().toList())
        .setCreatedAt(entry.createdAt().getEpochSecond())
        .build();
  }

  private static final class Impl extends EntryAdminGrpc.EntryAdminImplBase {
    private final EntryStore entries;
    private final Set<TrustDomain> hosted;
    private final Duration maxTtl;
    private final AuditLog audit;
    private final Clock clock;
    private final Runnable onChange;

    Impl(
        EntryStore entries,
        Set<TrustDomain> hosted,
        Duration maxTtl,
        AuditLog audit,
        Clock clock,
        Runnable onChange) {
      this.onChange = Objects.requireNonNull(onChange, "onChange");
      this.entries = Objects.requireNonNull(entries, "entries");
      this.hosted = Set.copyOf(hosted);
      this.maxTtl = Objects.requireNonNull(maxTtl, "maxTtl");
      this.audit = Objects.requireNonNull(audit, "audit");
      this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public void createEntry(CreateEntryRequest request, StreamObserver<Entry> response) {
      try {
        RegistrationEntry created = entries.create(fromProto(request.getEntry()));
        audited("entry.create", created.spiffeId().toString(), "id=" + created.id());
        onChange.run();
        response.onNext(toProto(created));
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void listEntries(
        ListEntriesRequest request, StreamObserver<ListEntriesResponse> response) {
      try {
        List<RegistrationEntry> found;
        Optional<SpiffeId> parent = optional("parent_id", request.getParentId());
        Optional<SpiffeId> id = optional("spiffe_id", request.getSpiffeId());
        if (id.isPresent()) {
          found = entries.listBySpiffeId(id.get());
        } else if (parent.isPresent()) {
          found = entries.listByParent(parent.get());
        } else {
          found = entries.list();
        }
        List<Entry> filtered =
            found.stream()
                .filter(e -> parent.map(p -> p.equals(e.parentId())).orElse(true))
                .map(EntryAdminService::toProto)
                .toList();
        response.onNext(ListEntriesResponse.newBuilder().addAllEntries(filtered).build());
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void getEntry(GetEntryRequest request, StreamObserver<Entry> response) {
      try {
        RegistrationEntry entry =
            entries
                .get(request.getId())
                .orElseThrow(
                    () ->
                        new TrustbridgeException(
                            ErrorCode.NOT_FOUND, "no entry " + request.getId()));
        response.onNext(toProto(entry));
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void deleteEntry(
        DeleteEntryRequest request, StreamObserver<DeleteEntryResponse> response) {
      try {
        if (!entries.delete(request.getId())) {
          throw new TrustbridgeException(ErrorCode.NOT_FOUND, "no entry " + request.getId());
        }
        audited("entry.delete", request.getId(), "");
        onChange.run();
        response.onNext(DeleteEntryResponse.getDefaultInstance());
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    private RegistrationEntry fromProto(Entry entry) {
      SpiffeId id = required("entry.spiffe_id", entry.getSpiffeId());
      SpiffeId parent = required("entry.parent_id", entry.getParentId());
      if (!hosted.contains(id.trustDomain())) {
        throw TrustbridgeException.invalidArgument(
            "entry.spiffe_id: trust domain " + id.trustDomain() + " is not hosted here");
      }
      if (id.isTrustDomainId()) {
        throw TrustbridgeException.invalidArgument(
            "entry.spiffe_id: a workload ID must have a path");
      }
      if (entry.getTtlSeconds() < 0) {
        throw TrustbridgeException.invalidArgument("entry.ttl_seconds: must not be negative");
      }
      Optional<Duration> ttl =
          entry.getTtlSeconds() == 0
              ? Optional.empty()
              : Optional.of(Duration.ofSeconds(entry.getTtlSeconds()));
      if (ttl.isPresent() && ttl.get().compareTo(maxTtl) > 0) {
        throw TrustbridgeException.invalidArgument(
            "entry.ttl_seconds: exceeds the maximum of " + maxTtl.toSeconds() + "s");
      }
      for (String name : entry.getDnsNamesList()) {
        if (!DNS_NAME.matcher(name).matches()) {
          throw TrustbridgeException.invalidArgument(
              "entry.dns_names: not a valid lowercase DNS name: " + name);
        }
      }
      Set<TrustDomain> federates =
          entry.getFederatesWithList().stream()
              .map(
                  td -> {
                    try {
                      return TrustDomain.parse(td);
                    } catch (InvalidSpiffeIdException e) {
                      throw TrustbridgeException.invalidArgument(
                          "entry.federates_with: " + e.getMessage());
                    }
                  })
              .collect(java.util.stream.Collectors.toSet());
      return new RegistrationEntry(
          RegistrationEntry.UNASSIGNED,
          id,
          parent,
          ttl,
          entry.getDnsNamesList(),
          entry.getAdmin(),
          federates,
          clock.instant());
    }

    private void audited(String action, String subject, String detail) {
      audit.append(
          AuditEvent.of(
              clock.instant(),
              CertificateAuthorityService.caller().auditName(),
              action,
              subject,
              AuditEvent.OK,
              detail));
    }
  }

  private static SpiffeId required(String field, String value) {
    if (value.isEmpty()) {
      throw TrustbridgeException.invalidArgument(field + ": required");
    }
    return CertificateAuthorityService.optionalId(field, value).orElseThrow();
  }

  private static Optional<SpiffeId> optional(String field, String value) {
    return CertificateAuthorityService.optionalId(field, value);
  }
}
