package dev.trustbridge.ca.api;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.authn.AuthenticationInterceptor;
import dev.trustbridge.ca.authn.Caller;
import dev.trustbridge.ca.distribution.BundleDistributor;
import dev.trustbridge.ca.issuance.X509SvidIssuer;
import dev.trustbridge.ca.policy.PolicyManager;
import dev.trustbridge.proto.ca.v1.AuthorizeRequest;
import dev.trustbridge.proto.ca.v1.AuthorizeResponse;
import dev.trustbridge.proto.ca.v1.BundlesResponse;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.FetchBundlesRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.proto.ca.v1.WatchBundlesRequest;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.policy.Decision;
import dev.trustbridge.spiffe.policy.Policy;
import dev.trustbridge.spiffe.policy.PolicyCodec;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * The workload-facing {@code trustbridge.ca.v1.CertificateAuthority} service. Bundles go out with
 * the caller's compiled per-identity policy; {@code Authorize} answers from the current policy.
 */
public final class CertificateAuthorityService implements BindableService {
  public static final String SIGN_METHOD =
      CertificateAuthorityGrpc.getSignX509SvidMethod().getFullMethodName();

  /** Authorize about another local ID than the caller's own, by a caller that is not an admin. */
  public static final String NOT_OWN_ID =
      "local_id: a caller may only ask about its own SPIFFE ID unless it is an admin";

  private final Impl impl;

  /**
   * @param isAdmin whether an X509-SVID caller with this ID is an admin (may ask {@code Authorize}
   *     about any local ID)
   * @param responses where an issuance's answer is sent from once its audit record is stored
   */
  public CertificateAuthorityService(
      X509SvidIssuer issuer,
      BundleDistributor bundles,
      PolicyManager policies,
      Predicate<SpiffeId> isAdmin,
      Executor responses) {
    this.impl = new Impl(issuer, bundles, policies, isAdmin, responses);
  }

  @Override
  public ServerServiceDefinition bindService() {
    return impl.bindService();
  }

  /** Parses an optional SPIFFE ID field: empty string means absent. */
  static Optional<SpiffeId> optionalId(String field, String value) {
    if (value.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(SpiffeId.parse(value));
    } catch (InvalidSpiffeIdException e) {
      throw TrustbridgeException.invalidArgument(field + ": " + e.getMessage());
    }
  }

  static SpiffeId requiredId(String field, String value) {
    return optionalId(field, value)
        .orElseThrow(() -> TrustbridgeException.invalidArgument(field + ": required"));
  }

  static Caller caller() {
    return AuthenticationInterceptor.CALLER.get();
  }

  static AuthorizeResponse toProto(Decision decision, long policyVersion) {
    return AuthorizeResponse.newBuilder()
        .setVerdict(
            decision.isAllowed()
                ? AuthorizeResponse.Verdict.VERDICT_ALLOW
                : AuthorizeResponse.Verdict.VERDICT_DENY)
        .setMatchedRule(decision.matched().map(r -> r.name()).orElse(""))
        .setReason(decision.reason())
        .setPolicyVersion(policyVersion)
        .build();
  }

  private static final class Impl extends CertificateAuthorityGrpc.CertificateAuthorityImplBase {
    private final X509SvidIssuer issuer;
    private final BundleDistributor bundles;
    private final PolicyManager policies;
    private final Predicate<SpiffeId> isAdmin;
    private final Executor responses;

    Impl(
        X509SvidIssuer issuer,
        BundleDistributor bundles,
        PolicyManager policies,
        Predicate<SpiffeId> isAdmin,
        Executor responses) {
      this.responses = Objects.requireNonNull(responses, "responses");
      this.issuer = Objects.requireNonNull(issuer, "issuer");
      this.bundles = Objects.requireNonNull(bundles, "bundles");
      this.policies = Objects.requireNonNull(policies, "policies");
      this.isAdmin = Objects.requireNonNull(isAdmin, "isAdmin");
    }

    @Override
    public void signX509Svid(
        SignX509SvidRequest request, StreamObserver<SignX509SvidResponse> response) {
      CompletableFuture<X509SvidIssuer.Issued> pending;
      try {
        Caller caller = caller();
        pending =
            issuer.issueAsync(
                caller,
                optionalId("spiffe_id", request.getSpiffeId()),
                request.getCsr().toByteArray(),
                Duration.ofSeconds(Math.max(0, request.getTtlSeconds())));
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
        return;
      }
      // The answer goes out once the audit record is stored; this thread is free meanwhile.
      Replies.whenDone(pending, this::reply, response, responses);
    }

    private SignX509SvidResponse reply(X509SvidIssuer.Issued issued) {
      SignX509SvidResponse.Builder reply =
          SignX509SvidResponse.newBuilder()
              .setSpiffeId(issued.spiffeId().toString())
              .setExpiresAt(issued.expiresAt().getEpochSecond())
              .setSerial(issued.serialHex())
              .addAllBundles(
                  ProtoBundles.toProto(
                      bundles.bundlesFor(issued.spiffeId(), issued.federatesWith())));
      issued.chain().forEach(c -> reply.addCertChain(ProtoBundles.der(c)));
      return reply.build();
    }

    @Override
    public void fetchBundles(
        FetchBundlesRequest request, StreamObserver<BundlesResponse> response) {
      try {
        response.onNext(bundlesFor(caller().spiffeId()));
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void authorize(AuthorizeRequest request, StreamObserver<AuthorizeResponse> response) {
      try {
        Caller caller = caller();
        SpiffeId local = requiredId("local_id", request.getLocalId());
        SpiffeId peer = requiredId("peer_id", request.getPeerId());
        boolean admin = caller instanceof Caller.Svid && isAdmin.test(caller.spiffeId());
        if (!local.equals(caller.spiffeId()) && !admin) {
          throw new TrustbridgeException(ErrorCode.PERMISSION_DENIED, NOT_OWN_ID);
        }
        // One snapshot, so that the version reported is the one that decided.
        Policy policy = policies.current();
        response.onNext(toProto(policy.decide(local, peer), policy.version()));
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void watchBundles(
        WatchBundlesRequest request, StreamObserver<BundlesResponse> response) {
      ServerCallStreamObserver<BundlesResponse> stream =
          (ServerCallStreamObserver<BundlesResponse>) response;
      Caller caller = caller();
      AtomicBoolean closed = new AtomicBoolean();
      Object lock = new Object();
      Runnable push =
          () -> {
            synchronized (lock) {
              if (closed.get() || stream.isCancelled()) {
                return;
              }
              try {
                stream.onNext(bundlesFor(caller.spiffeId()));
              } catch (RuntimeException e) {
                closed.set(true);
                stream.onError(GrpcErrors.toStatus(e));
              }
            }
          };
      BundleDistributor.Subscription subscription = bundles.watch(push);
      stream.setOnCancelHandler(
          () -> {
            closed.set(true);
            subscription.close();
          });
      push.run();
    }

    private BundlesResponse bundlesFor(SpiffeId id) {
      Policy compiled = policies.forIdentity(id);
      return BundlesResponse.newBuilder()
          .addAllBundles(ProtoBundles.toProto(bundles.bundlesFor(id)))
          .setPolicy(ByteString.copyFrom(PolicyCodec.write(compiled)))
          .setPolicyVersion(compiled.version())
          .build();
    }
  }
}
