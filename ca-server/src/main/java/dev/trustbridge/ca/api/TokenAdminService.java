package dev.trustbridge.ca.api;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditLog;
import dev.trustbridge.ca.authn.JoinTokens;
import dev.trustbridge.proto.admin.v1.CreateJoinTokenRequest;
import dev.trustbridge.proto.admin.v1.CreateJoinTokenResponse;
import dev.trustbridge.proto.admin.v1.TokenAdminGrpc;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/** {@code trustbridge.admin.v1.TokenAdmin}: one-time join tokens. */
public final class TokenAdminService implements BindableService {
  private final Impl impl;

  public TokenAdminService(
      JoinTokens tokens,
      Set<TrustDomain> hosted,
      Duration defaultTtl,
      Duration maxTtl,
      AuditLog audit,
      Clock clock) {
    this.impl = new Impl(tokens, hosted, defaultTtl, maxTtl, audit, clock);
  }

  @Override
  public ServerServiceDefinition bindService() {
    return impl.bindService();
  }

  private static final class Impl extends TokenAdminGrpc.TokenAdminImplBase {
    private final JoinTokens tokens;
    private final Set<TrustDomain> hosted;
    private final Duration defaultTtl;
    private final Duration maxTtl;
    private final AuditLog audit;
    private final Clock clock;

    Impl(
        JoinTokens tokens,
        Set<TrustDomain> hosted,
        Duration defaultTtl,
        Duration maxTtl,
        AuditLog audit,
        Clock clock) {
      this.tokens = Objects.requireNonNull(tokens, "tokens");
      this.hosted = Set.copyOf(hosted);
      this.defaultTtl = Objects.requireNonNull(defaultTtl, "defaultTtl");
      this.maxTtl = Objects.requireNonNull(maxTtl, "maxTtl");
      this.audit = Objects.requireNonNull(audit, "audit");
      this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public void createJoinToken(
        CreateJoinTokenRequest request, StreamObserver<CreateJoinTokenResponse> response) {
      try {
        if (request.getSpiffeId().isEmpty()) {
          throw TrustbridgeException.invalidArgument("spiffe_id: required");
        }
        SpiffeId id =
            CertificateAuthorityService.optionalId("spiffe_id", request.getSpiffeId())
                .orElseThrow();
        if (!hosted.contains(id.trustDomain()) || id.isTrustDomainId()) {
          throw TrustbridgeException.invalidArgument(
              "spiffe_id: must be a workload ID of a hosted trust domain");
        }
        if (request.getTtlSeconds() < 0) {
          throw TrustbridgeException.invalidArgument("ttl_seconds: must not be negative");
        }
        Duration ttl =
            request.getTtlSeconds() == 0 ? defaultTtl : Duration.ofSeconds(request.getTtlSeconds());
        if (ttl.compareTo(maxTtl) > 0) {
          throw TrustbridgeException.invalidArgument(
              "ttl_seconds: exceeds the maximum of " + maxTtl.toSeconds() + "s");
        }
        JoinTokens.Created created = tokens.create(id, ttl);
        audit.append(
            AuditEvent.of(
                clock.instant(),
                CertificateAuthorityService.caller().auditName(),
                "token.create",
                id.toString(),
                AuditEvent.OK,
                "expires_at=" + created.expiresAt()));
        response.onNext(
            CreateJoinTokenResponse.newBuilder()
                .setToken(created.token())
                .setExpiresAt(created.expiresAt().getEpochSecond())
                .build());
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }
  }
}
