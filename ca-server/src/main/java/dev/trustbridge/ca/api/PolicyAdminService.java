package dev.trustbridge.ca.api;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditLog;
import dev.trustbridge.ca.policy.PolicyManager;
import dev.trustbridge.proto.admin.v1.GetPolicyRequest;
import dev.trustbridge.proto.admin.v1.PolicyAdminGrpc;
import dev.trustbridge.proto.admin.v1.PolicyDocument;
import dev.trustbridge.proto.admin.v1.SetPolicyRequest;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.policy.Policy;
import dev.trustbridge.spiffe.policy.PolicyCodec;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.Objects;
import java.util.OptionalLong;

/** {@code trustbridge.admin.v1.PolicyAdmin}: the per-identity policy as a whole JSON document. */
public final class PolicyAdminService implements BindableService {
  private final Impl impl;

  public PolicyAdminService(PolicyManager policies, AuditLog audit, Clock clock) {
    this.impl = new Impl(policies, audit, clock);
  }

  @Override
  public ServerServiceDefinition bindService() {
    return impl.bindService();
  }

  static PolicyDocument toProto(Policy policy) {
    return PolicyDocument.newBuilder()
        .setPolicy(ByteString.copyFrom(PolicyCodec.write(policy)))
        .setVersion(policy.version())
        .build();
  }

  private static final class Impl extends PolicyAdminGrpc.PolicyAdminImplBase {
    private final PolicyManager policies;
    private final AuditLog audit;
    private final Clock clock;

    Impl(PolicyManager policies, AuditLog audit, Clock clock) {
      this.policies = Objects.requireNonNull(policies, "policies");
      this.audit = Objects.requireNonNull(audit, "audit");
      this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public void getPolicy(GetPolicyRequest request, StreamObserver<PolicyDocument> response) {
      try {
        Policy policy =
            request.hasVersion() ? policies.version(request.getVersion()) : policies.current();
        response.onNext(toProto(policy));
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void setPolicy(SetPolicyRequest request, StreamObserver<PolicyDocument> response) {
      String caller = CertificateAuthorityService.caller().auditName();
      try {
        Policy candidate = PolicyCodec.parse(request.getPolicy().toByteArray());
        Policy stored =
            policies.set(
                candidate,
                request.hasExpectedVersion()
                    ? OptionalLong.of(request.getExpectedVersion())
                    : OptionalLong.empty(),
                caller);
        audited(caller, AuditEvent.OK, "version " + stored.version());
        response.onNext(toProto(stored));
        response.onCompleted();
      } catch (TrustbridgeException e) {
        // The messages of refusals name entries and validated values only, never raw input.
        if (e.code() == ErrorCode.INVALID_ARGUMENT || e.code() == ErrorCode.FAILED_PRECONDITION) {
          try {
            audited(caller, AuditEvent.INVALID, e.getMessage());
          } catch (RuntimeException auditFailure) {
            e.addSuppressed(auditFailure);
          }
        }
        response.onError(GrpcErrors.toStatus(e));
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    private void audited(String caller, String outcome, String detail) {
      audit.append(AuditEvent.of(clock.instant(), caller, "policy.set", "", outcome, detail));
    }
  }
}
