package dev.trustbridge.ca.api;

import dev.trustbridge.ca.authority.AuthorityKind;
import dev.trustbridge.ca.authority.TrustDomainAuthority;
import dev.trustbridge.proto.admin.v1.Authority;
import dev.trustbridge.proto.admin.v1.AuthorityAdminGrpc;
import dev.trustbridge.proto.admin.v1.AuthorityIdRequest;
import dev.trustbridge.proto.admin.v1.AuthorityKindRequest;
import dev.trustbridge.proto.admin.v1.ListAuthoritiesRequest;
import dev.trustbridge.proto.admin.v1.ListAuthoritiesResponse;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code trustbridge.admin.v1.AuthorityAdmin}: list the journal, prepare, activate, taint and
 * revoke CAs. Every step is audited by the authority itself.
 */
public final class AuthorityAdminService implements BindableService {
  private final Impl impl;

  public AuthorityAdminService(Map<TrustDomain, TrustDomainAuthority> authorities) {
    this.impl = new Impl(Map.copyOf(authorities));
  }

  @Override
  public ServerServiceDefinition bindService() {
    return impl.bindService();
  }

  static Authority toProto(TrustDomainAuthority.AuthorityInfo info) {
    return Authority.newBuilder()
        .setId(info.record().id())
        .setTrustDomain(info.record().trustDomain().name())
        .setKind(info.record().kind().name().toLowerCase(Locale.ROOT))
        .setState(info.record().state().name().toLowerCase(Locale.ROOT))
        .setIssuerId(info.record().issuerId().orElse(""))
        .setNotBefore(info.certificate().getNotBefore().toInstant().getEpochSecond())
        .setNotAfter(info.record().notAfter().getEpochSecond())
        .setTainted(info.tainted())
        .setRevoked(info.revoked())
        .setInBundle(info.inBundle())
        .setSerial(info.certificate().getSerialNumber().toString(16))
        .build();
  }

  private static final class Impl extends AuthorityAdminGrpc.AuthorityAdminImplBase {
    private final Map<TrustDomain, TrustDomainAuthority> authorities;

    Impl(Map<TrustDomain, TrustDomainAuthority> authorities) {
      this.authorities = authorities;
    }

    private TrustDomainAuthority authority(String trustDomain) {
      TrustDomain td =
          trustDomain.isEmpty()
              ? authorities.keySet().stream().sorted().findFirst().orElseThrow()
              : FederationAdminService.trustDomain("trust_domain", trustDomain);
      TrustDomainAuthority authority = authorities.get(td);
      if (authority == null) {
        throw new TrustbridgeException(
            ErrorCode.NOT_FOUND, "trust domain " + td + " is not hosted here");
      }
      return authority;
    }

    private static AuthorityKind kind(String kind) {
      return switch (kind) {
        case "root" -> AuthorityKind.ROOT;
        case "intermediate" -> AuthorityKind.INTERMEDIATE;
        default -> throw TrustbridgeException.invalidArgument("kind: must be root or intermediate");
      };
    }

    private static Authority find(TrustDomainAuthority authority, String id) {
      return authority.list().stream()
          .filter(i -> i.record().id().equals(id))
          .findFirst()
          .map(AuthorityAdminService::toProto)
          .orElseThrow(() -> new TrustbridgeException(ErrorCode.NOT_FOUND, "no authority " + id));
    }

    private static <T> void answer(StreamObserver<T> response, Supplier<T> work) {
      try {
        response.onNext(work.get());
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void listAuthorities(
        ListAuthoritiesRequest request, StreamObserver<ListAuthoritiesResponse> response) {
      answer(
          response,
          () ->
              ListAuthoritiesResponse.newBuilder()
                  .addAllAuthorities(
                      authority(request.getTrustDomain()).list().stream()
                          .map(AuthorityAdminService::toProto)
                          .toList())
                  .build());
    }

    @Override
    public void prepareAuthority(AuthorityKindRequest request, StreamObserver<Authority> response) {
      answer(
          response,
          () -> {
            TrustDomainAuthority authority = authority(request.getTrustDomain());
            return find(authority, authority.prepare(kind(request.getKind())).id());
          });
    }

    @Override
    public void activateAuthority(
        AuthorityKindRequest request, StreamObserver<Authority> response) {
      answer(
          response,
          () -> {
            TrustDomainAuthority authority = authority(request.getTrustDomain());
            return find(
                authority, authority.activate(kind(request.getKind()), request.getForce()).id());
          });
    }

    @Override
    public void taintAuthority(AuthorityIdRequest request, StreamObserver<Authority> response) {
      answer(
          response,
          () -> {
            TrustDomainAuthority authority = authority(request.getTrustDomain());
            authority.taint(request.getId());
            return find(authority, request.getId());
          });
    }

    @Override
    public void revokeAuthority(AuthorityIdRequest request, StreamObserver<Authority> response) {
      answer(
          response,
          () -> {
            TrustDomainAuthority authority = authority(request.getTrustDomain());
            authority.revoke(request.getId());
            return find(authority, request.getId());
          });
    }
  }
}
